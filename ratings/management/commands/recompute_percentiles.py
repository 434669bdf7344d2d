"""Rebuild every percentile and every title aggregate from the ratings, in batches."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from catalog.models import Title
from ratings.models import Rating
from ratings.services import recompute_titles_batch, recompute_users_batch


def _batches(ids: list[int], size: int):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class Command(BaseCommand):
    help = (
        "Recompute every rating's percentile and every title's rating aggregates from "
        "scratch. Safe while the site is running: each batch locks its users or titles."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Users (and 20x as many titles) per transaction (default 500).",
        )

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            batch_size = 1
        verbosity = options["verbosity"]
        user_ids = list(
            get_user_model()
            .objects.filter(pk__in=Rating.objects.values("user_id"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        changed = self._run(
            "users", "ratings", user_ids, batch_size, recompute_users_batch, verbosity
        )
        self.stdout.write(f"Percentiles: {changed} ratings changed for {len(user_ids)} users.")

        title_ids = list(Title.objects.order_by("pk").values_list("pk", flat=True))
        fixed = self._run(
            "titles", "titles", title_ids, batch_size * 20, recompute_titles_batch, verbosity
        )
        self.stdout.write(f"Aggregates: {fixed} of {len(title_ids)} titles changed.")
        self.stdout.write(self.style.SUCCESS("Percentiles and aggregates rebuilt."))

    def _run(self, label, changed, ids, size, work, verbosity) -> int:
        """Run ``work`` over ``ids`` in batches, printing after each batch how many
        ``changed`` things (ratings for users, titles for titles) it wrote so far."""
        total = 0
        done = 0
        for batch in _batches(ids, size):
            total += work(batch)
            done += len(batch)
            if verbosity >= 1:
                self.stdout.write(f"  {label}: {done}/{len(ids)} ({total} {changed} changed)")
        return total
