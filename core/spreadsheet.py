"""CSV cells that spreadsheets will not run as formulas.

A spreadsheet opening a CSV treats a cell beginning with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return as a formula (OWASP "CSV injection"). Every CSV the site
writes goes through ``csv_line`` (or ``safe_cell``), which prefixes such a text cell
with ``'``: spreadsheets show the text as written and do not evaluate it. Numbers
(ints, Decimals) are written as they are, so a negative number stays a number.
``unescape_cell`` undoes the prefix when the site reads its own export back.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def safe_cell(value):
    """``value``, with ``'`` in front when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return ESCAPE + value
    return value


def unescape_cell(text: str) -> str:
    """The text ``safe_cell`` was given (for reading the site's own CSV back)."""
    if text.startswith(ESCAPE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


_WRITER = csv.writer(_Echo())


def csv_line(cells: Iterable) -> str:
    """One CSV line (with its line ending) of spreadsheet-safe cells."""
    return _WRITER.writerow([safe_cell(cell) for cell in cells])
