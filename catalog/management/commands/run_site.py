"""Serve the site with gunicorn (and, once there is one, the background worker).

This process holds the embedded PostgreSQL open for as long as the site runs and
passes its address to the children, so every gunicorn worker shares one server
and the server is stopped cleanly when the site stops (Ctrl-C or SIGTERM).
"""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


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
        children = [subprocess.Popen(gunicorn, env=env)]
        children += [subprocess.Popen(cmd, env=env) for cmd in self.background_commands()]
        self.stdout.write(self.style.SUCCESS(f"Serving on http://{host}:{port}/ (Ctrl-C stops)"))

        def stop(signum, frame):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            children[0].wait()
        finally:
            stop(None, None)
            for child in children:
                child.wait()

    def background_commands(self) -> list[list[str]]:
        # The taste worker (PostgreSQL-backed queue): TCI, probable scores, similar titles.
        return [[sys.executable, str(settings.BASE_DIR / "manage.py"), "run_worker", "--no-reload"]]
