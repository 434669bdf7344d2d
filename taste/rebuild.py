"""Rebuild every taste table at once, set-based (``manage.py rebuild_taste``).

The per-user path (``taste.services.refresh_user_*``, run by the worker after someone
rates) reads a few hundred rows through SQL. Rebuilding every user that way is quadratic
in the database: at 1,000,000 ratings the all-pairs self-join alone is ~290 million
joined rows. Here the ratings are read ONCE (binary COPY into numpy arrays) and
everything is computed with ``taste.model``'s formulas over arrays, in blocks of rows so
memory stays bounded, then written back with binary COPY, one transaction per table:

1. ratings -> positions (the stored percentile, or the fallback position of a user
   without percentiles: ``taste_position``), offsets b_u and b_t, residuals, and the
   taste factors x_u and y_t (``model.taste_factors``, vectorised ridge regressions);
2. user pairs, in blocks of users against everyone, over each title's sample of
   raters (``engine.sample_slot``; every rater of a title with at most
   ``TASTE_PAIR_RATERS_PER_TITLE``): titles in common c, sum |p_u - p_v|,
   sum r_u r_v, sum r_u^2, sum r_v^2 over the titles both rated -> TCI, shrunk TCI and
   agreement. A pair is stored when it has ``engine.min_common`` titles in common and is
   among either user's NEIGHBOURS_KEEP best by agreement or SOULMATES_KEEP best by
   shrunk TCI;
3. title pairs, in blocks of titles: the same sums over raters in common -> each title's
   ``services.SIMILAR_KEEP`` best by title agreement (at least SIMILAR_MIN_COMMON raters);
4. stored PSIs, in blocks of users: the neighbour and similar-title sums of
   ``engine.predict`` (over the residuals less the taste factors, plus the factors term
   x_u . y_t) for every (user, title) as sparse matrix products over the STORED
   pairs and similar titles (exactly what the per-user SQL reads), with the best-100 cut
   of ``engine.choose_neighbours``/``choose_similar`` applied where more than 100 qualify;
   each user keeps their PREDICTIONS_KEEP titles with the highest rank_key.

The outputs are the per-user path's (tests/taste/test_rebuild.py compares them on
generated data, tests/taste/test_bounded_refresh.py with the cuts binding): the per-user
refresh samples the same raters per title, keeps the same best pairs (reading the other
member's floor, written here too) and the same best PREDICTIONS_KEEP PSIs.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import scipy.sparse as sparse
from django.db import connection, transaction
from django.utils import timezone

from core import cache as section_cache
from ratings.models import Rating
from taste import engine, model, services
from taste.models import (
    Compatibility,
    FallbackPosition,
    Prediction,
    TasteProfile,
    TitleSimilarity,
    TitleTaste,
)
from taste.services import (
    DELETE_ALL_PENDING_SQL,
    DELETE_CHANGES_UNTIL_SQL,
    SET_PROFILE_FACTORS_SQL,
    SET_TITLE_TASTE_FACTORS_SQL,
    SIMILAR_KEEP,
    SIMILAR_MIN_COMMON,
)

RATINGS = Rating._meta.db_table
PAIRS = Compatibility._meta.db_table
SIMILAR = TitleSimilarity._meta.db_table
PREDICTIONS = Prediction._meta.db_table
PROFILES = TasteProfile._meta.db_table
TITLE_TASTE = TitleTaste._meta.db_table
FALLBACK = FallbackPosition._meta.db_table

# Pairs kept per user: the best by agreement (the PSI neighbours, engine.NEIGHBOURS of
# them are used per title) and the best by shrunk TCI (the soulmates page shows 50).
# (The per-user refresh keeps the same: ``services.kept_pairs``.)
NEIGHBOURS_KEEP = services.NEIGHBOURS_KEEP
SOULMATES_KEEP = services.SOULMATES_KEEP
# Stored PSIs per user, by rank_key (the per-user refresh keeps as many).
PREDICTIONS_KEEP = services.PREDICTIONS_KEEP
# Memory bounds: pairs expanded at once (each ~60 bytes of temporaries) and cells of the
# dense (rows x columns) sums of one block (each 8 bytes, ~8 such arrays at once).
PAIRS_PER_BLOCK = 4_000_000
CELLS_PER_BLOCK = 4_000_000

# Every rating, fixed-width so binary COPY rows can be read straight into numpy: the
# missing percentile (a user with fewer than 5 distinct scores) comes as -1.
READ_RATINGS_SQL = f"""
COPY (SELECT user_id::int8, title_id::int8, score::int2, coalesce(percentile, -1)::int2
        FROM {RATINGS}) TO STDOUT (FORMAT binary)
