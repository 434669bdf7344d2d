"""Benchmark: the home page's latency while three large imports run.

    .venv/bin/python bench/imports.py [ROWS] [IDLE_REQUESTS]   (default 100,000 and 30)

In a fresh database (BENCH_DATABASE_URL if set; otherwise bench_imports on the server
of DATABASE_URL; otherwise an embedded PostgreSQL under var/bench-pgdata) with ROWS
titles and three members, starts the site as production does: gunicorn with three
workers on a free port of 127.0.0.1 (DEBUG=0, the database task queue) and one
`manage.py run_worker`. Then:

- idle:    the anonymous home page, IDLE_REQUESTS times one after another;
- imports: the same page, over and over, while the three members each upload a
           ROWS-line CSV at once, wait for the preview, confirm, and wait until the
           worker has written every rating.

Prints the median and 90th percentile of each, the ratio to idle measured in the same
run, how long each upload request took, and how long each import took end to end.
Nothing is asserted; this only prints.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))

from bench._databases import ensure_database, server_url, with_database  # noqa: E402

IMPORTS = 3
GUNICORN_WORKERS = 3
TIMEOUT = 1800  # seconds for the three imports, after which the run gives up


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _csv(rows: int, member: int) -> bytes:
    lines = ["title,year,score"]
    lines += [f"Film {n},{1900 + n % 120},{(n * 7 + member) % 101}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _seed(rows: int) -> list[str]:
    """ROWS titles "Film n" and IMPORTS members; their signed-in session keys."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.text import slugify

    from accounts.models import User
    from catalog.models import Title

    batch = []
    for n in range(rows):
        title = Title(name=f"Film {n}", year=1900 + n % 120, slug=slugify(f"film {n}"))
        title.refresh_search_fields()
        batch.append(title)
        if len(batch) == 5_000:
            Title.objects.bulk_create(batch)
            batch = []
    Title.objects.bulk_create(batch)
    sessions = []
    for member in range(IMPORTS):
        user = User.objects.create_user(f"bench-{member}", password=uuid.uuid4().hex)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "moderation.backends.ModerationBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    return sessions


class Member:
    """One signed-in member's browser: cookies, CSRF token, upload and confirm."""

    def __init__(self, base: str, session_key: str) -> None:
        self.base = base
        self.cookies = {"sessionid": session_key}

    def _open(self, request: urllib.request.Request):
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        response = urllib.request.urlopen(request)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def _token(self, path: str) -> str:
        with self._open(urllib.request.Request(self.base + path)) as response:
            page = response.read().decode()
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def upload(self, data: bytes) -> tuple[float, str]:
        token = self._token("/account/import/")
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
                f"\r\n\r\n{token}\r\n".encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="plain_scale"'
                "\r\n\r\n100\r\n".encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                'filename="ratings.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode(),
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        request = urllib.request.Request(
            self.base + "/account/import/",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        started = time.perf_counter()
        with self._open(request) as response:
            response.read()
            location = response.url
        return time.perf_counter() - started, location

    def confirm(self, preview_url: str) -> None:
        path = urllib.parse.urlsplit(preview_url).path
        token = self._token(path)
        request = urllib.request.Request(
            self.base + path + "confirm/",
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
        )
        with self._open(request) as response:
            response.read()


def _status(preview_url: str) -> str:
    from accounts.models import ImportBatch

    pk = int(urllib.parse.urlsplit(preview_url).path.rstrip("/").rsplit("/", 1)[1])
    return ImportBatch.objects.filter(pk=pk).values_list("status", flat=True).first() or ""


def _wait_for(preview_url: str, wanted: set[str]) -> str:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        status = _status(preview_url)
        if status in wanted:
            return status
        time.sleep(0.5)
    raise TimeoutError(f"{preview_url} still not {wanted}")


def _get_ms(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
        assert response.status == 200, response.status
    return (time.perf_counter() - started) * 1000


def _run_import(member: Member, data: bytes, report: dict) -> None:
    from django.db import connection

    started = time.perf_counter()
    try:
        report["upload"], preview = member.upload(data)
        report["parsed"] = _wait_for(preview, {"pending", "failed"})
        report["parse_s"] = time.perf_counter() - started
        member.confirm(preview)
        report["status"] = _wait_for(preview, {"applied", "failed"})
        report["total_s"] = time.perf_counter() - started
    finally:
        connection.close()


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    idle_requests = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    url = os.environ.get("BENCH_DATABASE_URL") or with_database(server_url(), "bench_imports")
    ensure_database(url, fresh=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "HTTPS": "0",
        "TASKS_IMMEDIATE": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": "bench-imports-" + uuid.uuid4().hex,
        "STATIC_ROOT": str(folder / "static"),
        "DATA_DIR": str(folder),
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*manage, *command], env=env, check=True, cwd=BASE_DIR)
    import django

    django.setup()
    sessions = _seed(rows)
    files = [_csv(rows, member) for member in range(IMPORTS)]

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / "server.log").open("w")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    processes = [
        subprocess.Popen(
            [str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(GUNICORN_WORKERS), "--timeout", "120"],
            env=env,
            cwd=BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [*manage, "run_worker"], env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        ),
    ]
    try:
        for _attempt in range(100):
            try:
                _get_ms(base + "/")
                break
            except OSError:
                time.sleep(0.2)
        for _warm in range(5):
            _get_ms(base + "/")
        idle = [_get_ms(base + "/") for _ in range(idle_requests)]

        reports = [{} for _ in range(IMPORTS)]
        threads = [
            threading.Thread(
                target=_run_import, args=(Member(base, key), data, report), daemon=True
            )
            for key, data, report in zip(sessions, files, reports, strict=True)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        busy = []
        while any(thread.is_alive() for thread in threads):
            busy.append(_get_ms(base + "/"))
        wall = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        log.close()

    idle_median, idle_p90 = _stats(idle)
    print(
        f"Home page while {IMPORTS} imports of {rows:,} lines run "
        f"(gunicorn {GUNICORN_WORKERS} workers, 1 task worker, {os.cpu_count()} CPUs)"
    )
    print(f"{'phase':<10}{'requests':>10}{'median ms':>11}{'p90 ms':>9}{'x idle':>8}")
    print(f"{'idle':<10}{len(idle):>10}{idle_median:>11.1f}{idle_p90:>9.1f}{1:>8.1f}")
    if busy:
        median, p90 = _stats(busy)
        print(
            f"{'imports':<10}{len(busy):>10}{median:>11.1f}{p90:>9.1f}{median / idle_median:>8.1f}"
        )
    print(f"{'import':<8}{'upload s':>10}{'parsed s':>10}{'done s':>9}  status")
    for number, report in enumerate(reports, start=1):
        print(
            f"{number:<8}{report.get('upload', float('nan')):>10.2f}"
            f"{report.get('parse_s', float('nan')):>10.1f}"
            f"{report.get('total_s', float('nan')):>9.1f}  {report.get('status', 'did not finish')}"
        )
    print(f"(all three done in {wall:.1f} s; server and worker log: {folder / 'server.log'})")


if __name__ == "__main__":
    main()
