"""K-fold evaluation of PSI against baselines and a standard recommender
(``manage.py evaluate_psi``).

Each fold's ratings are held out; from the other ratings this module recomputes what the
site stores (positions, offsets, agreements, the kept pairs and similar titles) with the
functions of ``taste.model`` and predicts each held-out rating with the formulas of
``taste.engine`` (the same arithmetic, set-based), under the site's rules: a PSI needs
MIN_RATINGS ratings with two different scores, a pair is kept when it shares
``engine.min_common`` titles, each title keeps its best ``engine.SIMILAR_KEEP`` similar
titles with at least ``engine.SIMILAR_MIN_COMMON`` raters in common.

Definitions (as in the research behind the model):

- folds: ``default_rng(seed).permutation(n) % folds``; errors on the 0-100 scale;
- baselines: global mean, title mean, user mean, user mean + title offset (mean of the
  title's ratings minus their raters' means), and a user KNN with mean-centring (MSD
  similarity ``1 / (1 + msd)`` on the score/25 scale, 40 neighbours; Surprise's
  KNNWithMeans);
- ranking: for each fold and each user with at least one *relevant* held-out title (the
  rating's position over ALL the user's ratings >= 75), every title the user did not rate
  in training is ranked (by rank_key for PSI); NDCG@10 with binary gains and
  ``1 / log2(rank + 1)``, ideal = min(10, relevant) hits on top, and precision@10 = hits /
  10, averaged over those (user, fold) pairs; against two rankings on the same folds:
  most rated, and highest average percentile (the title's training positions shrunk like
  the old title offset: ``49.5 + (sum - 49.5 n) / (n + 5)``), ties broken by the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from taste import engine, model

KNN_NEIGHBOURS = 40
TOP = 10
RELEVANT_POSITION = 75
POPULAR_SHRINK = 5.0


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
    total: int = 0  # held-out ratings, predicted or not

    def add(self, predicted: np.ndarray, actual: np.ndarray) -> None:
        ok = ~np.isnan(predicted)
        diff = predicted[ok] - actual[ok]
        self.squared += float(np.sum(diff * diff))
        self.absolute += float(np.sum(np.abs(diff)))
        self.count += int(ok.sum())
        self.total += len(predicted)

    @property
    def rmse(self) -> float:
        return math.sqrt(self.squared / self.count) if self.count else float("nan")

    @property
    def mae(self) -> float:
        return self.absolute / self.count if self.count else float("nan")

    @property
    def coverage(self) -> float:
        return self.count / self.total if self.total else 0.0


@dataclass
class Ranking:
    name: str
    ndcg_sum: float = 0.0
    precision_sum: float = 0.0
    count: int = 0

    @property
    def ndcg(self) -> float:
        return self.ndcg_sum / self.count if self.count else 0.0

    @property
    def precision(self) -> float:
        return self.precision_sum / self.count if self.count else 0.0


@dataclass
class Report:
    psi: Errors
    baselines: list[Errors]  # every method other than PSI, on all held-out ratings
    rankings: list[Ranking]  # PSI first, then the two non-personal rankings
    inside_range: float = 0.0  # share of covered held-out scores within low..high
    uncovered_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def best_baseline(self) -> Errors:
        return min(self.baselines, key=lambda e: e.rmse)

    @property
    def popular(self) -> Ranking:
        """The better of the two non-personal rankings."""
        return max(self.rankings[1:], key=lambda r: r.ndcg)


BASELINES = (
    "global mean",
    "title mean",
    "user mean",
    "user mean + title offset",
    "user KNN, mean-centred (k=40)",
)


@dataclass
class Fold:
    """One fold's training ratings (dense indices) and what the site would store."""

    n_users: int
    n_titles: int
    users: np.ndarray
    titles: np.ndarray
    scores: np.ndarray
    pos: np.ndarray
    b_u: np.ndarray = None
    b_t: np.ndarray = None
    R: np.ndarray = None  # residuals less the taste factors (what the adjustments read)
    x: np.ndarray = None  # taste factors per user
    y: np.ndarray = None  # taste factors per title
    w_users: np.ndarray = None
    w_titles: np.ndarray = None
    raters: list = None
    rated: list = None
    points: list = None
    can_predict: np.ndarray = None
    rated_titles: np.ndarray = None