"""
_READ_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("l1", ">i4"),
        ("user", ">i8"),
        ("l2", ">i4"),
        ("title", ">i8"),
        ("l3", ">i4"),
        ("score", ">i2"),
        ("l4", ">i4"),
        ("percentile", ">i2"),
    ]
)
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# A table's foreign keys (name, definition), dropped and added back around its COPY.
FOREIGN_KEYS_SQL = """
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname
"""
# Deferred key checks of rows written earlier in the same transaction (the tests' one
# transaction) run now: a table with pending checks cannot be altered.
CHECK_PENDING_KEYS_SQL = "SET CONSTRAINTS ALL IMMEDIATE"
# The table is locked by then (its keys were dropped): emptying it is TRUNCATE, which
# leaves no dead rows behind.
TRUNCATE_SQL = "TRUNCATE {table}"

# Profiles: counts and last rating time per rated user from SQL, the offset and number
# of stored pairs from the arrays; users who have no ratings any more keep their row.
UPSERT_PROFILES_SQL = f"""
INSERT INTO {PROFILES} (user_id, ratings_count, ratings_updated_at, compatible_count,
                        user_offset, computed_at)
SELECT r.user_id, count(*), max(r.updated_at), x.compatible, x.b, %(now)s
  FROM {RATINGS} AS r
  JOIN unnest(%(users)s::bigint[], %(offsets)s::float8[], %(compatible)s::int[])
       AS x(u, b, compatible) ON x.u = r.user_id
 GROUP BY r.user_id, x.compatible, x.b
ON CONFLICT (user_id) DO UPDATE
   SET ratings_count = EXCLUDED.ratings_count,
       ratings_updated_at = EXCLUDED.ratings_updated_at,
       compatible_count = EXCLUDED.compatible_count, user_offset = EXCLUDED.user_offset,
       computed_at = EXCLUDED.computed_at
"""

# Every user's floors (``services.KEPT_BY_OTHERS_SQL``); NULL where they keep fewer.
SET_FLOORS_SQL = f"""
UPDATE {PROFILES} AS t
   SET neighbour_floor = x.nf, neighbour_floor_id = x.nid,
       soulmate_floor = x.sf, soulmate_floor_id = x.sid
  FROM unnest(%(users)s::bigint[], %(nf)s::float8[], %(nid)s::bigint[], %(sf)s::float8[],
              %(sid)s::bigint[]) AS x(u, nf, nid, sf, sid)
 WHERE t.user_id = x.u
