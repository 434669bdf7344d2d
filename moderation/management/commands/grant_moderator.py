"""manage.py grant_moderator USERNAME: make a member a moderator (staff, Moderators group)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from moderation import services


class Command(BaseCommand):
    help = "Make a member a moderator: staff status (admin sign-in) and the Moderators group."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No member with username {username!r}.") from None
        services.grant_moderator(user)
        self.stdout.write(f"{user.username} is now a moderator (sign in at /admin/).")
