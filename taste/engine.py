"""The arithmetic of one probable score (PSI), in plain Python: the title page, its
explanation page and the stored PSIs of the recommendations page all call ``predict``.
The formulas and parameters are those of ``taste.model`` (the set-based numpy version
used by ``rebuild_all`` and ``evaluate_psi``); see its docstring for the model, step by step.

For user u and title t (percentiles on the 0..99 scale):

- ``q = clip(MIDDLE + b_u + b_t + F + A_user + A_title, 0, 99)`` with your offset b_u, the
  title's offset b_t, the taste-factors term ``F = x_u . y_t`` (your 4 factors times the
  title's), the neighbour adjustment ``A_user = sum w r' / (sum w + 1)`` over the 100
  raters of t you agree with most (w = agreement, r' = their residual on t less their
  factors times the title's) and the similar adjustment ``A_title = sum w r' / (sum w +
  3)`` over the 100 titles you rated most similar to t (w = title agreement, r' = your
  residual on that title less your factors times its);
- the PSI reads your own scale (``Scale``) at q, smoothed: ``1/4 L(q-25) + 1/2 L(q) + 1/4
  L(q+25)``; the range is ``L(q - s) .. L(q + s)``; recommendations are ordered by
  ``rank_key = q - 30 s (1 - support)``.

A PSI needs ``MIN_RATINGS`` ratings with at least two different scores, your offset
(computed by the worker), and a title someone with a position has rated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from taste import model
from taste.model import (
    MIDDLE,
    NEIGHBOUR_SHRINK,
    NEIGHBOURS,
    RANK_PENALTY,
    RANK_SHRINK,
    SIMILAR_SHRINK,
    SIMILAR_TITLES,
    SMOOTHING,
    SPREAD_PRIOR,
    SPREAD_PRIOR_WEIGHT,
    TCI_SHRINK,
    UNRELATED,
)

# A user's scores say something about order with at least 2 distinct scores (positions).
MIN_POSITION_SCORES = model.MIN_POSITION_SCORES
# Soulmates page: a TCI at or above this is shown greyed, as distant.
TCI_CUTOFF = 30.0
MIN_COMMON_FLOOR = 3
MIN_COMMON_FRACTION = 0.1
MIN_COMMON_CAP = 20
MIN_RATINGS = 10
MIN_DISTINCT_SCORES = 5
# Similar titles stored per title: a title needs this many raters in common with another
# (fewer carry almost no agreement: c / (c + 100) <= 0.03), and keeps its best
# SIMILAR_KEEP by agreement, enough that a member's rated titles include dozens of them
# for the similar-titles term (which uses up to SIMILAR_TITLES).
SIMILAR_MIN_COMMON = 3
SIMILAR_KEEP = 200


# Co-raters compared per title (``settings.TASTE_PAIR_RATERS_PER_TITLE``): a title with
# more raters (with a position) than the cap counts towards a pair only when BOTH of its
# members are in the title's sample: rater v of title t is in it when
# ``sample_slot(v, t, n_t) < cap`` (n_t: the title's raters, ``TitleTaste.raters_count``),
# a fixed hash, so about ``cap`` raters per title, the same from either member's side and
# in the set-based rebuild. A member's refresh then joins at most about ``cap`` co-raters
# per title they rated. The same formula in SQL (``sample_slot_sql``) and numpy.
SAMPLE_MULTIPLIER_USER = 2654435761
SAMPLE_MULTIPLIER_TITLE = 40503
SAMPLE_MODULUS = 2**31


def sample_slot(user_id, title_id, raters):
    """The rater's slot in the title's sample (ints or int64 arrays)."""
    mixed = (user_id * SAMPLE_MULTIPLIER_USER + title_id * SAMPLE_MULTIPLIER_TITLE) % SAMPLE_MODULUS
    return mixed % raters


def sample_slot_sql(user_id: str, title_id: str, raters: str) -> str:
    """``sample_slot`` in SQL over bigint columns (no overflow below 3e9 ids)."""
    return (
        f"mod(mod(({user_id})::bigint * {SAMPLE_MULTIPLIER_USER} + ({title_id})::bigint * "
        f"{SAMPLE_MULTIPLIER_TITLE}, {SAMPLE_MODULUS}), GREATEST({raters}, 1))"
    )


def min_common(ratings_a: int, ratings_b: int) -> int:
    """Titles two users must share before their pair is stored (TCI, agreement): 3,
    growing by one for every 10 ratings of the user with fewer ratings, up to 20.

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


