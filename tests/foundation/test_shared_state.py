"""Sessions and the sign-in throttle shared through Redis (REDIS_URL), so that any web
node serves a member signed in on another, and a lock-out holds on every node.

The second node is a second process: it sees the test's session and sign-in failures
only through Redis (the test's database rows are uncommitted, invisible to it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.handlers.proxy import AxesProxyHandler
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.foundation.stores import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory

pytestmark = pytest.mark.django_db


def _other_node(script: str) -> dict:
    """Run ``script`` (which prints JSON) in another process configured by REDIS_URL."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict),
        "HTTPS": "0",
        "ALLOWED_HOSTS": "testserver",
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django, json; django.setup()\n" + script],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def redis_settings(settings, redis_store):
    """This process configured as config/settings.py configures a node with REDIS_URL,
    on Redis database 15, flushed before and after."""
    configured = _other_node(
        "from django.conf import settings as s\n"
        "print(json.dumps({name: getattr(s, name) for name in "
        "('CACHES', 'SESSION_ENGINE', 'SESSION_CACHE_ALIAS', 'AXES_HANDLER', 'AXES_CACHE')}))"
    )
    assert configured["CACHES"]["shared"]["LOCATION"] == REDIS_URL
    saved = {name: getattr(settings, name, "default") for name in configured}
    for name, value in configured.items():
        setattr(settings, name, value)
    AxesProxyHandler.get_implementation(force=True)  # axes keeps its handler
    yield redis_store
    for name, value in reversed(saved.items()):  # axes and sessions before CACHES
        setattr(settings, name, value)
    AxesProxyHandler.get_implementation(force=True)


def test_a_session_started_on_one_node_is_used_by_another(redis_settings):
    assert redis_settings.dbsize() == 0
    member = UserFactory(username="noor")
    first = Client()
    response = first.post(reverse("accounts:login"), {"username": "noor", "password": PASSWORD})
    assert response.status_code == 302
    session_key = first.cookies["sessionid"].value
    assert redis_settings.dbsize() >= 1

    # Another client presenting the cookie is the same member.
    second = Client()
    second.cookies["sessionid"] = session_key
    assert second.get(reverse("accounts:settings")).context["user"] == member

    # Another process reads the session from Redis alone.
    other = _other_node(
        "from django.contrib.sessions.backends.cached_db import SessionStore\n"
        f"print(json.dumps(SessionStore({session_key!r}).load()))"
    )
    assert other["_auth_user_id"] == str(member.pk)


def test_a_member_locked_out_on_one_node_is_locked_out_on_another(redis_settings):
    UserFactory(username="jude")
    first = Client()
    for attempt in range(1, 6):
        response = first.post(reverse("accounts:login"), {"username": "jude", "password": "no"})
        assert response.status_code == (429 if attempt == 5 else 400)

    other = _other_node(
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "# Pages without collectstatic's manifest (as the test suite renders them).\n"
        "settings.STORAGES = {**settings.STORAGES, 'staticfiles': "
        "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "response = Client().post('/login/', {'username': 'jude', 'password': 'x'})\n"
        "print(json.dumps({'status': response.status_code, "
        "'locked': 'Too many sign-in attempts' in response.content.decode()}))"
    )
    assert other == {"status": 429, "locked": True}
