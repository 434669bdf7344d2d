"""Title normalisation for matching imported rows to catalog titles.

Lowercase, accents stripped (NFKD, combining marks dropped), "&" read as "and",
punctuation removed, whitespace collapsed, and one leading article dropped (English,
French, German, Spanish, Italian, Portuguese, Dutch). A trailing article as some
exports write it ("Matrix, The") counts as a leading one. So "Amélie" matches
"amelie", "Léon: The Professional" matches "Leon - the professional" and
"The Matrix" matches "Matrix, The". Both sides of a match go through this function,
so what it does to odd titles only has to be consistent, not pretty.
"""

import re
import unicodedata

_ARTICLES = (
    ("the", "a", "an")  # English
    + ("le", "la", "les", "l", "un", "une")  # French
    + ("der", "die", "das", "ein", "eine")  # German
    + ("el", "los", "las", "lo", "il", "gli", "uno")  # Spanish, Italian
    + ("o", "os", "as", "um", "uma")  # Portuguese
    + ("de", "het", "een")  # Dutch
)
_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+),\s*(?P<article>" + "|".join(_ARTICLES) + r")$")
_LEADING_ARTICLE = re.compile(r"^(?:" + "|".join(_ARTICLES) + r")\s+(?=\S)")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalise_title(name: str) -> str:
    """The matching key of a title name ("" for a blank name)."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().strip()
    text = text.replace("&", " and ")
    # "l'avventura" -> "l avventura", so the elided article is dropped like the others.
    text = text.replace("’", "'")
    trailing = _TRAILING_ARTICLE.match(text)
    if trailing:
        text = f"{trailing['article']} {trailing['rest']}"
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _SPACES.sub(" ", text).strip()
    stripped = _LEADING_ARTICLE.sub("", text, count=1)
    return stripped or text
