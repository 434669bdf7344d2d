"""A plain-Python reference implementation of the percentile rule, for the tests.

Deliberately written differently from the SQL: fractions, explicit counting loops.
"""

from __future__ import annotations

import math
from fractions import Fraction

from catalog.models import Title
from ratings.models import Rating


def reference_percentiles(scores: dict[int, int]) -> dict[int, int | None]:
    """{title_id: score} of one user -> {title_id: percentile or None}."""
    values = list(scores.values())
    if len(set(values)) < 5:
        return dict.fromkeys(scores)
    n = len(values)
    result = {}
    for title_id, score in scores.items():
        below = sum(1 for v in values if v < score)
        equal = sum(1 for v in values if v == score)
        result[title_id] = math.floor(100 * (below + Fraction(equal, 2)) / n)
    return result


def reference_state(
    ratings: dict[int, dict[int, int]],
) -> tuple[dict[tuple[int, int], int | None], dict[int, tuple[int, int, int]]]:
    """{user_id: {title_id: score}} -> percentile per (user, title) and, per title,
    (ratings_count, percentile_sum, percentile_count)."""
    percentiles: dict[tuple[int, int], int | None] = {}
    for user_id, scores in ratings.items():
        for title_id, pct in reference_percentiles(scores).items():
            percentiles[(user_id, title_id)] = pct
    per_title: dict[int, list[int | None]] = {}
    for (_user_id, title_id), pct in percentiles.items():
        per_title.setdefault(title_id, []).append(pct)
    aggregates = {}
    for title_id, pcts in per_title.items():
        known = [p for p in pcts if p is not None]
        aggregates[title_id] = (len(pcts), sum(known), len(known))
    return percentiles, aggregates


def assert_matches_reference(ratings: dict[int, dict[int, int]], title_ids) -> None:
    """Every stored score, percentile and title aggregate equals the reference."""
    expected_pcts, expected_aggs = reference_state(ratings)
    stored = {
        (r.user_id, r.title_id): (r.score, r.percentile)
        for r in Rating.objects.filter(title_id__in=title_ids)
    }
    expected = {key: (ratings[key[0]][key[1]], pct) for key, pct in expected_pcts.items()}
    assert stored == expected
    for title in Title.objects.filter(id__in=title_ids):
        count, total, known = expected_aggs.get(title.id, (0, 0, 0))
        stored_aggregate = (title.ratings_count, title.percentile_sum, title.percentile_count)
        assert stored_aggregate == (count, total, known), title.id
        if known:
            assert math.isclose(title.avg_percentile, total / known), title.id
        else:
            assert title.avg_percentile is None, title.id
