"""Rating scales: scores are stored as integers 0-100 and shown on each viewer's own scale.

The mapping (also explained on the settings page):

- ``"100"`` (0-100): shown and entered as is.
- ``"10"`` (1-10, whole numbers): a score shows as ``round(score / 10)`` clamped to 1..10
  (halves round up, so 75 -> 8 and 4 -> 1); an entered ``n`` is stored as ``n * 10``.
- ``"5"`` (0.5-5 stars, half stars): a score shows as the nearest half star
  ``round(score / 10) / 2`` clamped to 0.5..5 (so 73 -> 3.5, 75 -> 4); an entered ``s``
  is stored as ``s * 20`` (3.5 -> 70).

Each mapping is monotonic, so percentiles (which depend only on the order of a user's
scores) are the same whatever scale the scores were entered on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

HUNDRED = "100"
TEN = "10"
STARS = "5"


class RatingScale(models.TextChoices):
    """Input and display scale (``User.rating_scale``). Scores are always stored on 0-100."""

    HUNDRED = HUNDRED, "0-100"
    TEN = TEN, "1-10"
    STARS = STARS, "0.5-5 stars"


@dataclass(frozen=True)
class ScaleInfo:
    key: str
    label: str
    minimum: str
    maximum: str
    step: str
    example_input: str
    suffix: str


SCALES: dict[str, ScaleInfo] = {
    HUNDRED: ScaleInfo(HUNDRED, "0-100", "0", "100", "1", "73", ""),
    TEN: ScaleInfo(TEN, "1-10", "1", "10", "1", "7", "/10"),
    STARS: ScaleInfo(STARS, "0.5-5 stars", "0.5", "5", "0.5", "3.5", "★"),
}


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _check_scale(scale: str) -> str:
    scale = str(scale)
    if scale not in SCALES:
        raise ValueError(f"Unknown rating scale {scale!r}: use one of 100, 10 or 5.")
    return scale


def to_scale_value(score: int, scale: str) -> Decimal:
    """A stored 0-100 score as a number on the given scale (Decimal, exact halves)."""
    scale = _check_scale(scale)
    score = int(score)
    if scale == HUNDRED:
        return Decimal(score)
    if scale == TEN:
        return Decimal(min(10, max(1, _half_up(Decimal(score) / 10))))
    halves = min(10, max(1, _half_up(Decimal(score) / 10)))
    return Decimal(halves) / 2


def to_display(score: int | None, scale: str) -> str:
    """A stored 0-100 score shown on a scale: "73" (0-100), "7" (1-10), "3.5" or "4" (stars).

    None (no score) shows as an empty string.
    """
    if score is None:
        return ""
    value = to_scale_value(score, scale)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.1f}"


def from_input(value: str | int | float, scale: str) -> int:
    """A score typed on a scale, converted to the stored 0-100 integer.

    Raises ValueError with a message fit to show the person who typed it.
    """
    scale = _check_scale(scale)
    info = SCALES[scale]
    text = str(value).strip().replace(",", ".")
    if scale == STARS:
        text = text.rstrip("★*").strip()
    if not text:
        raise ValueError(f"Enter a score from {info.minimum} to {info.maximum}.")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            f"“{value}” is not a number: enter a score from {info.minimum} to {info.maximum}."
        ) from None
    if not number.is_finite():
        raise ValueError(f"Enter a score from {info.minimum} to {info.maximum}.")
    if scale == HUNDRED:
        if number != number.to_integral_value() or not 0 <= number <= 100:
            raise ValueError("Enter a whole number from 0 to 100.")
        return int(number)
    if scale == TEN:
        if number != number.to_integral_value() or not 1 <= number <= 10:
            raise ValueError("Enter a whole number from 1 to 10.")
        return int(number) * 10
    # The range is checked before doubling: 9e999999 * 2 overflows the decimal context.
    if not Decimal("0.5") <= number <= 5 or number * 2 != (number * 2).to_integral_value():
        raise ValueError("Enter a star rating from 0.5 to 5 in half stars (for example 3.5).")
    doubled = number * 2
    return int(doubled) * 10


def scale_of(user) -> str:
    """The scale a viewer sees scores on: their own setting, 0-100 when signed out."""
    if user is None or not getattr(user, "is_authenticated", False):
        return HUNDRED
    return str(getattr(user, "rating_scale", HUNDRED) or HUNDRED)


def mapping_rows(scale: str) -> list[tuple[str, int]]:
    """(value on the scale, stored score) for every value of a short scale, for the docs."""
    scale = _check_scale(scale)
    if scale == TEN:
        return [(str(n), n * 10) for n in range(1, 11)]
    if scale == STARS:
        return [(to_display(h * 10, STARS), h * 10) for h in range(1, 11)]
    return [(str(n), n) for n in (0, 25, 50, 73, 100)]
