"""Release the responses still waiting in closed waves, and reshuffle those waves.

Responses enter the results in batches of ``SURVEY_RELEASE_BATCH`` while a wave is open; the last
few wait until it closes. Run daily from cron or a scheduler:
``python manage.py release_survey_responses``; ``--enqueue`` hands the work to the task worker.
Safe to run again: a wave with nothing waiting is left alone.
"""

from django.core.management.base import BaseCommand

from surveys import services
from surveys.tasks import release_survey_responses


class Command(BaseCommand):
    help = "Release responses waiting in closed survey waves into the results."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Run on the task worker.")

    def handle(self, *args, enqueue: bool, **options):
        if enqueue:
            result = release_survey_responses.enqueue()
            self.stdout.write(f"Enqueued task {result.id}.")
            return
        released = services.closed_waves_release()
        for wave, count in released.items():
            self.stdout.write(f"{wave}: released {count} and reshuffled the wave.")
        self.stdout.write(
            self.style.SUCCESS(f"{sum(released.values())} responses released in all.")
        )
