"""Pending refreshes stay until a refresh covers them: the oldest change each stands
for, a generation (from one sequence, so a marker written again never repeats an older
generation) and the task queued for it."""

from django.db import migrations, models

SEQUENCE = """
CREATE SEQUENCE taste_pending_generation;
"""
DROP_SEQUENCE = "DROP SEQUENCE IF EXISTS taste_pending_generation;"


class Migration(migrations.Migration):
    dependencies = [
        ("taste", "0005_psi_v2"),
    ]

    operations = [
        migrations.RunSQL(SEQUENCE, DROP_SEQUENCE),
        migrations.AddField(
            model_name="pendingrefresh",
            name="changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="pendingrefresh",
            name="generation",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="pendingrefresh",
            name="task_id",
            field=models.UUIDField(blank=True, null=True),
        ),
    ]
