from django.core.management.base import BaseCommand, CommandError

from collections_app import selectors, services
from collections_app.models import Collection


class Command(BaseCommand):
    help = (
        "Check that every collection's item count and positions (1..n) match its items; "
        "with --repair, recount and renumber the ones that do not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Fix what is found.")

    def handle(self, *args, repair: bool = False, **options):
        problems = selectors.inconsistent_collections()
        if not problems:
            self.stdout.write(self.style.SUCCESS("All collections are consistent."))
            return
        for problem in problems:
            self.stdout.write(
                f"Collection {problem['id']}: items_count {problem['items_count']}, "
                f"{problem['actual']} items, {problem['misplaced']} out of place"
            )
        if not repair:
            raise CommandError(f"{len(problems)} inconsistent collection(s); run with --repair.")
        for collection in Collection.objects.filter(pk__in=[p["id"] for p in problems]):
            services.collection_repair(collection)
        self.stdout.write(self.style.SUCCESS(f"Repaired {len(problems)} collection(s)."))
