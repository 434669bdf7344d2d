"""Issue 17, in one migration for taste:

- drop the single-column indexes of Compatibility.user_a and user_b: the unique
  (user_a_id, user_b_id) and (user_b_id, tci_shrunk) indexes lead with those columns
  (only the indexes go; the foreign keys stay, not re-validated);
- the change log's dispatch reads its head by id (the changes of single ratings first,
  index taste_change_interactive) and the rows of the objects it takes (index
  taste_change_object), never the whole log;
- TasteChange.bulk: its database default reads the transaction's setting
  ``movies.bulk_write`` (set by ratings.services for bulk writes), so the triggers of
  migration 0002 log bulk changes as such without being changed."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROP = """
DROP INDEX IF EXISTS taste_compatibility_user_a_id_43242809;
DROP INDEX IF EXISTS taste_compatibility_user_b_id_62ecd598;
"""
CREATE = """
CREATE INDEX IF NOT EXISTS taste_compatibility_user_a_id_43242809
    ON taste_compatibility (user_a_id);
CREATE INDEX IF NOT EXISTS taste_compatibility_user_b_id_62ecd598
    ON taste_compatibility (user_b_id);
"""
ADD_BULK = """
ALTER TABLE taste_tastechange ADD COLUMN bulk boolean NOT NULL
    DEFAULT (coalesce(current_setting('movies.bulk_write', true), '') = 'on');
"""
DROP_BULK = "ALTER TABLE taste_tastechange DROP COLUMN bulk;"


def _user(name: str) -> migrations.AlterField:
    return migrations.AlterField(
        model_name="compatibility",
        name=name,
        field=models.ForeignKey(
            db_index=False,
            on_delete=django.db.models.deletion.CASCADE,
            related_name="+",
            to=settings.AUTH_USER_MODEL,
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("taste", "0007_taste_factors"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP, CREATE)],
            state_operations=[_user("user_a"), _user("user_b")],
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD_BULK, DROP_BULK)],
            state_operations=[
                migrations.AddField(
                    model_name="tastechange",
                    name="bulk",
                    field=models.BooleanField(default=False, editable=False),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="tastechange",
            index=models.Index(
                fields=["kind", "object_id", "changed_at"], name="taste_change_object"
            ),
        ),
        migrations.AddIndex(
            model_name="tastechange",
            index=models.Index(
                fields=["id"], condition=models.Q(bulk=False), name="taste_change_interactive"
            ),
        ),
    ]
