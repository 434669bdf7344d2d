"""Compare every stored percentile and title aggregate with a fresh computation."""

from django.core.management.base import BaseCommand, CommandError

from ratings.selectors import percentile_mismatches


class Command(BaseCommand):
    help = (
        "Check every stored percentile and title aggregate against a fresh computation; "
        "print each mismatch and exit non-zero if there is any."
    )

    def handle(self, *args, **options):
        ratings, titles = percentile_mismatches()
        for mismatch in [*ratings, *titles]:
            self.stdout.write(str(mismatch))
        if ratings or titles:
            raise CommandError(
                f"{len(ratings)} percentile and {len(titles)} title aggregate mismatches; "
                "run manage.py recompute_percentiles to rebuild."
            )
        self.stdout.write(self.style.SUCCESS("All percentiles and title aggregates are exact."))
