"""Email the named owner of every overdue recommendation (at most once a week each).

Run daily from cron or a scheduler: ``python manage.py escalate_overdue``. ``--enqueue`` hands
the work to the task worker instead.
"""

from django.core.management.base import BaseCommand

from board import services
from board.tasks import escalate_overdue_recommendations


class Command(BaseCommand):
    help = "Escalate overdue council responses to their named owners by email."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Run on the task worker.")

    def handle(self, *args, enqueue: bool, **options):
        if enqueue:
            result = escalate_overdue_recommendations.enqueue()
            self.stdout.write(f"Enqueued task {result.id}.")
            return
        escalated = services.recommendations_escalate_overdue()
        for recommendation in escalated:
            self.stdout.write(f"Escalated {recommendation.reference} to {recommendation.owner}.")
        self.stdout.write(self.style.SUCCESS(f"{len(escalated)} overdue recommendation(s)."))
