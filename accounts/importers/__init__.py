"""Importing ratings and lists from files: parsing (formats) and matching (to titles)."""

from accounts.importers.matching import AMBIGUOUS, INVALID, MATCHED, UNMATCHED, match_rows
from accounts.importers.normalise import normalise_title
from accounts.importers.parsing import (
    FORMAT_LABELS,
    SITE_HEADER,
    ImportFileError,
    ParsedFile,
    ParsedRow,
    parse_upload,
)

__all__ = [
    "AMBIGUOUS",
    "FORMAT_LABELS",
    "INVALID",
    "MATCHED",
    "SITE_HEADER",
    "UNMATCHED",
    "ImportFileError",
    "ParsedFile",
    "ParsedRow",
    "match_rows",
    "normalise_title",
    "parse_upload",
]
