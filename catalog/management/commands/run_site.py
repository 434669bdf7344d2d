"""Serve the site with gunicorn and the background worker.

This process holds the embedded PostgreSQL open for as long as the site runs and
passes its address to the children, so every gunicorn worker shares one server
and the server is stopped cleanly when the site stops (Ctrl-C or SIGTERM). A
background process that exits (the worker, after a crash) is started again after a
short wait, longer each time it exits soon after starting; gunicorn exiting stops the
site.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand

logger = logging.getLogger("run_site")

# A background process that exits is restarted after RESTART_DELAY seconds, doubling
# (up to MAX_RESTART_DELAY) while it keeps exiting within STABLE_SECONDS of starting.
RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
STABLE_SECONDS = 60.0


class Background:
    """One background command, restarted whenever it exits."""

    def __init__(self, command: list[str], start: Callable[[list[str]], subprocess.Popen]):
        self.command = command
        self.name = " ".join(os.path.basename(part) for part in command[1:]) or command[0]
        self.start = start
        self.process = start(command)
        self.started_at = time.monotonic()
        self.delay = RESTART_DELAY
        self.restart_at: float | None = None
        self.restarts = 0

    def check(self, now: float) -> None:
        """Restart the process if it has exited and its wait is over."""
        if self.restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            if now - self.started_at >= STABLE_SECONDS:
                self.delay = RESTART_DELAY
            self.restart_at = now + self.delay
            logger.warning(
                "%s exited with code %s; restarting in %.0fs", self.name, code, self.delay
            )
            self.delay = min(self.delay * 2, MAX_RESTART_DELAY)
        if now >= self.restart_at:
            self.process = self.start(self.command)
            self.started_at, self.restart_at = now, None
            self.restarts += 1
            logger.warning("Restarted %s (restart %d)", self.name, self.restarts)


class Supervisor:
    """gunicorn plus background commands: ``watch`` restarts background processes that
    exit until gunicorn exits or ``stop`` is called (Ctrl-C, SIGTERM), then stops
    everything."""

    def __init__(self, main: list[str], background: list[list[str]], env: dict):
        self.env = env
        self.main = self.start(main)
        self.background = [Background(command, self.start) for command in background]
        self.stopping = threading.Event()

    def start(self, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(command, env=self.env)

    def processes(self) -> list[subprocess.Popen]:
        return [self.main] + [b.process for b in self.background]

    def watch(self, interval: float = 0.5) -> None:
        try:
            while not self.stopping.is_set() and self.main.poll() is None:
                for background in self.background:
                    background.check(time.monotonic())
                self.stopping.wait(interval)
        finally:
            self.stop()
            for process in self.processes():
                process.wait()

    def stop(self, *args) -> None:
        self.stopping.set()
        for process in self.processes():
            if process.poll() is None:
                process.terminate()


class Command(BaseCommand):
    help = "Serve the site with gunicorn on 127.0.0.1:PORT, plus the background worker."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))

    def handle(self, *args, host: str, port: int, workers: int, **options):
        env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL}
        gunicorn = [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "--bind", f"{host}:{port}",
            "--workers", str(workers),
            "--access-logfile", "-",
            "--graceful-timeout", "10",
        ]  # fmt: skip
        supervisor = Supervisor(gunicorn, self.background_commands(), env)
        self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl-C stops)"))
        signal.signal(signal.SIGTERM, supervisor.stop)
        signal.signal(signal.SIGINT, supervisor.stop)
        supervisor.watch()

    def background_commands(self) -> list[list[str]]:
        # The taste worker (PostgreSQL-backed queue): TCI, probable scores, similar titles.
        return [[sys.executable, str(settings.BASE_DIR / "manage.py"), "run_worker", "--no-reload"]]
