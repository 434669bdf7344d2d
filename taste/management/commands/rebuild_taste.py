"""Recompute every taste table from the ratings, set-based (``taste.rebuild``)."""

from django.core.management.base import BaseCommand

from taste import rebuild


class Command(BaseCommand):
    help = (
        "Recompute all offsets, compatibilities (TCI, agreement), similar titles and stored "
        "PSIs at once from every rating, with a progress line per step."
    )

    def handle(self, *args, **options):
        progress = rebuild.Progress(self.stdout.write)
        counts = rebuild.rebuild(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt taste for {counts['users']:,} users: {counts['pairs']:,} compatible "
                f"pairs, {counts['similar']:,} similar-title rows, {counts['predictions']:,} "
                f"predictions in {progress.elapsed():.1f}s "
                f"(peak memory {rebuild.peak_memory_mb():,.0f} MB)"
            )
        )
