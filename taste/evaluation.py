"""K-fold evaluation of PSI against simple baselines (``manage.py evaluate_psi``).

Each fold's ratings are held out; from the other ratings this module recomputes every
user's percentiles, every title's percentile aggregate and every pair's TCI (numpy, the
same rules as the SQL in ``taste.services``), then predicts each held-out rating by
calling the very functions the title page calls (``taste.engine``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from taste import engine


@dataclass
class Ratings:
    """All ratings as parallel arrays (database ids kept for tie-breaking)."""

    user_ids: np.ndarray  # int64 database ids
    title_ids: np.ndarray  # int64 database ids
    scores: np.ndarray  # float64, 0..100

    def __len__(self) -> int:
        return len(self.scores)


@dataclass
class Errors:
    name: str
    squared: float = 0.0
    absolute: float = 0.0
    count: int = 0

    def add(self, predicted: np.ndarray, actual: np.ndarray) -> None:
        diff = predicted - actual
        self.squared += float(np.sum(diff * diff))
        self.absolute += float(np.sum(np.abs(diff)))
        self.count += len(diff)

    @property
    def rmse(self) -> float:
        return math.sqrt(self.squared / self.count) if self.count else float("nan")

    @property
    def mae(self) -> float:
        return self.absolute / self.count if self.count else float("nan")


@dataclass
class Report:
    total: int
    covered: int
    psi: Errors
    baselines: list[Errors]  # on the ratings PSI covered
    baselines_all: list[Errors]  # on every held-out rating
    uncovered_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else 0.0


BASELINES = ("global mean", "title mean", "user mean", "user mean + title offset")


def training_percentiles(
    users: np.ndarray, scores: np.ndarray, minimum_distinct: int = engine.MIN_DISTINCT_SCORES
) -> np.ndarray:
    """Per-user percentiles (DESIGN.md rule) of the given ratings, NaN for users with
    fewer than ``minimum_distinct`` distinct scores. ``users`` are dense indices."""
    n = len(scores)
    result = np.full(n, np.nan)
    if n == 0:
        return result
    order = np.lexsort((scores, users))
    su, ss = users[order], scores[order]
    # Boundaries of each user's block and of each (user, score) run inside it.
    user_start = np.r_[True, su[1:] != su[:-1]]
    run_start = user_start | np.r_[True, ss[1:] != ss[:-1]]
    user_block = np.cumsum(user_start) - 1
    run_block = np.cumsum(run_start) - 1
    user_first = np.flatnonzero(user_start)
    run_first = np.flatnonzero(run_start)
    user_len = np.diff(np.r_[user_first, n])
    run_len = np.diff(np.r_[run_first, n])
    distinct = np.bincount(user_block, weights=run_start.astype(float)).astype(int)
    below = run_first[run_block] - user_first[user_block]
    equal = run_len[run_block]
    count = user_len[user_block]
    pct = np.floor(100 * (below + equal / 2) / count)
    pct[distinct[user_block] < minimum_distinct] = np.nan
    result[order] = pct
    return result


def pair_tcis(
    users: np.ndarray, titles: np.ndarray, pct: np.ndarray, n_users: int, n_titles: int
) -> tuple[np.ndarray, np.ndarray]:
    """(sum of |p_a - p_b|, titles in common) for every pair of users, from the ratings
    with a position (not NaN), accumulated title by title (cost: sum of raters squared)."""
    diff_sum = np.zeros((n_users, n_users), dtype=np.float64)
    common = np.zeros((n_users, n_users), dtype=np.int32)
    has = ~np.isnan(pct)
    u, t, p = users[has], titles[has], pct[has]
    order = np.argsort(t, kind="stable")
    u, t, p = u[order], t[order], p[order]
    bounds = np.flatnonzero(np.r_[True, t[1:] != t[:-1], True])
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        if end - start < 2:
            continue
        raters, values = u[start:end], p[start:end]
        block = np.ix_(raters, raters)
        diff_sum[block] += np.abs(values[:, None] - values[None, :])
        common[block] += 1
    return diff_sum, common


def evaluate(data: Ratings, folds: int = 5, seed: int = 1, progress=None) -> Report:
    """Hold out each fold in turn and predict it from the rest, as the site would."""
    user_index, users = np.unique(data.user_ids, return_inverse=True)
    title_index, titles = np.unique(data.title_ids, return_inverse=True)
    n_users, n_titles = len(user_index), len(title_index)
    scores = data.scores.astype(np.float64)
    rng = np.random.default_rng(seed)
    fold_of = rng.permutation(len(scores)) % folds

    psi = Errors("PSI")
    baselines = [Errors(name) for name in BASELINES]
    baselines_all = [Errors(name) for name in BASELINES]
    reasons: dict[str, int] = {}
    covered_total = 0

    for fold in range(folds):
        train = fold_of != fold
        test = ~train
        tu, tt, ts = users[train], titles[train], scores[train]
        # Stored percentiles (title aggregates) and the positions compared for taste
        # (percentiles, else the fallback positions of users without percentiles).
        tp = training_percentiles(tu, ts)
        fallback = training_percentiles(tu, ts, engine.MIN_POSITION_SCORES)
        tpos = np.where(np.isnan(tp), fallback, tp)
        ratings_count = np.bincount(tu, minlength=n_users)
        positioned_user = np.bincount(tu[~np.isnan(tpos)], minlength=n_users) > 0

        # Baselines on the 0-100 score scale.
        global_mean = float(ts.mean())
        user_sum = np.bincount(tu, weights=ts, minlength=n_users)
        user_mean = np.where(
            ratings_count > 0, user_sum / np.maximum(ratings_count, 1), global_mean
        )
        title_n = np.bincount(tt, minlength=n_titles)
        title_sum = np.bincount(tt, weights=ts, minlength=n_titles)
        title_mean = np.where(title_n > 0, title_sum / np.maximum(title_n, 1), global_mean)
        resid_sum = np.bincount(tt, weights=ts - user_mean[tu], minlength=n_titles)
        title_resid = np.where(title_n > 0, resid_sum / np.maximum(title_n, 1), 0.0)

        # What the site reads: title percentile aggregates, TCIs, own score lists.
        has = ~np.isnan(tp)
        pct_sum = np.bincount(tt[has], weights=tp[has], minlength=n_titles)
        pct_n = np.bincount(tt[has], minlength=n_titles)
        diff_sum, common = pair_tcis(tu, tt, tpos, n_users, n_titles)
        with np.errstate(invalid="ignore", divide="ignore"):
            tci = diff_sum / common
        need = np.maximum(
            engine.MIN_COMMON_FLOOR,
            np.minimum(
                engine.MIN_COMMON_CAP,
                np.floor(
                    np.minimum.outer(ratings_count, ratings_count) * engine.MIN_COMMON_FRACTION
                ),
            ),
        )
        valid = (common >= need) & (common > 0)
        np.fill_diagonal(valid, False)
        tci[~valid] = np.nan
        del diff_sum, need, valid

        order = np.argsort(tt, kind="stable")
        st, su, sp = tt[order], tu[order], tpos[order]
        title_start = np.searchsorted(st, np.arange(n_titles + 1))
        user_order = np.lexsort((ts, tu))
        user_scores = ts[user_order]
        user_start = np.searchsorted(tu[user_order], np.arange(n_users + 1))

        test_idx = np.flatnonzero(test)
        predicted = np.full(len(test_idx), np.nan)
        for k, i in enumerate(test_idx):
            u, t = users[i], titles[i]
            if ratings_count[u] < engine.MIN_RATINGS or not positioned_user[u]:
                key = (
                    "fewer than 10 ratings"
                    if ratings_count[u] < engine.MIN_RATINGS
                    else "every rating the same score"
                )
                reasons[key] = reasons.get(key, 0) + 1
                continue
            a, b = title_start[t], title_start[t + 1]
            raters, rater_pct = su[a:b], sp[a:b]
            row = tci[u, raters]
            ok = ~np.isnan(row) & ~np.isnan(rater_pct)
            candidates = [
                engine.Candidate(int(user_index[v]), float(x), int(c), int(p))
                for v, x, c, p in zip(
                    raters[ok], row[ok], common[u, raters[ok]], rater_pct[ok], strict=True
                )
            ]
            prediction = engine.predict_percentile(candidates, float(pct_sum[t]), int(pct_n[t]))
            if prediction is None:
                reasons["no compatible rater"] = reasons.get("no compatible rater", 0) + 1
                continue
            own = user_scores[user_start[u] : user_start[u + 1]]
            predicted[k] = engine.score_at_percentile(own, prediction.percentile)

        actual = scores[test_idx]
        bu, bt = users[test_idx], titles[test_idx]
        baseline_predictions = [
            np.full(len(test_idx), global_mean),
            title_mean[bt],
            user_mean[bu],
            np.clip(user_mean[bu] + title_resid[bt], 0, 100),
        ]
        hit = ~np.isnan(predicted)
        covered_total += int(hit.sum())
        psi.add(predicted[hit], actual[hit])
        for errors, errors_all, values in zip(
            baselines, baselines_all, baseline_predictions, strict=True
        ):
            errors.add(values[hit], actual[hit])
            errors_all.add(values, actual)
        if progress:
            progress(fold + 1, folds)

    return Report(
        total=len(scores),
        covered=covered_total,
        psi=psi,
        baselines=baselines,
        baselines_all=baselines_all,
        uncovered_reasons=reasons,
    )