"""


def floor_parameters(user_ids: np.ndarray, floors: Floors) -> dict:
    def values(array):
        return [None if np.isnan(v) else float(v) for v in array]

    def ids(array):
        return [None if i < 0 else int(user_ids[i]) for i in array]

    return {
        "users": user_ids.tolist(),
        "nf": values(floors.neighbour),
        "nid": ids(floors.neighbour_other),
        "sf": values(floors.soulmate),
        "sid": ids(floors.soulmate_other),
    }


# Progress ----------------------------------------------------------------------------


class Progress:
    """One line per step: elapsed time, phase, a bar, percent and counts.

    ``say`` receives each line (the command's stdout); a phase prints at most one line
    per tenth of its total, plus its last."""

    WIDTH = 20

    def __init__(self, say=None):
        self.say = say or (lambda line: None)
        self.started = time.monotonic()
        self.phase = ""
        self.total = 0
        self.shown = -1

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self, message: str) -> None:
        self.say(f"[{self.elapsed():7.1f}s] {message}")

    def start(self, phase: str, total: int) -> None:
        self.phase, self.total, self.shown = phase, total, -1

    def step(self, done: int) -> None:
        tenth = 10 * done // self.total if self.total else 10
        if tenth == self.shown and done < self.total:
            return
        self.shown = tenth
        share = done / self.total if self.total else 1.0
        filled = round(self.WIDTH * share)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.line(f"{self.phase:<16} [{bar}] {100 * share:3.0f}% {done:,}/{self.total:,}")


# Reading -----------------------------------------------------------------------------


@dataclass
class Ratings:
    """Every rating as arrays, users and titles numbered densely (ids sorted)."""

    user_ids: np.ndarray  # dense user index -> id
    title_ids: np.ndarray
    user: np.ndarray  # per rating: dense user index
    title: np.ndarray
    score: np.ndarray
    position: np.ndarray  # stored percentile or fallback position; NaN when none
    fallback: np.ndarray  # per rating: True when the position is a fallback one
    ratings_count: np.ndarray = field(init=False)  # per user, every rating
    distinct: np.ndarray = field(init=False)  # per user, distinct scores

    def __post_init__(self):
        n_users = len(self.user_ids)
        self.ratings_count = np.bincount(self.user, minlength=n_users)
        order = np.lexsort((self.score, self.user))
        su, ss = self.user[order], self.score[order]
        new = np.r_[True, (su[1:] != su[:-1]) | (ss[1:] != ss[:-1])] if len(su) else su
        self.distinct = np.bincount(su, weights=new, minlength=n_users).astype(np.int64)


def read_ratings(cursor) -> Ratings:
    """Every rating in one binary COPY (no Python object per row)."""
    chunks = []
    with cursor.copy(READ_RATINGS_SQL) as copy:
        for chunk in copy:
            chunks.append(bytes(chunk))
    data = b"".join(chunks)
    raw = np.zeros(0, dtype=_READ_ROW)
    if data:
        if not data.startswith(_COPY_SIGNATURE):
            raise RuntimeError("unexpected COPY header")
        extension = int.from_bytes(data[15:19], "big")
        body = data[19 + extension : -2]  # the trailer is the int16 -1
        raw = np.frombuffer(body, dtype=_READ_ROW)
    return ratings_from_arrays(
        raw["user"].astype(np.int64),
        raw["title"].astype(np.int64),
        raw["score"].astype(np.int64),
        raw["percentile"].astype(np.int64),
    )


def ratings_from_arrays(users, titles, scores, percentiles) -> Ratings:
    """Positions as ``taste_position`` gives them: the stored percentile; for a user with
    no percentile at all and at least two distinct scores, the same rule applied to
    their scores anyway (``FallbackPosition``); else none."""
    user_ids, user = np.unique(users, return_inverse=True)
    title_ids, title = np.unique(titles, return_inverse=True)
    position = np.where(percentiles >= 0, percentiles, np.nan).astype(float)
    with_percentile = np.bincount(user, weights=percentiles >= 0, minlength=len(user_ids))
    fallback = with_percentile[user] == 0
    if fallback.any():
        fallback_positions = model.positions(user[fallback], scores[fallback].astype(float))
        position[fallback] = fallback_positions
    fallback &= ~np.isnan(position)
    return Ratings(user_ids, title_ids, user, title, scores, position, fallback)


# Pair sums in blocks ------------------------------------------------------------------


class PairSums:
    """Sums over shared groups between rows (users over titles, or titles over users),
    computed for a block of rows against every row by expanding each rating of the block
    into one entry per other rating of its group (cost: sum of group sizes squared)."""

    def __init__(self, row, group, p, r, n_rows, n_groups):
        self.n_rows = n_rows
        by_row = np.lexsort((group, row))
        self.row, self.group = row[by_row], group[by_row]
        self.p, self.r = p[by_row], r[by_row]
        self.row_count = np.bincount(row, minlength=n_rows)
        self.row_start = np.r_[0, np.cumsum(self.row_count)[:-1]]
        by_group = np.lexsort((row, group))
        self.g_member = row[by_group]
        self.g_p, self.g_r = p[by_group], r[by_group]
        self.g_count = np.bincount(group, minlength=n_groups)
        self.g_start = np.r_[0, np.cumsum(self.g_count)[:-1]]
        self.row_pairs = np.bincount(row, weights=self.g_count[group], minlength=n_rows)

    def blocks(self) -> list[tuple[int, int]]:
        """Consecutive row ranges within PAIRS_PER_BLOCK entries and CELLS_PER_BLOCK."""
        max_rows = max(1, CELLS_PER_BLOCK // max(self.n_rows, 1))
        out, lo, total = [], 0, 0.0
        for i in range(self.n_rows):
            if i > lo and (total + self.row_pairs[i] > PAIRS_PER_BLOCK or i - lo >= max_rows):
                out.append((lo, i))
                lo, total = i, 0.0
            total += self.row_pairs[i]
        if lo < self.n_rows:
            out.append((lo, self.n_rows))
        return out

    def sums(self, lo: int, hi: int):
        """(c, sum r_a r_b, sum r_a^2, sum r_b^2, sum |p_a - p_b|) of rows lo..hi against
        every row, each an array (hi - lo, n_rows), over the groups both have."""
        a0 = self.row_start[lo]
        a1 = self.row_start[hi - 1] + self.row_count[hi - 1]
        a_group = self.group[a0:a1]
        counts = self.g_count[a_group]
        first = np.cumsum(counts) - counts
        other = np.arange(int(counts.sum())) - np.repeat(first - self.g_start[a_group], counts)
        key = np.repeat((self.row[a0:a1] - lo) * self.n_rows, counts) + self.g_member[other]
        cells = (hi - lo) * self.n_rows
        shape = (hi - lo, self.n_rows)
        ra = np.repeat(self.r[a0:a1], counts)
        rb = self.g_r[other]
        common = np.bincount(key, minlength=cells).reshape(shape)
        cross = np.bincount(key, weights=ra * rb, minlength=cells).reshape(shape)
        own = np.bincount(key, weights=ra * ra, minlength=cells).reshape(shape)
        theirs = np.bincount(key, weights=rb * rb, minlength=cells).reshape(shape)
        del ra, rb
        difference = np.abs(np.repeat(self.p[a0:a1], counts) - self.g_p[other])
        diff = np.bincount(key, weights=difference, minlength=cells).reshape(shape)
        return common, cross, own, theirs, diff


def best_per_row(score: np.ndarray, keep: int, valid: np.ndarray):
    """(row, column) of the ``keep`` largest scores of each row among valid cells; among
    equal scores at the cut, the lower columns (so the per-user refresh, which breaks
    ties by the lower user id, keeps the same pairs)."""
    masked = np.where(valid, score, -np.inf)
    if masked.shape[1] > keep:
        kth = -np.partition(-masked, keep - 1, axis=1)[:, keep - 1 : keep]
        above = masked > kth
        tie = masked == kth
        room = keep - above.sum(axis=1, keepdims=True)
        take = above | (tie & (np.cumsum(tie, axis=1) <= room))
    else:
        take = np.ones(masked.shape, dtype=bool)
    take &= np.isfinite(masked)
    return np.nonzero(take)


def agreement_block(common, cross, own, theirs, lo: int):
    """``model.agreement_from_sums`` for a block, 0 against itself (rows lo..)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        w = model.agreement_from_sums(cross, own, theirs, common)
    w = np.nan_to_num(w)
    w[np.arange(w.shape[0]), np.arange(lo, lo + w.shape[0])] = 0.0
    return w


@dataclass
class Floors:
    """Per user (dense index): the agreement and the shrunk TCI of the last pair kept
    among their best (NaN, -1: fewer than kept), and the other user (dense index)."""

    neighbour: np.ndarray
    neighbour_other: np.ndarray
    soulmate: np.ndarray
    soulmate_other: np.ndarray


def last_kept(rows, cols, score, keep: int):
    """Per row of a block: (score, column) of the last of its ``keep`` best (the lowest
    score, then the highest column: ``best_per_row``'s order); NaN, -1 when fewer."""
    n_rows = score.shape[0]
    value, other = np.full(n_rows, np.nan), np.full(n_rows, -1)
    if len(rows):
        order = np.lexsort((-cols, score[rows, cols], rows))
        r, c = rows[order], cols[order]
        first = np.r_[True, r[1:] != r[:-1]]
        value[r[first]], other[r[first]] = score[r[first], c[first]], c[first]
    short = np.bincount(rows, minlength=n_rows) < keep
    value[short], other[short] = np.nan, -1
    return value, other


@dataclass
class Pairs:
    """Stored user pairs (dense indices a < b) with their numbers."""

    a: np.ndarray
    b: np.ndarray
    common: np.ndarray
    diff: np.ndarray
    agreement: np.ndarray
    floors: Floors | None = None

    @property
    def tci(self):
        return self.diff / self.common

    @property
    def tci_shrunk(self):
        return model.shrunk_tci(self.diff, self.common)


def in_pair_sample(ratings: Ratings, p) -> np.ndarray:
    """Per rating: it has a position and is in its title's sample of raters compared for
    pairs (every rater of a title with at most ``TASTE_PAIR_RATERS_PER_TITLE``)."""
    has = ~np.isnan(p)
    cap = services.pair_raters_cap()
    raters = np.bincount(ratings.title[has], minlength=len(ratings.title_ids))[ratings.title]
    slot = engine.sample_slot(
        ratings.user_ids[ratings.user], ratings.title_ids[ratings.title], np.maximum(raters, 1)
    )
    return has & ((raters <= cap) | (slot < cap))


def user_pairs(ratings: Ratings, p, r, progress: Progress) -> Pairs:
    """Step 2 of the module docstring, over each title's sample of raters
    (``engine.sample_slot``, as the per-user refresh)."""
    n_users, n_titles = len(ratings.user_ids), len(ratings.title_ids)
    has = in_pair_sample(ratings, p)
    sums = PairSums(ratings.user[has], ratings.title[has], p[has], r[has], n_users, n_titles)
    n = ratings.ratings_count
    found = []
    # Each user's last kept pair by agreement and by shrunk TCI (score, dense column).
    neighbour_floor = (np.full(n_users, np.nan), np.full(n_users, -1))
    soulmate_floor = (np.full(n_users, np.nan), np.full(n_users, -1))
    blocks = sums.blocks()
    progress.start("user pairs", n_users)
    for lo, hi in blocks:
        common, cross, own, theirs, diff = sums.sums(lo, hi)
        w = agreement_block(common, cross, own, theirs, lo)
        fewer = np.minimum(n[lo:hi, None], n[None, :])
        need = np.maximum(
            engine.MIN_COMMON_FLOOR,
            np.minimum(engine.MIN_COMMON_CAP, np.floor(fewer * engine.MIN_COMMON_FRACTION)),
        )
        valid = (common >= need) & (common > 0)
        valid[np.arange(hi - lo), np.arange(lo, hi)] = False
        rows1, cols1 = best_per_row(w, NEIGHBOURS_KEEP, valid & (w > 0))
        shrunk = model.shrunk_tci(diff, common)
        rows2, cols2 = best_per_row(-shrunk, SOULMATES_KEEP, valid)
        rows, cols = np.r_[rows1, rows2], np.r_[cols1, cols2]
        found.append((rows + lo, cols, common[rows, cols], diff[rows, cols], w[rows, cols]))
        for floor, (value, col) in (
            (neighbour_floor, last_kept(rows1, cols1, w, NEIGHBOURS_KEEP)),
            (soulmate_floor, last_kept(rows2, cols2, -shrunk, SOULMATES_KEEP)),
        ):
            floor[0][lo:hi], floor[1][lo:hi] = value, col
        progress.step(hi)
    floors = Floors(neighbour_floor[0], neighbour_floor[1], -soulmate_floor[0], soulmate_floor[1])
    if not found:
        return Pairs(
            *(np.zeros(0, dtype=kind) for kind in (np.int64, np.int64, int, float, float)),
            floors=floors,
        )
    a, b, c, d, w = (np.concatenate(parts) for parts in zip(*found, strict=True))
    # Each pair once, numbers from the lower user's row (the per-user SQL sums in its own
    # order too: equal within float rounding).
    low, high = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((a != low, high, low))
    low, high, c, d, w = low[order], high[order], c[order], d[order], w[order]
    first = np.r_[True, (low[1:] != low[:-1]) | (high[1:] != high[:-1])]
    return Pairs(low[first], high[first], c[first], d[first], w[first], floors=floors)


@dataclass
class Similar:
    """Stored similar titles (dense indices): title -> similar, best first per title."""

    title: np.ndarray
    similar: np.ndarray
    score: np.ndarray
    common: np.ndarray
    diff: np.ndarray


def title_pairs(ratings: Ratings, p, r, progress: Progress) -> Similar:
    """Step 3 of the module docstring."""
    n_users, n_titles = len(ratings.user_ids), len(ratings.title_ids)
    has = ~np.isnan(p)
    sums = PairSums(ratings.title[has], ratings.user[has], p[has], r[has], n_titles, n_users)
    found = []
    progress.start("similar titles", n_titles)
    for lo, hi in sums.blocks():
        common, cross, own, theirs, diff = sums.sums(lo, hi)
        w = agreement_block(common, cross, own, theirs, lo)
        rows, cols = best_per_row(w, SIMILAR_KEEP, (w > 0) & (common >= SIMILAR_MIN_COMMON))
        found.append((rows + lo, cols, w[rows, cols], common[rows, cols], diff[rows, cols]))
        progress.step(hi)
    if not found:
        return Similar(
            *(np.zeros(0, dtype=kind) for kind in (np.int64, np.int64, float, int, float))
        )
    t, j, w, c, d = (np.concatenate(parts) for parts in zip(*found, strict=True))
    order = np.lexsort((j, -w, t))  # engine.choose_similar order within each title
    return Similar(t[order], j[order], w[order], c[order], d[order])


# Predictions ---------------------------------------------------------------------------


def _dropped_beyond(weights, rated, values, limit: int, axis: int):
    """Sums (w, w v, w v^2) of the rated entries beyond the first ``limit`` along ``axis``
    (entries listed best first): what the best-``limit`` cut leaves out of a full sum."""
    beyond = (np.cumsum(rated, axis=axis) > limit) & (rated > 0)
    dropped = beyond * weights
    return (
        dropped.sum(axis=axis),
        (dropped * values).sum(axis=axis),
        (dropped * values * values).sum(axis=axis),
    )


@dataclass
class Predictions:
    """Stored PSIs (dense indices) and every column of ``Prediction``."""

    user: np.ndarray
    title: np.ndarray
    columns: dict[str, np.ndarray]


class Predictor:
    """Step 4 of the module docstring, for blocks of users."""

    def __init__(self, ratings: Ratings, p, r, b_u, b_t, x, y, pairs: Pairs, similar: Similar):
        """``r``: the residuals less the taste factors (what the adjustments read)."""
        self.ratings, self.b_u, self.b_t, self.x, self.y = ratings, b_u, b_t, x, y
        n_users, n_titles = len(ratings.user_ids), len(ratings.title_ids)
        self.n_users, self.n_titles = n_users, n_titles
        has = ~np.isnan(p)
        pu, pt, pr = ratings.user[has], ratings.title[has], r[has]
        self.raters = np.bincount(pt, minlength=n_titles)
        shape = (n_users, n_titles)
        # "rated with a position" is kept apart from the residual, which may be exactly 0
        self.rated = sparse.csr_matrix((np.ones(len(pu)), (pu, pt)), shape=shape)
        self.residual = sparse.csr_matrix((pr, (pu, pt)), shape=shape)
        self.stacked = sparse.hstack(
            [self.rated, self.residual, sparse.csr_matrix((pr * pr, (pu, pt)), shape=shape)],
            format="csr",
        )
        self.rated_any = sparse.csr_matrix(
            (np.ones(len(ratings.user)), (ratings.user, ratings.title)), shape=shape
        )
        # neighbours: each user's positive agreements in engine.choose_neighbours order
        ok = pairs.agreement > 0
        row = np.r_[pairs.a[ok], pairs.b[ok]].astype(np.int64)
        col = np.r_[pairs.b[ok], pairs.a[ok]].astype(np.int64)
        w = np.r_[pairs.agreement[ok], pairs.agreement[ok]]
        c = np.r_[pairs.common[ok], pairs.common[ok]]
        order = np.lexsort((col, -c, -w, row))
        self.neighbour, self.weight = col[order], w[order]
        self.indptr = np.r_[0, np.cumsum(np.bincount(row, minlength=n_users))].astype(np.int64)
        users_shape = (n_users, n_users)
        self.agreements = sparse.csr_matrix((self.weight, self.neighbour, self.indptr), users_shape)
        self.chosen = sparse.csr_matrix(
            (np.ones(len(self.weight)), self.neighbour, self.indptr), users_shape
        )
        # similar titles: (similar x title) matrices, and best-first lists per title
        titles_shape = (n_titles, n_titles)
        self.similar_t = sparse.csr_matrix(
            (similar.score, (similar.similar, similar.title)), titles_shape
        )
        self.similar_any_t = sparse.csr_matrix(
            (np.ones(len(similar.score)), (similar.similar, similar.title)), titles_shape
        )
        per_title = np.bincount(similar.title, minlength=n_titles)
        width = int(per_title.max()) if len(similar.title) else 0
        slot = np.arange(len(similar.title)) - np.r_[0, np.cumsum(per_title)[:-1]][similar.title]
        self.similar_ids = np.full((n_titles, width), -1, dtype=np.int64)
        self.similar_w = np.zeros((n_titles, width))
        self.similar_ids[similar.title, slot] = similar.similar
        self.similar_w[similar.title, slot] = similar.score

        self.can_predict = (
            (ratings.ratings_count >= engine.MIN_RATINGS)
            & (ratings.distinct >= engine.MIN_POSITION_SCORES)
            & (np.bincount(pu, minlength=n_users) > 0)
        )
        by_user = np.lexsort((ratings.score, ratings.user))
        self.sorted_scores = ratings.score[by_user].astype(float)
        self.score_start = np.r_[0, np.cumsum(ratings.ratings_count)[:-1]]

    def all(self, progress: Progress) -> Predictions:
        parts = []
        rows = max(1, CELLS_PER_BLOCK // max(self.n_titles, 1))
        progress.start("predictions", self.n_users)
        for lo in range(0, self.n_users, rows):
            hi = min(self.n_users, lo + rows)
            users = np.arange(lo, hi)[self.can_predict[lo:hi]]
            if len(users):
                parts.append(self.block(users))
            progress.step(hi)
        if not parts:
            return Predictions(np.zeros(0, np.int64), np.zeros(0, np.int64), {})
        columns = {k: np.concatenate([part[2][k] for part in parts]) for k in parts[0][2]}
        return Predictions(
            np.concatenate([part[0] for part in parts]),
            np.concatenate([part[1] for part in parts]),
            columns,
        )

    def block(self, users: np.ndarray):
        n_titles = self.n_titles
        # neighbours: sums over every neighbour who rated the title ...
        count_n = (self.chosen[users] @ self.rated).toarray()
        sums = (self.agreements[users] @ self.stacked).toarray()
        w_all = sums[:, :n_titles]  # W of the support: every rater you agree with
        wsum = w_all.copy()
        wr, wr2 = sums[:, n_titles : 2 * n_titles], sums[:, 2 * n_titles :]
        # ... less those beyond the best NEIGHBOURS where more qualify
        for i in np.flatnonzero((count_n > engine.NEIGHBOURS).any(axis=1)):
            u = users[i]
            over = np.flatnonzero(count_n[i] > engine.NEIGHBOURS)
            mates = slice(self.indptr[u], self.indptr[u + 1])
            nb = self.neighbour[mates]
            dw, dwr, dwr2 = _dropped_beyond(
                self.weight[mates][:, None],
                self.rated[nb][:, over].toarray(),
                self.residual[nb][:, over].toarray(),
                engine.NEIGHBOURS,
                axis=0,
            )
            wsum[i, over] -= dw
            wr[i, over] -= dwr
            wr2[i, over] -= dwr2
        # similar titles: sums over the title's stored similar titles the user rated ...
        count_s = (self.rated[users] @ self.similar_any_t).toarray()
        ssum = (self.rated[users] @ self.similar_t).toarray()
        swr = (self.residual[users] @ self.similar_t).toarray()
        # ... less those beyond the best SIMILAR_TITLES where more qualify
        for i in np.flatnonzero((count_s > engine.SIMILAR_TITLES).any(axis=1)):
            u = users[i]
            over = np.flatnonzero(count_s[i] > engine.SIMILAR_TITLES)
            ids = self.similar_ids[over]
            valid = ids >= 0
            ids = np.where(valid, ids, 0)
            mine = self.rated[u].toarray().ravel()[ids] * valid
            dw, dwr, _ = _dropped_beyond(
                self.similar_w[over],
                mine,
                self.residual[u].toarray().ravel()[ids],
                engine.SIMILAR_TITLES,
                axis=1,
            )
            ssum[i, over] -= dw
            swr[i, over] -= dwr
        a_user = wr / (wsum + engine.NEIGHBOUR_SHRINK)
        a_title = swr / (ssum + engine.SIMILAR_SHRINK)
        factor = self.x[users] @ self.y.T
        q = np.clip(
            engine.MIDDLE + self.b_u[users, None] + self.b_t[None, :] + factor + a_user + a_title,
            0,
            99,
        )
        spread, support, rank_key = model.spread_and_rank(q, wsum, wr, wr2, w_all)
        # each user's best PREDICTIONS_KEEP titles they have not rated, by rank_key
        candidate = (self.raters[None, :] > 0) & (self.rated_any[users].toarray() == 0)
        keyed = np.where(candidate, rank_key, -np.inf)
        if n_titles > PREDICTIONS_KEEP:
            top = np.argpartition(-keyed, PREDICTIONS_KEEP - 1, axis=1)[:, :PREDICTIONS_KEEP]
        else:
            top = np.broadcast_to(np.arange(n_titles), keyed.shape)
        rows = np.repeat(np.arange(len(users)), top.shape[1])
        cols = top.ravel()
        ok = np.isfinite(keyed[rows, cols])
        rows, cols = rows[ok], cols[ok]
        q_kept, s_kept = q[rows, cols], spread[rows, cols]
        score, low, high = (np.empty(len(rows)) for _ in range(3))
        bounds = np.r_[0, np.cumsum(np.bincount(rows, minlength=len(users)))]
        for i, u in enumerate(users):
            part = slice(bounds[i], bounds[i + 1])
            start = self.score_start[u]
            scale = model.scale_points(
                self.sorted_scores[start : start + self.ratings.ratings_count[u]]
            )
            score[part] = model.smooth_score(q_kept[part], *scale)
            low[part] = model.to_score(q_kept[part] - s_kept[part], *scale)
            high[part] = model.to_score(q_kept[part] + s_kept[part], *scale)
        columns = {
            "percentile": q_kept,
            "score": score,
            "neighbours_count": np.minimum(count_n[rows, cols], engine.NEIGHBOURS),
            "title_offset": self.b_t[cols],
            "user_offset": self.b_u[users][rows],
            "factor_adjustment": factor[rows, cols],
            "neighbour_adjustment": a_user[rows, cols],
            "similar_adjustment": a_title[rows, cols],
            "spread": s_kept,
            "support": support[rows, cols],
            "low": low,
            "high": high,
            "rank_key": rank_key[rows, cols],
        }
        return users[rows], cols, columns


# Writing -------------------------------------------------------------------------------

_PG_TYPES = {"int8": ">i8", "int4": ">i4", "int2": ">i2", "float8": ">f8", "timestamptz": ">i8"}


def copy_rows(cursor, table: str, columns: dict[str, tuple[str, object]]) -> int:
    """Write rows with one binary COPY: ``columns`` = {name: (pg type, array or scalar)};
    every value non-null. Rows are packed by numpy, never one Python object per row."""
    arrays = {k: v for k, (_, v) in columns.items() if np.ndim(v)}
    n = len(next(iter(arrays.values()))) if arrays else 0
    fields = [("n", ">i2")]
    for name, (kind, _) in columns.items():
        fields += [(f"{name}__len", ">i4"), (name, _PG_TYPES[kind])]
    rows = np.zeros(n, dtype=np.dtype(fields))
    rows["n"] = len(columns)
    for name, (kind, value) in columns.items():
        rows[f"{name}__len"] = np.dtype(_PG_TYPES[kind]).itemsize
        rows[name] = value
    names = ", ".join(f'"{name}"' for name in columns)
    body = rows.tobytes()
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(_COPY_SIGNATURE + b"\x00" * 8)
        step = 8 << 20
        for start in range(0, len(body), step):
            copy.write(body[start : start + step])
        copy.write(b"\xff\xff")
    return n


def _microseconds(moment: datetime) -> int:
    """A timestamptz in binary COPY: microseconds since 2000-01-01 UTC."""
    delta = moment - _PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _replace(cursor, table: str, columns) -> int:
    """Every row of the table replaced by the new ones, in one transaction."""
    with transaction.atomic():
        return _replace_in_transaction(cursor, table, columns)


def _replace_in_transaction(cursor, table: str, columns) -> int:
    """Empty the table and COPY the new rows in, with its foreign keys dropped and added
    back around the COPY (same names and definitions): adding a key checks every row
    with one join, where a key left in place checks them one by one at COMMIT (a minute
    for the 2 million rows of a 1,000,000-rating rebuild). The table is locked for
    the transaction: pages reading it wait the few seconds of the COPY."""
    cursor.execute(CHECK_PENDING_KEYS_SQL)
    cursor.execute(FOREIGN_KEYS_SQL, [table])
    keys = cursor.fetchall()
    for name, _ in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(TRUNCATE_SQL.format(table=table))
    written = copy_rows(cursor, table, columns)
    for name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return written


# The rebuild ---------------------------------------------------------------------------


def rebuild(progress: Progress | None = None) -> dict[str, int]:
    """Recompute every taste table from the ratings (module docstring), reporting to
    ``progress`` (one line per step). Returns row counts."""
    progress = progress or Progress()
    now = timezone.now()
    stamp = ("timestamptz", _microseconds(now))
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        with transaction.atomic():
            # A rebuild covers every change logged before it and every pending refresh
            # (stuck ones included).
            cursor.execute(DELETE_CHANGES_UNTIL_SQL, [now])
            cursor.execute(DELETE_ALL_PENDING_SQL)
        ratings = read_ratings(cursor)
        n_users, n_titles = len(ratings.user_ids), len(ratings.title_ids)
        counts["ratings"] = len(ratings.user)
        progress.line(
            f"read {len(ratings.user):,} ratings of {n_users:,} users, {n_titles:,} titles"
        )
        p = ratings.position
        b_u, b_t = model.offsets(ratings.user, ratings.title, p, n_users, n_titles)
        r = model.residuals(ratings.user, ratings.title, p, b_u, b_t)
        has = ~np.isnan(p)
        raters = np.bincount(ratings.title[has], minlength=n_titles)
        progress.line(f"offsets of {n_users:,} users and {n_titles:,} titles")
        x, y = model.taste_factors(ratings.user, ratings.title, r, n_users, n_titles)
        beyond_factors = r - model.factor_products(ratings.user, ratings.title, x, y)
        progress.line(f"taste factors of {n_users:,} users and {n_titles:,} titles")

        fallback = ratings.fallback
        _replace(
            cursor,
            FALLBACK,
            {
                "user_id": ("int8", ratings.user_ids[ratings.user[fallback]]),
                "title_id": ("int8", ratings.title_ids[ratings.title[fallback]]),
                "position": ("int2", p[fallback].astype(np.int64)),
            },
        )
        rated = raters > 0
        counts["titles"] = _replace(
            cursor,
            TITLE_TASTE,
            {
                "title_id": ("int8", ratings.title_ids[rated]),
                "offset": ("float8", b_t[rated]),
                "raters_count": ("int4", raters[rated]),
                "computed_at": stamp,
            },
        )
        cursor.execute(
            SET_TITLE_TASTE_FACTORS_SQL,
            {"ids": ratings.title_ids[rated].tolist(), "flat": y[rated].ravel().tolist()},
        )

        pairs = user_pairs(ratings, p, r, progress)
        with transaction.atomic():
            counts["pairs"] = _replace_in_transaction(
                cursor,
                PAIRS,
                {
                    "user_a_id": ("int8", ratings.user_ids[pairs.a]),
                    "user_b_id": ("int8", ratings.user_ids[pairs.b]),
                    "tci": ("float8", pairs.tci),
                    "common_count": ("int4", pairs.common),
                    "tci_shrunk": ("float8", pairs.tci_shrunk),
                    "agreement": ("float8", pairs.agreement),
                    "computed_at": stamp,
                },
            )
        progress.line(f"stored {counts['pairs']:,} pairs")
        compatible = np.bincount(pairs.a, minlength=n_users) + np.bincount(
            pairs.b, minlength=n_users
        )
        with transaction.atomic():
            cursor.execute(
                UPSERT_PROFILES_SQL,
                {
                    "now": now,
                    "users": ratings.user_ids.tolist(),
                    "offsets": b_u.tolist(),
                    "compatible": compatible.tolist(),
                },
            )
            counts["users"] = cursor.rowcount
            cursor.execute(SET_FLOORS_SQL, floor_parameters(ratings.user_ids, pairs.floors))
            fitted = np.bincount(ratings.user[has], minlength=n_users) > 0
            cursor.execute(
                SET_PROFILE_FACTORS_SQL,
                {"ids": ratings.user_ids[fitted].tolist(), "flat": x[fitted].ravel().tolist()},
            )

        similar = title_pairs(ratings, p, r, progress)
        counts["similar"] = _replace(
            cursor,
            SIMILAR,
            {
                "title_id": ("int8", ratings.title_ids[similar.title]),
                "similar_id": ("int8", ratings.title_ids[similar.similar]),
                "score": ("float8", similar.score),
                "mean_difference": ("float8", similar.diff / np.maximum(similar.common, 1)),
                "common_count": ("int4", similar.common),
                "computed_at": stamp,
            },
        )
        section_cache.bump(section_cache.TASTE)
        progress.line(f"stored {counts['similar']:,} similar-title rows")

        found = Predictor(ratings, p, beyond_factors, b_u, b_t, x, y, pairs, similar).all(progress)
        columns = {
            "user_id": ("int8", ratings.user_ids[found.user]),
            "title_id": ("int8", ratings.title_ids[found.title]),
            "neighbours_count": ("int2", found.columns.get("neighbours_count", np.zeros(0))),
            "computed_at": stamp,
        }
        for name, values in found.columns.items():
            if name != "neighbours_count":
                columns[name] = ("float8", values)
        counts["predictions"] = _replace(cursor, PREDICTIONS, columns)
        progress.line(f"stored {counts['predictions']:,} predictions")
    return counts


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
