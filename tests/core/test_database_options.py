"""The site's database connections run with PostgreSQL's JIT off (config/settings.py):
it compiled the taste worker's statements for longer than they ran."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_connections_run_without_jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
