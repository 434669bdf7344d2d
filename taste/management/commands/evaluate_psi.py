"""k-fold evaluation of PSI beside baselines computed in the same run.

    python manage.py evaluate_psi --folds 5 [--seed 1]

Every rating is held out once; it is predicted from the other ratings exactly as the
title page would (percentiles, title aggregates and TCIs recomputed without it; see
``taste.evaluation``). Errors are on the 0-100 score scale. The baselines are shown on
the ratings PSI covered (a like-for-like comparison) and on all held-out ratings.
"""

import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from ratings.models import Rating
from taste import engine
from taste.evaluation import Ratings, evaluate


class Command(BaseCommand):
    help = "Hold out ratings (k-fold, seeded) and compare PSI's errors with baselines."

    def add_arguments(self, parser):
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, folds: int, seed: int, **options):
        if folds < 2:
            raise CommandError("--folds must be at least 2.")
        started = time.monotonic()
        rows = np.array(
            list(Rating.objects.values_list("user_id", "title_id", "score").iterator(20_000)),
            dtype=np.int64,
        ).reshape(-1, 3)
        if len(rows) < folds:
            raise CommandError(f"Only {len(rows)} ratings: nothing to evaluate.")
        data = Ratings(rows[:, 0], rows[:, 1], rows[:, 2].astype(np.float64))
        users, titles = len(np.unique(rows[:, 0])), len(np.unique(rows[:, 1]))
        self.stdout.write(
            f"{len(data):,} ratings by {users:,} users of {titles:,} titles; "
            f"{folds} folds, seed {seed}"
        )
        self.stdout.write(
            f"PSI parameters: neighbours={engine.NEIGHBOURS} tci_cutoff={engine.TCI_CUTOFF} "
            f"neighbour_shrink={engine.NEIGHBOUR_SHRINK} common_shrink={engine.COMMON_SHRINK} "
            f"title_shrink={engine.TITLE_SHRINK} min_common=max({engine.MIN_COMMON_FLOOR}, "
            f"min({engine.MIN_COMMON_CAP}, {engine.MIN_COMMON_FRACTION} x fewer ratings))"
        )

        def progress(done, total):
            self.stdout.write(f"  fold {done}/{total} ({time.monotonic() - started:.1f}s)")

        report = evaluate(data, folds=folds, seed=seed, progress=progress)
        covered = report.coverage
        self.stdout.write("")
        self.stdout.write(
            f"{'method':<26} {'RMSE':>7} {'MAE':>7} {'coverage':>9} {'RMSE (all)':>11}"
        )
        self.stdout.write(
            f"{'PSI':<26} {report.psi.rmse:7.3f} {report.psi.mae:7.3f} {covered:9.1%} {'':>11}"
        )
        for on_covered, on_all in zip(report.baselines, report.baselines_all, strict=True):
            self.stdout.write(
                f"{on_covered.name:<26} {on_covered.rmse:7.3f} {on_covered.mae:7.3f} "
                f"{covered:9.1%} {on_all.rmse:11.3f}"
            )
        if report.uncovered_reasons:
            reasons = ", ".join(f"{k}: {v:,}" for k, v in sorted(report.uncovered_reasons.items()))
            self.stdout.write(f"Without a PSI: {reasons}")
        best = min(b.rmse for b in report.baselines)
        verdict = "beats" if report.psi.rmse < best else "does NOT beat"
        self.stdout.write(
            f"PSI {verdict} every baseline (best baseline RMSE {best:.3f}) "
            f"in {time.monotonic() - started:.1f}s"
        )
        self.stdout.write(
            f"psi rmse={report.psi.rmse:.3f} mae={report.psi.mae:.3f} coverage={covered:.3f}"
        )
