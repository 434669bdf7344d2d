"""The background worker: django-tasks-db's worker loop made reliable (``taste.worker``:
it survives a lost database connection, tries failed tasks again with backoff and takes
back the tasks of a worker that died), plus a thread that queues taste refreshes for
the rating-change log every few seconds, sweeps for stranded work, prunes finished
task rows every hour and rebuilds every taste table every TASTE_REBUILD_HOURS of uptime.

    python manage.py run_worker [--settle 3] [--poll 2] [--sweep 30] [db_worker options]
"""

import os
import threading

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from taste.worker import ReliableWorker, Upkeep


class Command(DbWorkerCommand):
    help = (
        "Run the background worker: process queued tasks (failed ones are tried again), "
        "queue taste refreshes for rating changes (one per user once they pause for "
        "--settle seconds), sweep for stranded work and prune old task rows."
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
        parser.add_argument(
            "--sweep",
            type=float,
            default=30.0,
            help="Seconds between sweeps: tasks of dead workers taken back, pending "
            "refreshes without a task queued again (default: %(default)s).",
        )

    def handle(
        self,
        *args,
        settle: float,
        poll: float,
        sweep: float,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        worker = ReliableWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
        )
        upkeep = Upkeep(
            settle=settle, sweep=sweep, rebuild_every=settings.TASTE_REBUILD_HOURS * 3600
        )
        stop = threading.Event()

        def upkeep_forever() -> None:
            while not stop.wait(poll):
                upkeep.tick()

        # Changes logged and work stranded while no worker ran are queued before the
        # first task is taken.
        upkeep.tick()
        thread = threading.Thread(target=upkeep_forever, name="taste-upkeep", daemon=True)
        thread.start()
        try:
            if reload and not batch:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker.run()
        finally:
            stop.set()
