"""A generated 1-5 star ratings dataset shaped like the public 100,000-rating set.

    .venv/bin/python bench/star_dataset.py OUT_DIR [--users 943] [--titles 1682]
        [--ratings 100000] [--seed 20261201]
    .venv/bin/python manage.py import_ratings_dataset OUT_DIR/ratings.csv \
        --items OUT_DIR/items.csv --scale 1-5

Deterministic (numpy, fixed seed): the same arguments always give the same file. Shape
of the default run, like the public set of 943 users x 1,682 titles x 100,000 ratings:

- user activity: every user has at least ``MIN_PER_USER`` (20) ratings, the rest of
  the ratings are shared out in proportion to a log-normal draw (median about 65, a few
  users with several hundred, none above ``MAX_USER_SHARE`` of the titles);
- title popularity: the title of popularity rank k gets the weight
  ``k^-TITLE_ZIPF * exp(-TITLE_POPULARITY_SIGMA * k / titles)``; each user picks their
  titles without replacement with probability growing with the weight (Gumbel top-k),
  so the most rated title has about 590 raters, the median title about 25 and a few
  dozen titles one or none (about 6% density);
- scores: a latent value ``bias_user + bias_title + taste_user . taste_title + noise``
  (``FACTORS`` taste factors; popular titles and light raters a little higher, each
  user with their own spread), turned into integer stars by global thresholds that give
  the public set's star shares (6 / 11 / 27 / 34 / 21 %).

The sizes of the latent terms are set so that, as on the public set, "user mean +
title offset" predicts held-out ratings with an RMSE of about 24 on the 0-100 scale
(stars mapped to (s - 1) x 25) and neighbour or factor methods gain a little on it.

``generate()`` returns the arrays (user, title, stars) for in-process use; ``main()``
writes ``ratings.csv`` (user,item,score,timestamp) and ``items.csv`` (id,title,year) in
the format ``import_ratings_dataset`` reads.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

SEED = 20261201
USERS = 943
TITLES = 1682
RATINGS = 100_000
MIN_PER_USER = 20
MAX_USER_SHARE = 0.45  # nobody rates more than this share of the titles
FACTORS = 4
STAR_SHARES = (0.061, 0.114, 0.271, 0.342, 0.212)  # 1..5 stars, as on the public set

# Sizes of the latent terms (in stars), calibrated as the module docstring says.
USER_ACTIVITY_SIGMA = 1.0  # log-sd of the activity draw
TITLE_POPULARITY_SIGMA = 4.2  # exponential fall of the weight along the popularity rank
TITLE_ZIPF = 0.3  # power-law head of the popularity weights
USER_BIAS_SD = 0.42
TITLE_BIAS_SD = 0.50
TITLE_POPULARITY_EFFECT = 0.25  # popular titles are rated a little higher
USER_ACTIVITY_EFFECT = -0.08  # heavy raters are a little harsher
USER_SPREAD_SD = 0.20  # log-sd of each user's own spread
FACTOR_SD = 0.35  # per-factor sd of user tastes; title tastes have TITLE_TASTE_SCALE x it
TITLE_TASTE_SCALE = 1.7
NOISE_SD = 0.80


def _activity(rng: np.random.Generator, users: int, titles: int, ratings: int) -> np.ndarray:
    """Ratings per user: MIN_PER_USER each, the rest shared by a log-normal draw, summing
    exactly to ``ratings`` and capped at MAX_USER_SHARE of the titles."""
    cap = max(MIN_PER_USER, int(MAX_USER_SHARE * titles))
    if ratings < users * MIN_PER_USER or ratings > users * cap:
        raise ValueError(
            f"{ratings} ratings cannot give {users} users between {MIN_PER_USER} and {cap} each"
        )
    weight = rng.lognormal(0.0, USER_ACTIVITY_SIGMA, users)
    counts = np.full(users, MIN_PER_USER, dtype=np.int64)
    free = np.ones(users, dtype=bool)
    remaining = ratings - counts.sum()
    while remaining > 0:
        share = weight * free
        share = share / share.sum() * remaining
        add = np.floor(share).astype(np.int64)
        # Largest remainders get the last units, so the total is exact.
        short = remaining - add.sum()
        if short > 0:
            order = np.argsort(-(share - add), kind="stable")
            add[order[:short]] += 1
        counts += add
        over = counts > cap
        remaining = int((counts[over] - cap).sum())
        counts[over] = cap
        free &= ~over
    return counts


def generate(
    users: int = USERS, titles: int = TITLES, ratings: int = RATINGS, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, title, stars) arrays of the dataset, users and titles numbered from 1."""
    rng = np.random.default_rng(seed)
    per_user = _activity(rng, users, titles, ratings)

    # log weight of the title with popularity rank k (a random order, k from 1):
    # -TITLE_ZIPF * log(k) - TITLE_POPULARITY_SIGMA * k / titles, a Zipf-like head and a
    # long tail of rarely rated titles
    rank = 1 + rng.permutation(titles)
    log_weight = -TITLE_ZIPF * np.log(rank) - TITLE_POPULARITY_SIGMA * rank / titles
    popularity = (log_weight - log_weight.mean()) / log_weight.std()
    activity = np.log(per_user)
    activity = (activity - activity.mean()) / activity.std()

    title_bias = TITLE_BIAS_SD * rng.normal(size=titles) + TITLE_POPULARITY_EFFECT * popularity
    user_bias = USER_BIAS_SD * rng.normal(size=users) + USER_ACTIVITY_EFFECT * activity
    user_spread = np.exp(USER_SPREAD_SD * rng.normal(size=users))
    user_taste = FACTOR_SD * rng.normal(size=(users, FACTORS))
    title_taste = TITLE_TASTE_SCALE * FACTOR_SD * rng.normal(size=(titles, FACTORS))

    user_col = np.repeat(np.arange(users), per_user)
    title_col = np.empty(ratings, dtype=np.int64)
    # Titles of each user: without replacement, by popularity (Gumbel top-k), in chunks
    # of users so that 10,000 users x 16,820 titles stays within memory.
    starts = np.r_[0, np.cumsum(per_user)]
    chunk = max(1, 2_000_000 // titles)
    for first in range(0, users, chunk):
        last = min(users, first + chunk)
        keys = log_weight[None, :] + rng.gumbel(size=(last - first, titles))
        order = np.argsort(-keys, axis=1)
        for row, user in enumerate(range(first, last)):
            title_col[starts[user] : starts[user + 1]] = np.sort(order[row, : per_user[user]])

    noise = NOISE_SD * rng.normal(size=ratings)
    taste = np.einsum("rf,rf->r", user_taste[user_col], title_taste[title_col])
    latent = user_bias[user_col] + user_spread[user_col] * (title_bias[title_col] + taste + noise)
    cuts = np.quantile(latent, np.cumsum(STAR_SHARES)[:-1])
    stars = 1 + np.searchsorted(cuts, latent, side="right")
    return user_col + 1, title_col + 1, stars.astype(np.int64)


def write(out_dir: Path, users: int, titles: int, ratings: int, seed: int) -> tuple[Path, Path]:
    """Write ratings.csv and items.csv for ``import_ratings_dataset --scale 1-5``."""
    user, title, stars = generate(users, titles, ratings, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1)
    stamps = 874_724_710 + rng.integers(0, 200 * 86_400, len(stars))  # 1997-1998
    ratings_path = out_dir / "ratings.csv"
    with ratings_path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["user", "item", "score", "timestamp"])
        out.writerows(
            zip(user.tolist(), title.tolist(), stars.tolist(), stamps.tolist(), strict=True)
        )
    years = 1930 + rng.integers(0, 69, titles)
    items_path = out_dir / "items.csv"
    with items_path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "title", "year"])
        for item in range(1, titles + 1):
            out.writerow([item, f"Star Dataset Film {item:05d}", int(years[item - 1])])
    return ratings_path, items_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("var/star-dataset"))
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--titles", type=int, default=TITLES)
    parser.add_argument("--ratings", type=int, default=RATINGS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    ratings_path, items_path = write(args.out_dir, args.users, args.titles, args.ratings, args.seed)
    print(
        f"wrote {args.ratings:,} ratings by {args.users:,} users of {args.titles:,} titles "
        f"to {ratings_path} and {items_path}; load with: manage.py import_ratings_dataset "
        f"{ratings_path} --items {items_path} --scale 1-5"
    )


if __name__ == "__main__":
    main()
