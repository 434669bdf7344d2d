"""Copy the moderation state onto the rows lower apps filter on.

``User.is_suspended`` is True for members with an active suspension (``lifted_at IS
NULL``) and ``Collection.hidden_by_moderator`` for collections with a ``HiddenCollection``
row. From here on moderation.services keeps both in sync with those rows.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Collection = apps.get_model("collections_app", "Collection")
    Suspension = apps.get_model("moderation", "Suspension")
    HiddenCollection = apps.get_model("moderation", "HiddenCollection")
    # Subqueries on the moderation rows, not a filter across the reverse relation: a
    # "lifted_at IS NULL" through a LEFT JOIN would also match members never suspended.
    active = Suspension.objects.filter(lifted_at__isnull=True).values("user_id")
    User.objects.filter(pk__in=active).update(is_suspended=True)
    hidden = HiddenCollection.objects.values("collection_id")
    Collection.objects.filter(pk__in=hidden).update(hidden_by_moderator=True)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_moderators_group"),
        ("accounts", "0003_user_is_suspended"),
        ("collections_app", "0003_collection_hidden_by_moderator"),
    ]

    operations = [
        # Going back, the flags disappear with their columns: nothing to undo here.
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
