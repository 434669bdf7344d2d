"""The generations of the cached sections when REDIS_URL is unset (core/cache.py): an
append-only table, one row per change of a scope, read as count and greatest id."""

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS core_generation_event (
    id bigserial PRIMARY KEY,
    scope varchar(100) NOT NULL
);
CREATE INDEX IF NOT EXISTS core_generation_event_scope ON core_generation_event (scope, id);
"""


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunSQL(CREATE, "DROP TABLE IF EXISTS core_generation_event")]