def build(f: Fold) -> Fold:
    """Offsets, taste factors, agreements (kept under the site's rules), scale points."""
    f.b_u, f.b_t = model.offsets(f.users, f.titles, f.pos, f.n_users, f.n_titles)
    r = model.residuals(f.users, f.titles, f.pos, f.b_u, f.b_t)
    f.x, f.y = model.taste_factors(f.users, f.titles, r, f.n_users, f.n_titles)
    R, mask = model.residual_matrix(f.users, f.titles, r, f.n_users, f.n_titles)
    # agreements on the residuals; the adjustments on what the factors leave of them
    f.R = np.where(mask > 0, R - f.x @ f.y.T, 0.0)
    w, c = model.agreement(R, mask)
    n = np.bincount(f.users, minlength=f.n_users)
    need = np.maximum(
        engine.MIN_COMMON_FLOOR,
        np.minimum(
            engine.MIN_COMMON_CAP, np.floor(np.minimum.outer(n, n) * engine.MIN_COMMON_FRACTION)
        ),
    )
    w[c < need] = 0.0
    f.w_users = w
    wt, ct = model.agreement(R.T, mask.T)
    wt[ct < engine.SIMILAR_MIN_COMMON] = 0.0
    f.w_titles = model.top_k(wt, engine.SIMILAR_KEEP)
    f.raters = [np.flatnonzero(mask[:, t]) for t in range(f.n_titles)]
    f.rated = [np.flatnonzero(mask[u]) for u in range(f.n_users)]
    order = np.lexsort((f.scores, f.users))
    starts = np.searchsorted(f.users[order], np.arange(f.n_users + 1))
    sorted_scores = f.scores[order]
    f.points = [
        model.scale_points(sorted_scores[starts[u] : starts[u + 1]]) for u in range(f.n_users)
    ]
    distinct = np.array([len(p[0]) for p in f.points])
    f.can_predict = (n >= engine.MIN_RATINGS) & (distinct >= engine.MIN_POSITION_SCORES)
    f.rated_titles = np.bincount(f.titles[~np.isnan(f.pos)], minlength=f.n_titles) > 0
    return f


