from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0002_items_count_and_position_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="collection",
            name="hidden_by_moderator",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="hidden by a moderator"
            ),
        ),
    ]
