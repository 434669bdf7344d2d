"""Parsing of numbers typed by people or sent by scripts: refuse what cannot be read."""

import re

# ASCII digits only: str.isdigit() accepts "²" (which int() refuses) and int() reads
# "٣" or "１２"; nineteen digits cover a bigint and stay far below int()'s digit limit.
INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


def parse_int(value, default=None, *, min=None, max=None):
    """``value`` (a string or an int) as an int, or ``default`` when it is missing, not a
    plain decimal integer, or outside ``min``..``max`` (bounds included)."""
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not INTEGER.fullmatch(text):
            return default
        number = int(text)
    if (min is not None and number < min) or (max is not None and number > max):
        return default
    return number
