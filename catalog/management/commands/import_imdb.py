"""Import titles (and optionally people and credits) from IMDb's non-commercial dataset files.

    manage.py import_imdb title.basics.tsv.gz [--principals title.principals.tsv.gz]
        [--crew title.crew.tsv.gz] [--names name.basics.tsv.gz]

The command reads its arguments and reports; the import itself (parsing, staging, the
SQL that merges) is ``catalog.imdb_import``.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.imdb_import import FileStats, ImdbFileError, ImdbImport
from catalog.services import refresh_trigram_frequencies
from core import cache as section_cache


class Command(BaseCommand):
    help = "Import titles, people and credits from IMDb dataset TSV files (plain or .gz)."

    def add_arguments(self, parser):
        parser.add_argument("basics", type=Path, help="title.basics.tsv or title.basics.tsv.gz")
        parser.add_argument("--principals", type=Path, help="title.principals.tsv[.gz]")
        parser.add_argument("--crew", type=Path, help="title.crew.tsv[.gz]")
        parser.add_argument("--names", type=Path, help="name.basics.tsv[.gz] (people)")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--include-adult", action="store_true", help="Also import titles marked isAdult."
        )
        parser.add_argument(
            "--progress-every", type=int, default=100_000, help="Rows between progress lines."
        )

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.verbosity = options["verbosity"]
        started = time.perf_counter()
        run = ImdbImport(self, options["batch_size"], options["progress_every"])
        try:
            imported_ids = run.import_basics(options["basics"], options["include_adult"])
            # New names bring new trigrams: typo search reads the rarest ones first.
            refresh_trigram_frequencies()
            if options["principals"] or options["crew"]:
                run.import_credits(
                    imported_ids, options["principals"], options["crew"], options["names"]
                )
            elif options["names"]:
                self.stdout.write("--names is used only with --principals or --crew; ignored.")
        except ImdbFileError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            # Whatever was written shows in the browse and home lists from now on, and
            # on the pages of the titles it updated (their cached credits and genres).
            section_cache.bump(
                section_cache.CATALOG, section_cache.ALL_TITLES, section_cache.TITLE_FIELDS
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s."))

    # What the import reports (catalog.imdb_import.Reporter) ---------------------------------

    def progress(self, stats: FileStats, started: float) -> None:
        if self.verbosity < 1:
            return
        rate = stats.read / max(time.perf_counter() - started, 1e-9)
        self.stdout.write(
            f"  {stats.name}: {stats.read:,} rows read, {stats.kept:,} kept ({rate:,.0f} rows/s)"
        )

    def file_done(self, stats: FileStats, elapsed: float) -> None:
        self.stdout.write(
            f"{stats.name}: {stats.read:,} rows read in {elapsed:.1f} s "
            f"({stats.read / elapsed:,.0f} rows/s); {stats.kept:,} kept, {stats.bad:,} bad"
        )
        for reason, count in sorted(stats.skipped.items()):
            self.stdout.write(f"  skipped ({reason}): {count:,}")
        if stats.bad:
            self.stdout.write(self.style.WARNING(f"  {stats.bad:,} bad rows skipped, e.g.:"))
            for example in stats.examples:
                self.stdout.write(f"    {example}")

    def say(self, message: str) -> None:
        self.stdout.write(message)
