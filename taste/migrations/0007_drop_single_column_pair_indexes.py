"""Drop the single-column indexes of Compatibility.user_a and user_b: the unique
(user_a_id, user_b_id) and (user_b_id, tci_shrunk) indexes lead with those columns.
Only the indexes go (the foreign keys stay, not re-validated)."""

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
        ("taste", "0006_pending_refresh_generation_and_task"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP, CREATE)],
            state_operations=[_user("user_a"), _user("user_b")],
        ),
    ]