def _groups(keys: np.ndarray):
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.r_[True, keys[order][1:] != keys[order][:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        yield order[a:b]


def percentiles_for(f: Fold, u: np.ndarray, t: np.ndarray):
    """(q, spread, support, rank_key) for pairs (u, t), as ``engine.predict``."""
    n = len(u)
    a_user, wsum, wr, wr2, a_title, w_all = (np.zeros(n) for _ in range(6))
    for idx in _groups(t):
        title = t[idx[0]]
        raters = f.raters[title]
        if len(raters) == 0:
            continue
        block = f.w_users[np.ix_(u[idx], raters)]
        w_all[idx] = block.sum(1)
        a_user[idx], wsum[idx], wr[idx], wr2[idx] = model.adjustment(
            model.top_k(block, engine.NEIGHBOURS), f.R[raters, title], engine.NEIGHBOUR_SHRINK
        )
    for idx in _groups(u):
        user = u[idx[0]]
        rated = f.rated[user]
        if len(rated) == 0:
            continue
        block = model.top_k(f.w_titles[np.ix_(t[idx], rated)], engine.SIMILAR_TITLES)
        a_title[idx] = model.adjustment(block, f.R[user, rated], engine.SIMILAR_SHRINK)[0]
    factor = model.factor_products(u, t, f.x, f.y)
    q = np.clip(engine.MIDDLE + f.b_u[u] + f.b_t[t] + factor + a_user + a_title, 0.0, 99.0)
    spread, support, key = model.spread_and_rank(q, wsum, wr, wr2, w_all)
    return q, spread, support, key


def predict_scores(f: Fold, u: np.ndarray, t: np.ndarray):
    """(PSI, low, high) on 0-100 for pairs; NaN where the site shows "?"."""
    q, spread, _, _ = percentiles_for(f, u, t)
    psi, low, high = (np.full(len(u), np.nan) for _ in range(3))
    ok = f.can_predict[u] & f.rated_titles[t]
    for idx in _groups(u):
        idx = idx[ok[idx]]
        if len(idx) == 0:
            continue
        pp, ps = f.points[u[idx[0]]]
        psi[idx] = model.smooth_score(q[idx], pp, ps)
        low[idx] = model.to_score(q[idx] - spread[idx], pp, ps)
        high[idx] = model.to_score(q[idx] + spread[idx], pp, ps)
    return psi, low, high


def rank_keys(f: Fold) -> np.ndarray:
    """users x titles rank keys; -inf where there is no PSI."""
    u, t = np.divmod(np.arange(f.n_users * f.n_titles), f.n_titles)
    keys = percentiles_for(f, u, t)[3].reshape(f.n_users, f.n_titles)
    keys[~f.can_predict] = -np.inf
    keys[:, ~f.rated_titles] = -np.inf
    return keys


def baselines(f: Fold, u: np.ndarray, t: np.ndarray) -> list[np.ndarray]:
    n_u = np.bincount(f.users, minlength=f.n_users)
    g = f.scores.mean()
    user_mean = np.where(n_u > 0, np.bincount(f.users, f.scores, f.n_users) / np.maximum(n_u, 1), g)
    n_t = np.bincount(f.titles, minlength=f.n_titles)
    title_mean = np.where(
        n_t > 0, np.bincount(f.titles, f.scores, f.n_titles) / np.maximum(n_t, 1), g
    )
    resid = np.bincount(f.titles, f.scores - user_mean[f.users], f.n_titles) / np.maximum(n_t, 1)
    return [
        np.full(len(u), g),
        title_mean[t],
        user_mean[u],
        np.clip(user_mean[u] + resid[t], 0, 100),
        knn(f, u, t),
    ]


def knn(f: Fold, u: np.ndarray, t: np.ndarray, k: int = KNN_NEIGHBOURS) -> np.ndarray:
    """User-based KNN with mean-centring (MSD similarity on the score/25 scale)."""
    X = np.zeros((f.n_users, f.n_titles))
    mask = np.zeros((f.n_users, f.n_titles))
    X[f.users, f.titles] = f.scores / 25.0
    mask[f.users, f.titles] = 1.0
    mean = X.sum(1) / np.maximum(mask.sum(1), 1)
    X2 = X * X
    common = mask @ mask.T
    sq = X2 @ mask.T + mask @ X2.T - 2 * X @ X.T
    sim = np.where(common > 0, 1.0 / (1.0 + sq / np.maximum(common, 1)), 0.0)
    np.fill_diagonal(sim, 0)
    pred = mean[u].copy()
    raters_of = [np.flatnonzero(mask[:, x]) for x in range(f.n_titles)]
    for idx in _groups(t):
        title = t[idx[0]]
        raters = raters_of[title]
        if len(raters) == 0:
            continue
        W = model.top_k(sim[np.ix_(u[idx], raters)], k)
        ws = W.sum(1)
        ok = ws > 0
        dev = X[raters, title] - mean[raters]
        pred[idx[ok]] = mean[u[idx[ok]]] + (W[ok] @ dev) / ws[ok]
    return np.clip(pred * 25.0, 0, 100)


def ranking_metrics(f: Fold, keys: np.ndarray, rel_u: np.ndarray, rel_t: np.ndarray):
    """(sum of NDCG@10, sum of precision@10, users) over users with a relevant title.
    ``keys``: users x titles, or one titles vector for everyone (higher first)."""
    seen = np.zeros((f.n_users, f.n_titles), dtype=bool)
    seen[f.users, f.titles] = True
    relevant = np.zeros((f.n_users, f.n_titles), dtype=bool)
    relevant[rel_u, rel_t] = True
    users = np.flatnonzero(relevant.any(1))
    if len(users) == 0:
        return 0.0, 0.0, 0
    K = np.broadcast_to(keys, (f.n_users, f.n_titles)) if keys.ndim == 1 else keys
    K = np.where(seen, -np.inf, K)[users]
    top = np.argsort(-K, axis=1, kind="stable")[:, :TOP]
    hits = relevant[users[:, None], top]
    discount = 1.0 / np.log2(np.arange(2, TOP + 2))
    dcg = (hits * discount[: hits.shape[1]]).sum(1)
    ideal = np.array([discount[: min(TOP, m)].sum() for m in relevant[users].sum(1)])
    return float((dcg / ideal).sum()), float(hits.sum() / TOP), len(users)


def evaluate(data: Ratings, folds: int = 5, seed: int = 1, progress=None) -> Report:
    """Hold out each fold in turn and predict it from the rest, as the site would."""
    _, users = np.unique(data.user_ids, return_inverse=True)
    _, titles = np.unique(data.title_ids, return_inverse=True)
    n_users, n_titles = int(users.max()) + 1, int(titles.max()) + 1
    scores = data.scores.astype(np.float64)
    fold_of = np.random.default_rng(seed).permutation(len(scores)) % folds
    relevant = model.positions(users, scores) >= RELEVANT_POSITION

    psi = Errors("PSI")
    others = [Errors(name) for name in BASELINES]
    rankings = [Ranking(n) for n in ("PSI (rank key)", "most rated", "highest avg percentile")]
    reasons: dict[str, int] = {}
    inside = [0, 0]
    for fold in range(folds):
        train = fold_of != fold
        f = build(
            Fold(
                n_users,
                n_titles,
                users[train],
                titles[train],
                scores[train],
                model.positions(users[train], scores[train]),
            )
        )
        test = np.flatnonzero(~train)
        u, t, actual = users[test], titles[test], scores[test]
        predicted, low, high = predict_scores(f, u, t)
        psi.add(predicted, actual)
        ok = ~np.isnan(predicted)
        inside[0] += int(((actual >= low - 1e-9) & (actual <= high + 1e-9))[ok].sum())
        inside[1] += int(ok.sum())
        few = ~f.can_predict[u]
        for key, hit in (
            ("fewer than 10 ratings or one score", few),
            ("title without a rating in training", ~few & ~f.rated_titles[t]),
        ):
            if hit.any():
                reasons[key] = reasons.get(key, 0) + int(hit.sum())
        for errors, values in zip(others, baselines(f, u, t), strict=True):
            errors.add(values, actual)

        rel_u, rel_t = u[relevant[test]], t[relevant[test]]
        count = np.bincount(f.titles, minlength=n_titles).astype(float)
        has = ~np.isnan(f.pos)
        total = np.bincount(f.titles[has], f.pos[has], n_titles)
        n = np.bincount(f.titles[has], minlength=n_titles)
        average = engine.MIDDLE + (total - engine.MIDDLE * n) / (n + POPULAR_SHRINK)
        for ranking, keys in zip(
            rankings,
            (rank_keys(f), count + 1e-6 * average, average + 1e-6 * count),
            strict=True,
        ):
            nd, pr, m = ranking_metrics(f, keys, rel_u, rel_t)
            ranking.ndcg_sum += nd
            ranking.precision_sum += pr
            ranking.count += m
        if progress:
            progress(fold + 1, folds)

    return Report(
        psi=psi,
        baselines=others,
        rankings=rankings,
        inside_range=inside[0] / inside[1] if inside[1] else 0.0,
        uncovered_reasons=reasons,
    )
