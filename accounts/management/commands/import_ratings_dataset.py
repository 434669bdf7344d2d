"""Load a public ratings dataset: users, titles and ratings, for benchmarks and evaluation.

    manage.py import_ratings_dataset RATINGS.csv --items ITEMS.csv [--scale MIN-MAX]
        [--user-prefix dataset-]

RATINGS.csv has the header user,item,score,timestamp; ITEMS.csv has id,title,year and
optionally imdb_id. See accounts.importers.dataset for the rules.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.importers.dataset import DatasetError, load_dataset, parse_scale


class Command(BaseCommand):
    help = "Load a ratings dataset (user,item,score,timestamp + id,title,year[,imdb_id])."

    def add_arguments(self, parser):
        parser.add_argument("ratings", type=Path, help="ratings CSV: user,item,score,timestamp")
        parser.add_argument(
            "--items", type=Path, required=True, help="items CSV: id,title,year[,imdb_id]"
        )
        parser.add_argument(
            "--scale",
            help="the dataset's score range as MIN-MAX (for example 0.5-5); "
            "read from the data when left out",
        )
        parser.add_argument(
            "--user-prefix",
            default="dataset-",
            help="prefix of the usernames created for dataset users (default: dataset-)",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        verbosity = options["verbosity"]
        last_report = [started]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if verbosity >= 1 and (now - last_report[0] > 10 or done == total):
                last_report[0] = now
                self.stdout.write(f"  users loaded: {done:,} of {total:,}")

        try:
            scale = parse_scale(options["scale"]) if options["scale"] else None
            report = load_dataset(
                options["ratings"],
                options["items"],
                scale=scale,
                user_prefix=options["user_prefix"],
                progress=progress,
            )
        except DatasetError as error:
            raise CommandError(str(error)) from None
        elapsed = time.perf_counter() - started
        low, high = report.scale
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {report.ratings_written:,} ratings from {report.rows:,} rows in "
                f"{elapsed:.1f} s (scale {low}-{high} -> 0-100)."
            )
        )
        self.stdout.write(
            f"Users: {report.users_created:,} created, {report.users_existing:,} existing. "
            f"Titles: {report.titles_matched:,} matched, {report.titles_created:,} created."
        )
        if report.skipped:
            self.stdout.write(self.style.WARNING(f"Skipped {report.skipped:,} rows, for example:"))
            for example in report.skipped_examples:
                self.stdout.write(f"  {example}")
