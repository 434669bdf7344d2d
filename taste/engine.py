"""The arithmetic of taste, in plain Python: one implementation shared by the site (title
page, explanation page, recommendations) and by ``manage.py evaluate_psi``.

Terms (percentiles are the per-user percentiles of DESIGN.md, 0..99):

- **TCI** of two users = mean |p_a - p_b| over the titles both rated, defined only when
  they have at least ``min_common(n_a, n_b)`` titles in common (n = number of ratings).
- **PSI** of user u for title t:

  1. title offset ``b = (sum of t's percentiles - 49.5 * n_t) / (n_t + TITLE_SHRINK)``:
     how far above or below the middle t's raters place it, shrunk towards 0 when few
     people rated it;
  2. neighbours: the ``NEIGHBOURS`` raters of t with the lowest TCI with u, each with
     weight ``w = (TCI_CUTOFF - TCI)^2 * common / (common + COMMON_SHRINK)``;
  3. predicted percentile ``q = 49.5 + b + sum(w * (p - 49.5 - b)) / (sum(w) + NEIGHBOUR_SHRINK)``
     clamped to 0..99: the title's usual place, moved towards where your most
     compatible raters put it, and moved more the more (and the more compatible)
     neighbours there are;
  4. PSI = the score at percentile q of u's own ratings (``score_at_percentile``), so it
     follows your own habits: a harsh rater gets a harsh PSI.

Users without percentiles (fewer than 5 different scores) take part through
*positions*: the same formula applied to their scores anyway (``percentiles(scores,
MIN_POSITION_SCORES)``), used for TCIs and as neighbours, never shown as percentiles
and never counted in a title's average percentile.

A PSI needs ``MIN_RATINGS`` ratings, at least two different scores, and a neighbour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from taste.model import UNRELATED  # noqa: F401  (models.Compatibility.tci_shrunk default)

# Percentiles of a user spread evenly over 0..99, so their mean is 49.5.
MIDDLE = 49.5
# Two users with unrelated tastes differ by 33.3 percentiles on average (uniform
# percentiles: E|X - Y| = 100/3); a TCI at or above the cutoff carries no weight.
TCI_CUTOFF = 30.0
MIN_COMMON_FLOOR = 3
MIN_COMMON_FRACTION = 0.1
MIN_COMMON_CAP = 20
NEIGHBOURS = 20
COMMON_SHRINK = 5.0
NEIGHBOUR_SHRINK = 50.0
TITLE_SHRINK = 5.0
MIN_RATINGS = 10
MIN_DISTINCT_SCORES = 5
# A user without percentiles (fewer than 5 different scores) is still compared through
# the same formula ("positions"), if their scores say anything about order at all.
MIN_POSITION_SCORES = 2


def min_common(ratings_a: int, ratings_b: int) -> int:
    """Titles two users must share before their TCI is defined: 3, growing by one for
    every 10 ratings of the user with fewer ratings, up to 20.

    A pair of heavy raters sharing only a handful of titles says little about either;
    someone new with 30 ratings can still find soulmates among heavy raters."""
    fewer = min(ratings_a, ratings_b)
    return max(MIN_COMMON_FLOOR, min(MIN_COMMON_CAP, int(fewer * MIN_COMMON_FRACTION)))


def percentiles(scores: Sequence[int], minimum_distinct: int = MIN_DISTINCT_SCORES) -> list:
    """The per-user percentile rule of DESIGN.md for one user's scores (same order).

    With ``minimum_distinct=MIN_POSITION_SCORES`` this gives the positions used to
    compare the tastes of users who have no percentiles."""
    n = len(scores)
    if len(set(scores)) < minimum_distinct:
        return [None] * n
    result = []
    for s in scores:
        below = sum(1 for x in scores if x < s)
        equal = sum(1 for x in scores if x == s)
        result.append(math.floor(100 * (below + equal / 2) / n))
    return result


def score_at_percentile(sorted_scores: Sequence[float], q: float) -> float:
    """The score at percentile q (0..99) of a user's own scores (sorted ascending).

    The k-th lowest of n scores (k from 0) sits at percentile 100 * (k + 0.5) / n, the
    inverse of the percentile rule; between two such points the score is interpolated."""
    n = len(sorted_scores)
    if n == 0:
        raise ValueError("no scores")
    position = min(max(q * n / 100 - 0.5, 0.0), n - 1.0)
    low = math.floor(position)
    high = min(low + 1, n - 1)
    fraction = position - low
    return sorted_scores[low] + (sorted_scores[high] - sorted_scores[low]) * fraction


def rounded(score: float) -> int:
    """A 0-100 PSI as the whole number shown (halves up, like PostgreSQL's round)."""
    return math.floor(score + 0.5)


def interpolation_points(sorted_scores: Sequence[float], q: float) -> tuple[int, int, float]:
    """(index below, index above, fraction) used by ``score_at_percentile``, for display."""
    n = len(sorted_scores)
    position = min(max(q * n / 100 - 0.5, 0.0), n - 1.0)
    low = math.floor(position)
    return low, min(low + 1, n - 1), position - low


def weight(tci: float, common: int) -> float:
    """How much a neighbour counts: more for a lower TCI and for more titles in common."""
    closeness = max(0.0, TCI_CUTOFF - tci)
    return closeness * closeness * common / (common + COMMON_SHRINK)


def title_offset(percentile_sum: float, percentile_count: int) -> float:
    """How far above the middle a title's raters place it, shrunk when they are few."""
    return (percentile_sum - MIDDLE * percentile_count) / (percentile_count + TITLE_SHRINK)


@dataclass(frozen=True)
class Candidate:
    """A rater of the title who has a TCI with the user."""

    user_id: int
    tci: float
    common: int
    percentile: int


@dataclass(frozen=True)
class Neighbour:
    user_id: int
    tci: float
    common: int
    percentile: int
    weight: float
    deviation: float  # percentile - (MIDDLE + title offset)


@dataclass
class Prediction:
    percentile: float
    title_offset: float
    base: float
    neighbours: list[Neighbour] = field(default_factory=list)
    weight_sum: float = 0.0
    weighted_deviation_sum: float = 0.0
    adjustment: float = 0.0

    @property
    def clamped(self) -> bool:
        """True when base + adjustment fell outside 0..99 and was kept within it."""
        return self.percentile != self.base + self.adjustment


def choose_neighbours(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The NEIGHBOURS candidates with the lowest TCI (more titles in common first on ties,
    then lower user id), keeping only those with a positive weight."""
    ranked = sorted(candidates, key=lambda c: (c.tci, -c.common, c.user_id))
    return [c for c in ranked if weight(c.tci, c.common) > 0][:NEIGHBOURS]


def predict_percentile(
    candidates: Sequence[Candidate], percentile_sum: float, percentile_count: int
) -> Prediction | None:
    """The predicted percentile from the title's percentile aggregate and the candidate
    neighbours, or None when no candidate has a positive weight."""
    chosen = choose_neighbours(candidates)
    if not chosen:
        return None
    offset = title_offset(percentile_sum, percentile_count)
    base = MIDDLE + offset
    neighbours = [
        Neighbour(
            user_id=c.user_id,
            tci=c.tci,
            common=c.common,
            percentile=c.percentile,
            weight=weight(c.tci, c.common),
            deviation=c.percentile - base,
        )
        for c in chosen
    ]
    weight_sum = sum(n.weight for n in neighbours)
    weighted = sum(n.weight * n.deviation for n in neighbours)
    adjustment = weighted / (weight_sum + NEIGHBOUR_SHRINK)
    percentile = min(99.0, max(0.0, base + adjustment))
    return Prediction(
        percentile=percentile,
        title_offset=offset,
        base=base,
        neighbours=neighbours,
        weight_sum=weight_sum,
        weighted_deviation_sum=weighted,
        adjustment=adjustment,
    )
