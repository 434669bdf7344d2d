"""Fixtures of the scale-out tests: a PostgreSQL primary with a streaming replica."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import pgcluster
from tests.foundation.stores import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cluster(request):
    """A migrated primary ("movies") and its streaming replica, stopped at the end."""
    reason = pgcluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    cluster = pgcluster.new_cluster()
    request.addfinalizer(cluster.stop)
    cluster.start_primary()
    cluster.execute(cluster.primary_port, "CREATE DATABASE movies")
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URLS"},
        "DATABASE_URL": cluster.url(cluster.primary_port, "movies"),
        "SECRET_KEY": "replica-test-secret-key",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=environment, check=True, timeout=600,
    )  # fmt: skip
    cluster.start_replica()
    return cluster


@pytest.fixture
def redis_store():
    """The Redis database REDIS_URL names, empty, and emptied again afterwards (skips
    when no Redis server answers: `.ci/run` starts one)."""
    redis = pytest.importorskip("redis")
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis server at {REDIS_URL}")
    store.flushdb()
    yield store
    store.flushdb()