def rounded(score: float) -> int:
    """A 0-100 PSI as the whole number shown (halves up, like PostgreSQL's round)."""
    return math.floor(score + 0.5)


def shrunk_tci(tci: float, common: int) -> float:
    """``(c TCI + TCI_SHRINK x 33.3) / (c + TCI_SHRINK)``: soulmates are ranked by it."""
    return (common * tci + TCI_SHRINK * UNRELATED) / (common + TCI_SHRINK)


def agreement(cross: float, own_sq: float, their_sq: float, common: int) -> float:
    """``max(0, rho) * c / (c + 100)``, rho = cross / sqrt(own_sq * their_sq)."""
    return float(model.agreement_from_sums(cross, own_sq, their_sq, common))


# Your own scale ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """The corners of your scale: (percentile, score) of each distinct score you gave."""

    percentiles: tuple[float, ...]
    scores: tuple[float, ...]

    @classmethod
    def of(cls, scores: Sequence[float]) -> Scale:
        points_p, points_s = model.scale_points(list(scores))
        return cls(tuple(float(p) for p in points_p), tuple(float(s) for s in points_s))

    def line(self, q: float) -> float:
        """L(q): straight lines between the corners, flat beyond the first and last."""
        return float(model.to_score(q, self.percentiles, self.scores))

    def smooth(self, q: float) -> float:
        """The PSI: 1/4 L(q - h) + 1/2 L(q) + 1/4 L(q + h), h = SMOOTHING."""
        return float(model.smooth_score(q, self.percentiles, self.scores, SMOOTHING))

    def segment(self, q: float) -> tuple[int, int]:
        """Indices of the corners L(q) lies between (equal when flat beyond an end)."""
        points = self.percentiles
        if q <= points[0]:
            return 0, 0
        if q >= points[-1]:
            return len(points) - 1, len(points) - 1
        high = next(i for i, p in enumerate(points) if p >= q)
        return high - 1, high


# One prediction ---------------------------------------------------------------------


Factors = Sequence[float]


