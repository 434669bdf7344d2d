"""The "Moderators" group with only the permissions moderation needs.

Moderators see ratings, collections and members (read-only) and work the moderation
queue; they cannot change titles, scores, collections' contents or other accounts.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Moderators"
PERMISSIONS = [
    ("moderation", "view_case"),
    ("moderation", "change_case"),
    ("moderation", "view_report"),
    ("moderation", "view_moderationaction"),
    ("moderation", "view_suspension"),
    ("moderation", "add_suspension"),
    ("moderation", "change_suspension"),
    ("moderation", "view_hiddencollection"),
    ("ratings", "view_rating"),
    ("collections_app", "view_collection"),
    ("collections_app", "view_collectionitem"),
    ("accounts", "view_user"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now so the
    # group can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    wanted = []
    for app_label, codename in PERMISSIONS:
        wanted.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    group.permissions.set(wanted)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_import_batch"),
        ("ratings", "0001_initial"),
        ("collections_app", "0002_items_count_and_position_constraints"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
