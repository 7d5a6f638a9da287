"""Delete personal data kept past its retention period (see the ``*_RETENTION_DAYS`` settings).

Run daily from cron or a scheduler: ``python manage.py apply_retention``. ``--enqueue`` hands
the work to the task worker instead. Safe to run again: a second run deletes nothing more.
"""

from django.core.management.base import BaseCommand

from cms.platform import personal_data
from cms.tasks import apply_retention


class Command(BaseCommand):
    help = "Delete used invitations, unapproved receipts and expired sign-ups past retention."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Run on the task worker.")

    def handle(self, *args, enqueue: bool, **options):
        if enqueue:
            result = apply_retention.enqueue()
            self.stdout.write(f"Enqueued task {result.id}.")
            return
        deleted = personal_data.apply_retention()
        for kind, count in deleted.items():
            self.stdout.write(f"Deleted {count} {kind}.")
        self.stdout.write(self.style.SUCCESS(f"{sum(deleted.values())} deleted in all."))
