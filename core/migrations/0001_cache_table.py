"""The generations of the cached sections when REDIS_URL is unset (core/cache.py), and
the table of Django's database cache (the one ``manage.py createcachetable`` makes, for
a site configured to use it), created by ``migrate`` so that ``make run`` and docker
compose need no extra step."""

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS django_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS django_cache_expires ON django_cache (expires);
CREATE TABLE IF NOT EXISTS core_generation_event (
    id bigserial PRIMARY KEY,
    scope varchar(100) NOT NULL
);
CREATE INDEX IF NOT EXISTS core_generation_event_scope ON core_generation_event (scope, id);
"""


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunSQL(CREATE, "DROP TABLE IF EXISTS django_cache; DROP TABLE IF EXISTS core_generation_event")]
