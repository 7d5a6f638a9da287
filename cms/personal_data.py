"""What the site core holds on a person: the account, its addresses and second factors, its
invitations, Wagtail's per-user records, and who has looked at the person's data.

Registered with ``cms.platform.personal_data``; the models below that link to a user but are the
council's own records (who edited a page, who approved a response) are declared exempt, with
the reason.
"""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.html import format_html

from wagtail.models import ModelLogEntry

from cms import services
from cms.models import Invitation, User
from cms.platform import audit, personal_data
from cms.platform.personal_data import Erasure, ErasurePreview, Section
from cms.roles import role_names

ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: .invalid can never be delivered to
# Wagtail's records of one user's own use of the admin (the reverse accessors on the user).
WAGTAIL_PER_USER = (
    "wagtail_userprofile",
    "editing_sessions",
    "wagtail_form_states",
    "page_subscriptions",
    "api_tokens",
)

_WORK_RECORD = (
    "the council's record of its officers' work, kept as an audit trail; board members, who "
    "can be erased, never use the admin"
)
for _label in (
    "wagtailcore.Page",
    "wagtailcore.Revision",
    "wagtailcore.WorkflowState",
    "wagtailcore.TaskState",
    "wagtailcore.Comment",
    "wagtailcore.CommentReply",
    "wagtailcore.UploadedFile",
    "wagtailimages.Image",
    "wagtaildocs.Document",
):
    personal_data.exempt(_label, reason=_WORK_RECORD)
for _label in ("wagtailcore.ModelLogEntry", "wagtailcore.PageLogEntry"):
    personal_data.exempt(
        _label,
        reason="the audit log; entries about a person are labelled by account number, and "
        "erasure rewrites any older label that named them",
    )
personal_data.exempt("cms.SiteSettings", reason="the council's public contact address")


def erased_email(*, user_id: int) -> str:
    """The unique, undeliverable address an erased account keeps (email must stay unique)."""
    return f"erased-{user_id}@{ERASED_EMAIL_DOMAIN}"


def is_erased(user) -> bool:
    return user.email.endswith(f"@{ERASED_EMAIL_DOMAIN}")


def _delete(queryset) -> int:
    """How many rows of the queryset's own model were deleted (not counting cascades)."""
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


def _invitations(email: str, user):
    """Invitations sent to the address, or accepted by the account (under another address)."""
    return Invitation.objects.filter(Q(email__iexact=email) | Q(accepted_by=user))


@personal_data.provider("account")
class AccountData(personal_data.Provider):
    """The account and how its owner signs in; invitations sent to their address."""

    models = (
        "cms.User",
        "cms.Invitation",
        "account.EmailAddress",
        "mfa.Authenticator",
        "wagtailusers.UserProfile",
        "wagtailadmin.EditingSession",
        "wagtailadmin.FormState",
        "wagtailcore.APIToken",
        "wagtailcore.PageSubscription",
    )

    def sections(self, *, user) -> list[Section]:
        account = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "account_created": user.date_joined,
            "last_signed_in": user.last_login,
            "active": user.is_active,
            "roles": sorted(role_names(user)),
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user).order_by("email")
            ],
            # That a second factor exists and when it was used: never its secret or codes.
            "second_factors": [
                {
                    "type": authenticator.get_type_display(),
                    "added": authenticator.created_at,
                    "last_used": authenticator.last_used_at,
                }
                for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
            ],
        }
        invitations = [
            {
                "role": invitation.role.name,
                "sent": invitation.created_at,
                "expires": invitation.expires_at,
                "accepted": invitation.accepted_at,
            }
            for invitation in Invitation.objects.filter(email__iexact=user.email)
            .select_related("role")
            .order_by("created_at")
        ]
        return [
            Section("account", account, "cms/personal_data/account.html"),
            Section("invitations", invitations, "cms/personal_data/invitations.html"),
        ]

    def erasure_preview(self, *, user) -> ErasurePreview:
        counts = {
            "email_addresses": EmailAddress.objects.filter(user=user).count(),
            "second_factors": Authenticator.objects.filter(user=user).count(),
            "invitations": _invitations(user.email, user).count(),
        }
        return ErasurePreview(
            deletes=[
                "their name and email address: the account keeps only an undeliverable "
                "placeholder address, cannot sign in, has no password and no role, and any "
                "signed-in session ends;",
                format_html(
                    "{} email address{} and {} second factor{} used to sign in, and {} "
                    "invitation{} sent to them;",
                    counts["email_addresses"],
                    "" if counts["email_addresses"] == 1 else "es",
                    counts["second_factors"],
                    "" if counts["second_factors"] == 1 else "s",
                    counts["invitations"],
                    "" if counts["invitations"] == 1 else "s",
                ),
            ],
            counts=counts,
        )

    def erase(self, *, erasure: Erasure) -> dict[str, int]:
        user = erasure.user
        invitations = _invitations(erasure.old_email, user)
        invitation_pks = list(invitations.values_list("pk", flat=True))
        audit.scrub_log_labels(Invitation, invitation_pks)
        counts = {
            "invitations_deleted": _delete(Invitation.objects.filter(pk__in=invitation_pks)),
            "email_addresses_deleted": _delete(EmailAddress.objects.filter(user=user)),
            "second_factors_deleted": _delete(Authenticator.objects.filter(user=user)),
        }
        # Wagtail's per-user records; a board member rarely has any (they do not use the admin).
        for related in WAGTAIL_PER_USER:
            relation = user._meta.get_field(related)
            relation.related_model._default_manager.filter(**{relation.field.name: user}).delete()
        return counts

    def retention(self, *, now) -> dict[str, int]:
        expired_before = now - timedelta(days=settings.EXPIRED_ACCOUNT_INVITATION_RETENTION_DAYS)
        return {
            "account invitations never accepted": services.invitations_delete_expired(
                expired_before=expired_before
            )
        }


