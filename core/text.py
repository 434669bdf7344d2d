"""Small text formatters shared by Python code and templates (core_tags registers them),
and the length check of the site's free-text fields."""

from django.core.exceptions import ValidationError


def ordinal(value) -> str:
    """36 -> "36th", 1 -> "1st", 11 -> "11th", 22 -> "22nd"; empty for None."""
    if value is None or value == "":
        return ""
    number = int(value)
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def stripped_within(value: str | None, limit: int, what: str, code: str) -> str:
    """``value`` without surrounding blanks, refused (ValidationError with ``code``) when
    longer than ``limit``: "A note can be at most 300 characters (this one has 349)."."""
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError(
            f"{what} can be at most {limit:,} characters (this one has {len(value):,}).",
            code=code,
        )
    return value
