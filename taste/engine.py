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


# The range of a PSI ("78, likely 70-85") -----------------------------------------------
#
# Computed next to the prediction, from what the neighbours say and how many they are,
# never inside it: the PSI itself does not depend on these parameters.
#
# - each neighbour *says* a percentile for you (their own percentile of the title), with
#   their weight ``w``; ``spread^2 = sum(w (say - q)^2) / sum(w)`` around the predicted
#   percentile q: wide when they disagree with each other or with the prediction;
# - their number: the effective number ``n = sum(w)^2 / sum(w^2)`` (20 equal weights
#   count 20, one dominant weight counts about 1), times how well they are known to
#   match you: each neighbour's ``common / (common + COMMON_SHRINK)``, averaged with the
#   weights (three shared titles make a weak match, fifty a strong one);
# - the spread is shrunk towards that of a stranger, ``RANGE_PRIOR_SPREAD`` (uniform
#   percentiles: 100 / sqrt(12) = 28.9), as if the stranger were
#   ``RANGE_PRIOR_NEIGHBOURS`` more neighbours: ``s^2 = (n spread^2 + k 28.9^2) / (n + k)``;
# - the likely range is ``q -/+ RANGE_Z * s * sqrt(1 + 1 / n)``: where your own percentile
#   falls about two times in three (one standard deviation of a new draw, the prediction's
#   own error included), clamped to 0..99, then mapped to your scale like the PSI itself.
#
# Recommendations rank by the low end of that range (``low_percentile``): a title whose
# PSI rests on one neighbour (range about +-37) cannot outrank an equal one resting on
# twenty who agree (about +-17); see ``recommendation_rank``.
RANGE_PRIOR_SPREAD = 100 / math.sqrt(12)
RANGE_PRIOR_NEIGHBOURS = 3.0
RANGE_Z = 1.0


@dataclass(frozen=True)
class PsiRange:
    """Where the user's own percentile (and score) likely falls, around a prediction."""

    percentile: float  # the prediction q
    neighbours: int  # how many said something
    equal_weights: float  # sum(w)^2 / sum(w^2)
    match: float  # weighted mean of common / (common + COMMON_SHRINK)
    effective: float  # equal_weights * match
    observed_spread: float  # sqrt(weighted mean of (say - q)^2)
    spread: float  # shrunk towards RANGE_PRIOR_SPREAD
    half_width: float  # in percentiles
    low_percentile: float
    high_percentile: float
    low: float  # 0-100 scores, before rounding
    high: float

    @property
    def low_rounded(self) -> int:
        return rounded(self.low)

    @property
    def high_rounded(self) -> int:
        return rounded(self.high)


def psi_range(
    percentile: float,
    says: Sequence[float],
    weights: Sequence[float],
    matches: Sequence[float],
    sorted_scores: Sequence[float],
) -> PsiRange:
    """The likely range of a PSI: ``says`` are the percentiles the neighbours give the
    title, ``weights`` their weights, ``matches`` how well each is known to match the
    user (0..1, e.g. ``common / (common + COMMON_SHRINK)``); see the comment above."""
    total = sum(weights)
    if not says or total <= 0:
        observed, equal, match = 0.0, 0.0, 0.0
    else:
        observed = math.sqrt(
            sum(w * (s - percentile) ** 2 for s, w in zip(says, weights, strict=True)) / total
        )
        equal = total * total / sum(w * w for w in weights)
        match = sum(w * m for w, m in zip(weights, matches, strict=True)) / total
    effective = equal * match
    k = RANGE_PRIOR_NEIGHBOURS
    spread = math.sqrt((effective * observed**2 + k * RANGE_PRIOR_SPREAD**2) / (effective + k))
    half = RANGE_Z * spread * math.sqrt(1 + 1 / effective) if effective > 0 else 99.0
    low_q = min(99.0, max(0.0, percentile - half))
    high_q = min(99.0, max(0.0, percentile + half))
    return PsiRange(
        percentile=percentile,
        neighbours=len(says),
        equal_weights=equal,
        match=match,
        effective=effective,
        observed_spread=observed,
        spread=spread,
        half_width=half,
        low_percentile=low_q,
        high_percentile=high_q,
        low=score_at_percentile(sorted_scores, low_q),
        high=score_at_percentile(sorted_scores, high_q),
    )


def prediction_range(prediction: Prediction, sorted_scores: Sequence[float]) -> PsiRange:
    """``psi_range`` of a prediction: each neighbour says their own percentile of the
    title, with their weight, matching the user by ``common / (common + COMMON_SHRINK)``."""
    neighbours = prediction.neighbours
    return psi_range(
        prediction.percentile,
        [n.percentile for n in neighbours],
        [n.weight for n in neighbours],
        [n.common / (n.common + COMMON_SHRINK) for n in neighbours],
        sorted_scores,
    )


# The recommendations page leaves this share of a title's offset (where everybody places
# it) out of its ranking, not out of the PSI: otherwise a PSI that is mostly the title's
# average ranks first for everyone, and a newcomer, whose neighbours say little, gets
# the site-wide top list. At 0.5 a title everybody rates low still does not rise, and on
# the demo two members of opposite taste clusters share 11 of 24 titles on average
# instead of 14 (at 0: the plain low end; at 1: 5, by what the neighbours add alone).
# See bench/recommendations.py.
FALLBACK_PENALTY = 0.5


def recommendation_rank(prediction: Prediction, likely: PsiRange) -> float:
    """What the recommendations page sorts by (higher first): the low end of the PSI's
    likely range, less ``FALLBACK_PENALTY`` of the title's offset."""
    return likely.low_percentile - FALLBACK_PENALTY * prediction.title_offset


# Soulmates ranked with confidence --------------------------------------------------------

# Two people with unrelated tastes differ by 100/3 percentiles on average (see TCI_CUTOFF).
UNRELATED_TCI = 100 / 3
# A TCI over few shared titles is mostly luck: three titles agreeing by chance is common,
# thirty is not. Shrinking by SOULMATE_SHRINK titles of "unrelated" means a TCI counts
# half at 10 shared titles, three quarters at 30: 3 titles at TCI 5 rank as 26.8, below
# 30 titles at TCI 8 (14.3). 10 is also the smallest number of ratings that gives a PSI.
SOULMATE_SHRINK = 10.0


def shrunk_tci(tci: float, common: int) -> float:
    """A TCI shrunk towards the unrelated value by the number of titles in common:
    ``(common * tci + SOULMATE_SHRINK * 33.3) / (common + SOULMATE_SHRINK)``."""
    return (common * tci + SOULMATE_SHRINK * UNRELATED_TCI) / (common + SOULMATE_SHRINK)