@personal_data.provider("background tasks")
class TaskResults(personal_data.Provider):
    """django-tasks keeps a row for every task, with its arguments and result, until deleted.

    Our tasks take ids, not addresses or bodies (``board.notifications``), but a row may still
    name a person (a task queued before that change, an import's file name, a library's task):
    finished rows go after ``TASK_RESULT_RETENTION_DAYS``, and an erasure deletes every row
    that holds the person's address, finished or not.
    """

    models = (DBTaskResult._meta.label,)

    def erase(self, *, erasure: Erasure) -> dict[str, int]:
        mentioning = DBTaskResult.objects.annotate(
            arguments=Cast("args_kwargs", TextField()), result=Cast("return_value", TextField())
        ).filter(Q(arguments__icontains=erasure.old_email) | Q(result__icontains=erasure.old_email))
        return {"task_records_deleted": _delete(DBTaskResult.objects.filter(pk__in=mentioning))}

    def retention(self, *, now) -> dict[str, int]:
        finished_before = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
        finished = DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
            finished_at__lt=finished_before,
        )
        return {"finished background tasks": _delete(finished)}


# Last: the account itself is anonymised once every app has erased its part, and the audit
# trail is the last section of the download.
@personal_data.provider("account closure", order=100)
class AccountClosure(personal_data.Provider):
    def sections(self, *, user) -> list[Section]:
        return [
            Section(
                "viewed_by_council_staff",
                views_of(user),
                "cms/personal_data/viewed_by_council_staff.html",
            )
        ]

    def erase(self, *, erasure: Erasure) -> dict[str, int]:
        user = erasure.user
        audit.scrub_log_labels(User, [user.pk], label=audit.account_label(user))
        user.first_name = ""
        user.last_name = ""
        user.email = erased_email(user_id=user.pk)
        user.set_unusable_password()
        user.is_active = False
        user.last_login = None
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        return {"sessions_ended": audit.sessions_end(user=user)}


def views_of(user) -> list[dict]:
    """When council staff looked at this person's data, and what: never which officer.

    Views of their record are logged against their account; a list showing many people is
    logged once against the listed model's content type, with the accounts it showed (a JSON
    list, read here rather than queried, as SQLite cannot search inside one).
    """
    views = ModelLogEntry.objects.filter(action=audit.PERSONAL_DATA_VIEW)
    own = views.filter(content_type=ContentType.objects.get_for_model(user), object_id=str(user.pk))
    lists = views.filter(content_type=ContentType.objects.get_for_model(ContentType))
    entries = list(own) + [e for e in lists if user.pk in (e.data or {}).get("accounts", [])]
    return [
        {"when": entry.timestamp, "what": (entry.data or {}).get("what", "")}
        for entry in sorted(entries, key=lambda entry: (entry.timestamp, entry.pk))
    ]
