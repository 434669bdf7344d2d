"""Typo- and accent-tolerant title search on plain PostgreSQL (no pg_trgm, no unaccent).

Names are normalised in Python the same way when a title is saved or imported and
when a query is parsed, so "Amélie", "AMELIE" and "amelie" meet in one form. Each
title stores its normalised name's trigrams (padded per word, as pg_trgm does) in
a GIN-indexed text array: `name_trigrams && query_trigrams` finds candidates through
the index, and the share of the query's trigrams a title contains ranks them, so
"Intervew" still finds "Interview". Full-text search (config 'simple', prefix
matching) on the same normalised text finds whole and partial words.
"""

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Letters that NFKD does not decompose into a base letter and a combining mark.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ł": "l", "ı": "i"}
)
MAX_QUERY_WORDS = 8


def normalise_name(text: str) -> str:
    """Lowercase, accents stripped, anything but letters and digits turned into single spaces."""
    text = (text or "").lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_FOLD))
        text = "".join(char for char in text if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", text).strip()


def search_text(name: str, original_name: str = "") -> str:
    """The normalised text a title is searched by: its name, and its original name if different."""
    normalised = normalise_name(name)
    original = normalise_name(original_name)
    if original and original != normalised:
        normalised = f"{normalised} {original}"
    return normalised[:610]


def name_trigrams(normalised: str) -> list[str]:
    """Sorted distinct trigrams of every word of an already normalised text."""
    trigrams: set[str] = set()
    for word in normalised.split():
        padded = f"  {word} "
        trigrams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return sorted(trigrams)


def prefix_tsquery(normalised: str) -> str:
    """A to_tsquery('simple', ...) text matching every word as a prefix ("inter:* & view:*").

    Safe to pass as a parameter: normalised words contain only [a-z0-9].
    """
    words = normalised.split()[:MAX_QUERY_WORDS]
    return " & ".join(f"{word}:*" for word in words)
