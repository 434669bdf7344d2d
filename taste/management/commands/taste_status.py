"""Is the taste pipeline keeping up? The queue's backlog by task, retries waiting,
running tasks (and whether their worker is alive), tasks failed for good, the oldest
unprocessed rating change and pending refreshes without a task.

    python manage.py taste_status [--max-age 900]

Exits 1 when something is older than --max-age seconds (an unprocessed change, a ready
task waiting, a task running, a pending refresh without a task) or a task failed for
good (and has not succeeded since), so a monitor can run it.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from taste.worker import pipeline_health, seconds


class Command(BaseCommand):
    help = "Show the task queue and the taste pipeline; exit 1 when something is stuck."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--max-age",
            type=int,
            default=900,
            help="Seconds after which waiting work counts as stuck (default: %(default)s).",
        )

    def handle(self, *args, max_age: int, **options) -> None:
        if max_age < 0:
            raise CommandError("--max-age must be zero or more seconds.")
        health = pipeline_health(timedelta(seconds=max_age))
        say = self.stdout.write
        ready = sum(health.ready.values())
        say(
            f"Ready tasks: {ready}"
            + (f", oldest waiting {seconds(health.age(health.oldest_ready))}" if ready else "")
        )
        for path, count in sorted(health.ready.items()):
            say(f"  {path}: {count}")
        say(f"Waiting to be tried again: {health.retrying}")
        say(f"Running tasks: {len(health.running)}")
        for task_id, path, started_at, alive in health.running:
            state = "worker alive" if alive else "worker gone"
            say(f"  {task_id} {path}: {seconds(health.age(started_at))}, {state}")
        say(f"Stale running tasks (worker gone, to be taken back): {len(health.stale_running)}")
        say(f"Failed tasks (tries used up, not succeeded since): {len(health.failed)}")
        for task_id, path, args, finished_at, exception in health.failed:
            say(f"  {task_id} {path} {args}: {exception}, {finished_at:%Y-%m-%d %H:%M:%S}")
        oldest = health.oldest_change
        say(
            f"Unprocessed changes: {health.log_rows} in the log, {health.pending} refreshes "
            "pending" + (f"; oldest change {seconds(health.age(oldest))} ago" if oldest else "")
        )
        say(f"Pending refreshes without a task: {len(health.stranded)}")
        for kind, object_id, since, status in health.stranded:
            say(
                f"  {kind} {object_id}: since {seconds(health.age(since))}, task {status or 'none'}"
            )
        problems = health.problems
        if problems:
            for problem in problems:
                self.stderr.write(f"STUCK: {problem}")
            raise CommandError(f"{len(problems)} problem(s) older than {max_age}s or failed.")
        say(self.style.SUCCESS(f"OK: nothing waiting longer than {max_age}s, nothing failed."))
