from django.core.management.base import BaseCommand

from social.services import NOTIFICATION_DAYS, prune_notifications


class Command(BaseCommand):
    help = f"Delete notifications older than {NOTIFICATION_DAYS} days (run daily, e.g. from cron)."

    def handle(self, *args, **options):
        deleted = prune_notifications()
        self.stdout.write(f"Notifications deleted: {deleted}")
