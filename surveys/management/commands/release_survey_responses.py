"""Release the responses still waiting in closed waves, reshuffle those waves, and delete what
answering leaves behind once it is no longer needed.

Responses enter the results in batches of ``SURVEY_RELEASE_BATCH`` while a wave is open; the last
few wait until it closes. Drafts never submitted are deleted once past their expiry
(``SURVEY_DRAFT_DAYS``), the invited list of a wave that hides participation once the wave has
closed, and expired sessions. Run daily from cron or a scheduler:
``python manage.py release_survey_responses``; ``--enqueue`` hands the work to the task worker.
Safe to run again: a wave with nothing waiting is left alone, and nothing is deleted twice.
"""

from django.core.management.base import BaseCommand

from surveys import services
from surveys.tasks import release_survey_responses


class Command(BaseCommand):
    help = (
        "Release responses waiting in closed survey waves into the results; delete expired "
        "drafts, the invited lists of closed waves and expired sessions."
    )

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
        for kind, count in services.closed_waves_tidy().items():
            self.stdout.write(f"Deleted {count} {kind}.")
        self.stdout.write(
            self.style.SUCCESS(f"{sum(released.values())} responses released in all.")
        )
