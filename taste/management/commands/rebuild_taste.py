"""Recompute every taste table from the ratings: TCIs, similar titles, predictions."""

import time

from django.core.management.base import BaseCommand

from taste import services


class Command(BaseCommand):
    help = "Recompute all compatibilities (TCI), similar titles and stored PSIs."

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = services.rebuild_all(progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt taste for {counts['users']:,} users: {counts['pairs']:,} compatible "
                f"pairs, {counts['similar']:,} similar-title rows, {counts['predictions']:,} "
                f"predictions in {time.monotonic() - started:.1f}s"
            )
        )
