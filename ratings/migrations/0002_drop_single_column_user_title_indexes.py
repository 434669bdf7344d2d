"""Drop the single-column indexes of Rating.user and Rating.title: the unique
(user_id, title_id) and (title_id, rated_at DESC) indexes lead with those columns, so
the planner never needs them, and each rating write had to update them. Only the
indexes go (the foreign keys stay as they are, not re-validated)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DROP = """
DROP INDEX IF EXISTS ratings_rating_title_id_5ea84ced;
DROP INDEX IF EXISTS ratings_rating_user_id_585192d7;
"""
CREATE = """
CREATE INDEX IF NOT EXISTS ratings_rating_title_id_5ea84ced ON ratings_rating (title_id);
CREATE INDEX IF NOT EXISTS ratings_rating_user_id_585192d7 ON ratings_rating (user_id);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_search_and_poster_renditions"),
        ("ratings", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP, CREATE)],
            state_operations=[
                migrations.AlterField(
                    model_name="rating",
                    name="title",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ratings",
                        to="catalog.title",
                    ),
                ),
                migrations.AlterField(
                    model_name="rating",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ratings",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
