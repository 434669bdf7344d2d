"""k-fold evaluation of PSI beside baselines, a standard recommender and two
non-personal rankings, all computed in the same run.

    python manage.py evaluate_psi --folds 5 [--seed 1]

Every rating is held out once; it is predicted from the other ratings as the site would
(offsets, agreements, kept pairs and similar titles recomputed without it; see
``taste.evaluation`` for the exact definitions). Errors are on the 0-100 score scale;
the last line is

    psi rmse=<x> mae=<y> coverage=<z> ndcg@10=<n> popular_ndcg@10=<p>

(coverage and NDCG 0-1; popular = the better of "most rated" and "highest average
percentile").
"""

import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from ratings.models import Rating
from taste import engine, model
from taste.evaluation import Ratings, evaluate


class Command(BaseCommand):
    help = "Hold out ratings (k-fold, seeded) and compare PSI with baselines and rankings."

    def add_arguments(self, parser):
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, folds: int, seed: int, **options):
        if folds < 2:
            raise CommandError("--folds must be at least 2.")
        started = time.monotonic()
        rows = np.array(
            list(
                Rating.objects.order_by("pk")
                .values_list("user_id", "title_id", "score")
                .iterator(20_000)
            ),
            dtype=np.int64,
        ).reshape(-1, 3)
        if len(rows) < folds:
            raise CommandError(f"Only {len(rows)} ratings: nothing to evaluate.")
        data = Ratings(rows[:, 0], rows[:, 1], rows[:, 2].astype(np.float64))
        users, titles = len(np.unique(rows[:, 0])), len(np.unique(rows[:, 1]))
        say = self.stdout.write
        say(
            f"{len(data):,} ratings by {users:,} users of {titles:,} titles; "
            f"{folds} folds, seed {seed}"
        )
        say(
            f"Parameters: title_shrink={model.TITLE_SHRINK:g} "
            f"user_shrink={model.USER_SHRINK:g} agreement_shrink={model.AGREEMENT_SHRINK:g} "
            f"factors={model.FACTORS} factor_shrink={model.FACTOR_SHRINK:g} "
            f"neighbours={engine.NEIGHBOURS} neighbour_shrink={engine.NEIGHBOUR_SHRINK:g} "
            f"similar_titles={engine.SIMILAR_TITLES} similar_shrink={engine.SIMILAR_SHRINK:g} "
            f"smoothing={engine.SMOOTHING:g} rank_penalty={engine.RANK_PENALTY:g} "
            f"rank_shrink={engine.RANK_SHRINK:g}"
        )

        def progress(done, total):
            say(f"  fold {done}/{total} ({time.monotonic() - started:.1f}s)")

        report = evaluate(data, folds=folds, seed=seed, progress=progress)
        say("")
        say(f"{'method':<32} {'RMSE':>7} {'MAE':>7} {'coverage':>9}")
        for errors in (report.psi, *report.baselines):
            say(f"{errors.name:<32} {errors.rmse:7.3f} {errors.mae:7.3f} {errors.coverage:9.1%}")
        if report.uncovered_reasons:
            reasons = ", ".join(f"{k}: {v:,}" for k, v in sorted(report.uncovered_reasons.items()))
            say(f"Without a PSI: {reasons}")
        best = report.best_baseline
        say(
            f"PSI RMSE / best baseline ({best.name}, {best.rmse:.3f}) = "
            f"{report.psi.rmse / best.rmse:.4f}"
        )
        say(f"Held-out scores inside the shown range: {report.inside_range:.1%}")
        say("")
        say(f"{'ranking':<32} {'NDCG@10':>8} {'prec@10':>8}")
        for ranking in report.rankings:
            say(f"{ranking.name:<32} {ranking.ndcg:8.4f} {ranking.precision:8.4f}")
        psi_rank, popular = report.rankings[0], report.popular
        ratio = psi_rank.ndcg / popular.ndcg if popular.ndcg else float("nan")
        say(f"PSI NDCG@10 / popular ({popular.name}) = {ratio:.3f}")
        say(f"Done in {time.monotonic() - started:.1f}s")
        say(
            f"psi rmse={report.psi.rmse:.3f} mae={report.psi.mae:.3f} "
            f"coverage={report.psi.coverage:.3f} ndcg@10={psi_rank.ndcg:.3f} "
            f"popular_ndcg@10={popular.ndcg:.3f}"
        )