def factor_product(a: Factors | None, b: Factors | None) -> float:
    """``a . b``; 0 while either side has no factors yet (not computed, or a title
    nobody with a position had rated at the last fit)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return float(sum(x * y for x, y in zip(a, b, strict=True)))


@dataclass(frozen=True)
class Neighbour:
    """A rater of the title you agree with (agreement > 0)."""

    user_id: int
    agreement: float
    common: int
    position: float
    user_offset: float
    factor: float  # their factors . the title's
    residual: float  # position - MIDDLE - their offset - title offset - factor


@dataclass(frozen=True)
class SimilarRated:
    """A title you rated that is like this one (title agreement > 0)."""

    title_id: int
    agreement: float
    position: float
    title_offset: float
    factor: float  # your factors . its
    residual: float  # your position - MIDDLE - your offset - its offset - factor


def neighbour(
    user_id,
    agreement_,
    common,
    position,
    their_offset,
    title_offset,
    their_factors: Factors | None = None,
    title_factors: Factors | None = None,
) -> Neighbour:
    factor = factor_product(their_factors, title_factors)
    return Neighbour(
        user_id,
        agreement_,
        common,
        position,
        their_offset,
        factor,
        position - MIDDLE - their_offset - title_offset - factor,
    )


def similar_rated(
    title_id,
    agreement_,
    position,
    its_offset,
    user_offset,
    its_factors: Factors | None = None,
    your_factors: Factors | None = None,
) -> SimilarRated:
    factor = factor_product(your_factors, its_factors)
    return SimilarRated(
        title_id,
        agreement_,
        position,
        its_offset,
        factor,
        position - MIDDLE - user_offset - its_offset - factor,
    )


@dataclass
class Prediction:
    """Every term of a PSI (see the module docstring)."""

    title_offset: float
    user_offset: float
    factor_adjustment: float = 0.0  # F = your factors . the title's
    user_factors: tuple[float, ...] = ()
    title_factors: tuple[float, ...] = ()
    neighbours: list[Neighbour] = field(default_factory=list)
    neighbour_weight_sum: float = 0.0
    neighbour_weighted_sum: float = 0.0
    neighbour_adjustment: float = 0.0
    similar: list[SimilarRated] = field(default_factory=list)
    similar_weight_sum: float = 0.0
    similar_weighted_sum: float = 0.0
    similar_adjustment: float = 0.0
    unclipped: float = MIDDLE
    percentile: float = MIDDLE  # q
    support_weight: float = 0.0  # W: agreement summed over every rater of the title
    support: float = 0.0
    spread: float = SPREAD_PRIOR
    rank_key: float = MIDDLE
    score: float = 0.0  # the PSI, 0-100
    low: float = 0.0
    high: float = 0.0

    @property
    def clamped(self) -> bool:
        """True when the sum fell outside 0..99 and was kept within it."""
        return self.percentile != self.unclipped

    @property
    def deviation_sum(self) -> float:
        """sum w (r - m)^2 over the neighbours, m their weighted mean residual: the
        numerator of the spread."""
        m = self.neighbour_mean
        return sum(n.agreement * (n.residual - m) ** 2 for n in self.neighbours)

    @property
    def neighbour_mean(self) -> float:
        """m = sum w r / sum w: what the neighbours say on average (0 without any)."""
        if self.neighbour_weight_sum <= 0:
            return 0.0
        return self.neighbour_weighted_sum / self.neighbour_weight_sum


def choose_neighbours(candidates: Sequence[Neighbour]) -> list[Neighbour]:
    """The NEIGHBOURS raters with the largest agreement (more titles in common first on
    ties, then lower user id)."""
    ranked = sorted(candidates, key=lambda c: (-c.agreement, -c.common, c.user_id))
    return [c for c in ranked if c.agreement > 0][:NEIGHBOURS]


def choose_similar(candidates: Sequence[SimilarRated]) -> list[SimilarRated]:
    """The SIMILAR_TITLES titles you rated with the largest agreement with this one."""
    ranked = sorted(candidates, key=lambda c: (-c.agreement, c.title_id))
    return [c for c in ranked if c.agreement > 0][:SIMILAR_TITLES]


def predict(
    user_offset: float,
    title_offset: float,
    neighbours: Sequence[Neighbour],
    similar: Sequence[SimilarRated],
    scale: Scale,
    support_weight: float | None = None,
    user_factors: Factors | None = None,
    title_factors: Factors | None = None,
) -> Prediction:
    """A PSI and all its terms. ``neighbours`` are raters of the title you agree with,
    ``similar`` titles you rated like it (both chosen here, the best 100 of each);
    ``support_weight`` W defaults to the agreement summed over ``neighbours`` (pass it
    when only the best of many raters were read)."""
    p = Prediction(
        title_offset=title_offset,
        user_offset=user_offset,
        factor_adjustment=factor_product(user_factors, title_factors),
        user_factors=tuple(user_factors or ()),
        title_factors=tuple(title_factors or ()),
    )
    p.neighbours = choose_neighbours(neighbours)
    p.neighbour_weight_sum = sum(n.agreement for n in p.neighbours)
    p.neighbour_weighted_sum = sum(n.agreement * n.residual for n in p.neighbours)
    p.neighbour_adjustment = p.neighbour_weighted_sum / (p.neighbour_weight_sum + NEIGHBOUR_SHRINK)
    p.similar = choose_similar(similar)
    p.similar_weight_sum = sum(s.agreement for s in p.similar)
    p.similar_weighted_sum = sum(s.agreement * s.residual for s in p.similar)
    p.similar_adjustment = p.similar_weighted_sum / (p.similar_weight_sum + SIMILAR_SHRINK)
    p.unclipped = (
        MIDDLE
        + user_offset
        + title_offset
        + p.factor_adjustment
        + p.neighbour_adjustment
        + p.similar_adjustment
    )
    p.percentile = min(99.0, max(0.0, p.unclipped))
    if support_weight is None:
        support_weight = sum(n.agreement for n in neighbours if n.agreement > 0)
    p.support_weight = support_weight
    p.spread = math.sqrt(
        (p.deviation_sum + SPREAD_PRIOR_WEIGHT * SPREAD_PRIOR**2)
        / (p.neighbour_weight_sum + SPREAD_PRIOR_WEIGHT)
    )
    p.support = support_weight / (support_weight + RANK_SHRINK)
    p.rank_key = p.percentile - RANK_PENALTY * p.spread * (1 - p.support)
    p.score = scale.smooth(p.percentile)
    p.low = scale.line(p.percentile - p.spread)
    p.high = scale.line(p.percentile + p.spread)
    return p
