"""The table of the database cache (config/settings.py uses it when REDIS_URL is unset);
the same table ``manage.py createcachetable`` makes, created by ``migrate`` so that
``make run`` and docker compose need no extra step."""

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS django_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS django_cache_expires ON django_cache (expires);
"""


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunSQL(CREATE, "DROP TABLE IF EXISTS django_cache")]
