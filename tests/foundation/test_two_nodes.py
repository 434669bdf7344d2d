"""Two web nodes (gunicorn) and two workers (run_worker) at once against one primary, its
streaming replica and Redis: members sign in on one node and rate through both; in the
end every percentile checks out and the stored taste is what the ratings give."""

import http.cookiejar
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from ratings.models import Rating
from taste.models import PendingRefresh, TasteChange
from tests.factories import TitleFactory, UserFactory
from tests.foundation.stores import REDIS_URL
from tests.pgcluster import free_port, use_cluster_databases
from tests.taste.test_pipeline_fault import TASKS_TABLE, fresh_tcis, stored_tcis

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory
DEADLINE = 180.0
User = get_user_model()
# How many tasks each worker ran (a task taken back by a second worker counts for both).
WORKERS_SQL = (
    f"SELECT worker, count(*) FROM {TASKS_TABLE}, "
    "jsonb_array_elements_text(worker_ids) AS worker GROUP BY worker"
)


def _wait_for(condition, what: str, processes: list, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        for process, log in processes:
            if process.poll() is not None:
                raise AssertionError(f"{process.args[:3]} exited:\n{log.read_text()[-3000:]}")
        if time.monotonic() > end:
            logs = "\n".join(log.read_text()[-2000:] for _, log in processes)
            raise AssertionError(f"Not within {deadline:.0f}s: {what}\n{logs}")
        time.sleep(0.2)


class Browser:
    """A member's browser: one cookie jar for every node (cookies ignore the port)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str:
        return next(cookie.value for cookie in self.jar if cookie.name == name)

    def get(self, url: str) -> tuple[int, str]:
        with self.opener.open(url, timeout=60) as response:
            return response.status, response.read().decode()

    def post(self, url: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.cookie("csrftoken")})
        try:
            with self.opener.open(url, body.encode(), timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_two_web_nodes_and_two_workers_share_the_database_replica_and_redis(
    cluster, django_db_blocker, tmp_path, redis_store
):

    with django_db_blocker.unblock(), use_cluster_databases(cluster):
        # Hashed as the nodes hash (the suite's fast MD5 hasher is not theirs).
        password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
        members = [UserFactory(username=f"node{n}") for n in range(6)]
        User.objects.filter(pk__in=[m.pk for m in members]).update(password=password)
        titles = [TitleFactory(name=f"Two nodes {n}") for n in range(24)]
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": cluster.url(cluster.primary_port, "movies"),
        "DATABASE_REPLICA_URLS": cluster.url(cluster.replica_port, "movies"),
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "two-nodes-test-secret-key",
        "HTTPS": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TASKS_IMMEDIATE": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
        "CONN_MAX_AGE": "0",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "collectstatic", "--noinput", "--verbosity", "0"],
        env=environment, check=True, timeout=300,
    )  # fmt: skip
    processes = []
    ports = [free_port(), free_port()]

    def start(command: list, log: Path) -> tuple:
        with log.open("ab") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=out)
        return process, log

    try:
        for number, port in enumerate(ports):
            log = tmp_path / f"web{number}.log"
            command = [
                sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--access-logfile", "-",
            ]  # fmt: skip
            processes.append(start(command, log))
        for number in range(2):
            log = tmp_path / f"worker{number}.log"
            command = [
                *manage, "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1",
                "--settle", "0", "--poll", "0.2", "--sweep", "0.5",
            ]  # fmt: skip
            processes.append(start(command, log))
        nodes = [f"http://127.0.0.1:{port}" for port in ports]

        def serving() -> bool:
            try:
                return all(Browser().get(f"{node}/login/")[0] == 200 for node in nodes)
            except OSError:
                return False

        _wait_for(serving, "both web nodes answer", processes, deadline=120)

        # Each member signs in on one node and rates through both, alternately: the
        # session is in Redis, every write goes to the primary.
        for n, member in enumerate(members):
            browser = Browser()
            browser.get(f"{nodes[n % 2]}/login/")
            status, page = browser.post(
                f"{nodes[n % 2]}/login/", {"username": member.username, "password": PASSWORD}
            )
            assert status == 200, page[:3000]
            for i, title in enumerate(titles[: 14 + n]):
                score = (i * (n + 3) * 7) % 101
                status, page = browser.post(
                    f"{nodes[i % 2]}/titles/{title.pk}/rating/edit/", {"score": str(score)}
                )
                assert status == 200, page[:3000]
                assert title.name in page

        with django_db_blocker.unblock(), use_cluster_databases(cluster):
            expected = sum(14 + n for n in range(6))
            assert Rating.objects.filter(user__in=members).count() == expected

            def settled() -> bool:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT count(*) FROM {TASKS_TABLE} WHERE status IN ('READY', 'RUNNING')"
                    )
                    (busy,) = cursor.fetchone()
                return (
                    not busy
                    and not TasteChange.objects.exists()
                    and not PendingRefresh.objects.exists()
                    and stored_tcis() == fresh_tcis()
                )

            _wait_for(settled, "the two workers catch up", processes)
            with connection.cursor() as cursor:
                cursor.execute(WORKERS_SQL)
                per_worker = dict(cursor.fetchall())
            print(f"tasks run per worker: {per_worker}")
            assert len(per_worker) == 2, per_worker  # both workers took tasks
            assert len(stored_tcis()) >= 10

        check = subprocess.run(
            [*manage, "check_percentiles"], env=environment, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr

        # Both nodes served requests.
        for number in range(2):
            assert "POST /titles/" in (tmp_path / f"web{number}.log").read_text()
    finally:
        for process, _ in processes:
            process.terminate()
        for process, _ in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
