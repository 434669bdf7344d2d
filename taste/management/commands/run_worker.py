"""The background worker: django-tasks-db's worker loop, plus a thread that turns the
rating-change log into queued refreshes every few seconds.

    python manage.py run_worker [--settle 3] [--poll 2] [db_worker options]
"""

import logging
import threading

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from taste import tasks

logger = logging.getLogger("taste.worker")


class Command(DbWorkerCommand):
    help = (
        "Run the background worker: process queued tasks and queue taste refreshes for "
        "rating changes (one per user once they pause for --settle seconds)."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--settle",
            type=float,
            default=3.0,
            help="Seconds a user's ratings must stay unchanged before their refresh "
            "(default: %(default)s).",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=2.0,
            help="Seconds between looks at the rating-change log (default: %(default)s).",
        )

    def handle(self, *args, settle: float, poll: float, **options) -> None:
        stop = threading.Event()

        def dispatch() -> None:
            try:
                dispatched = tasks.dispatch_changes(settle_seconds=settle)
                if dispatched.users or dispatched.titles:
                    logger.info(
                        "Queued taste refreshes: %d users, %d titles",
                        len(dispatched.users),
                        len(dispatched.titles),
                    )
            except Exception:
                # A lost connection or a restarting database must not stop the worker;
                # the log keeps the changes until the next look.
                logger.exception("Could not dispatch taste changes")
            finally:
                close_old_connections()

        def dispatch_forever() -> None:
            while not stop.wait(poll):
                dispatch()

        # Changes logged while no worker ran are queued before the first task is taken.
        dispatch()

        thread = threading.Thread(target=dispatch_forever, name="taste-dispatch", daemon=True)
        thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
