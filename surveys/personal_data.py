"""What surveys hold on a person: the address a survey link was sent to, and nothing else.

Registered with ``cms.platform.personal_data``. A response holds nothing that names anyone, and
a used link loses its address in the same transaction that stores the response, so the personal
data here is the address on an unused link (kept for reminders), an address on the invited list
of a wave that hides who answered (``WaveInvitee``, deleted when the wave has closed), and the
officer who sent a batch of links or imported, removed or replaced a batch of counts.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html

from cms.platform import personal_data
from cms.platform.personal_data import Erasure, ErasurePreview, Section
from surveys.models import SurveyInvitation, WaveInvitee
from surveys.services import used_invitations_delete

personal_data.exempt(
    "surveys.InvitationBatch",
    reason="the council's record of which officer sent or reminded a wave's links",
)
personal_data.exempt(
    "surveys.CountImportBatch",
    reason="the council's record of which officer imported, removed or replaced a set of "
    "aggregated counts; the links are cleared (SET_NULL) when the account is deleted",
)


def _unused(email: str):
    return SurveyInvitation.objects.filter(used=False, email__iexact=email).exclude(email="")


def _listed(email: str):
    return WaveInvitee.objects.filter(email__iexact=email)


@personal_data.provider("surveys")
class SurveyLinks(personal_data.Provider):
    models = ("surveys.SurveyInvitation", "surveys.WaveInvitee")

    def sections(self, *, user) -> list[Section]:
        links = [
            {"survey": link.wave.survey.name, "year": link.wave.year, "sent": link.created_on}
            for link in _unused(user.email).select_related("wave__survey").order_by("created_on")
        ]
        listed = [
            {"survey": row.wave.survey.name, "year": row.wave.year}
            for row in _listed(user.email).select_related("wave__survey").order_by("wave__year")
        ]
        return [
            Section("survey_links", links, "surveys/personal_data/survey_links.html"),
            Section(
                "survey_invitee_lists", listed, "surveys/personal_data/survey_invitee_lists.html"
            ),
        ]

    def erasure_preview(self, *, user) -> ErasurePreview:
        count = _unused(user.email).count()
        listed = _listed(user.email).count()
        deletes = []
        if count:
            deletes.append(
                format_html(
                    "their address on {} survey link{} not yet used ({} still in the response "
                    "rate);",
                    count,
                    "" if count == 1 else "s",
                    "it stays" if count == 1 else "they stay",
                )
            )
        if listed:
            deletes.append(
                format_html(
                    "their address on the invited list of {} survey wave{} (reminders stop);",
                    listed,
                    "" if listed == 1 else "s",
                )
            )
        return ErasurePreview(
            deletes=deletes, counts={"survey_links": count, "survey_invitee_lists": listed}
        )

    def erase(self, *, erasure: Erasure) -> dict[str, int]:
        erased = _unused(erasure.old_email).update(email="")
        removed, _ = _listed(erasure.old_email).delete()
        return {"survey_link_addresses_erased": erased, "survey_invitee_addresses_deleted": removed}

    def retention(self, *, now) -> dict[str, int]:
        today = timezone.localdate(now)
        created_before = today - timedelta(days=settings.USED_SURVEY_INVITATION_RETENTION_DAYS)
        return {"used survey invitations": used_invitations_delete(created_before=created_before)}
