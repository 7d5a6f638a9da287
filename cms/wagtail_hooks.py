from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect

from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import CreateView, EditView

from cms import services
from cms.forms import InvitationForm
from cms.models import Invitation
from cms.platform import audit
from cms.viewsets import PlatformModelViewSet


class InvitationCreateView(CreateView):
    def form_valid(self, form):
        self.form = form
        try:
            self.object = services.invitation_create(
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=self.request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            form.add_error("role", str(error))
            return self.form_invalid(form)
        return self.save_action()

    def get_success_message(self, instance):
        return f"Invitation sent to {instance.email}."


class InvitationEditView(EditView):
    """An invitation is never edited (its link went to one address): show it instead."""

    def dispatch(self, request, *args, **kwargs):
        # Wagtail's views are not given their viewset, only its URL names.
        return redirect(self.inspect_url_name, self.kwargs["pk"])


class InvitationViewSet(PlatformModelViewSet):
    model = Invitation
    add_view_class = InvitationCreateView
    edit_view_class = InvitationEditView
    icon = "mail"
    menu_label = "Invitations"
    menu_order = 900
    add_to_admin_menu = True
    inspect_view_enabled = True
    inspect_view_fields = [
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    list_display = [
        "email",
        "role",
        Column("status", label="Status", accessor="get_status_display"),
        "invited_by",
        "created_at",
    ]
    list_filter = ["role"]
    search_fields = ["email"]
    ordering = ["-created_at"]
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return InvitationForm

    list_select_related = ("role", "invited_by")


@hooks.register("register_admin_viewset")
def register_invitation_viewset():
    return InvitationViewSet("invitations")


@hooks.register("register_log_actions")
def register_invitation_log_actions(actions):
    actions.register_action("cms.invitation.accept", "Accept invitation", "Invitation accepted")
    actions.register_action("cms.invitation.revoke", "Revoke invitation", "Invitation revoked")


@hooks.register("register_log_actions")
def register_personal_data_log_actions(actions):
    actions.register_action("cms.personal_data.view", "View personal data", "Personal data viewed")
    actions.register_action(
        "cms.personal_data.export", "Export personal data", "Personal data exported"
    )
    actions.register_action(
        "cms.personal_data.download",
        "Download own data",
        "Downloaded the personal data held on them",
    )


@hooks.register("before_edit_user")
def log_user_account_viewed(request, user):
    """A superuser opening someone's account in the admin is a view of their personal data."""
    if request.method == "GET":
        audit.personal_data_viewed(subject=user, by=request.user, what="account")


# After Wagtail's own (order), so these replace its page and document link handlers.
@hooks.register("register_rich_text_features", order=100)
def register_prefetched_link_handlers(features):
    from cms.rich_text import PrefetchedDocumentLinkHandler, PrefetchedPageLinkHandler

    features.register_link_type(PrefetchedPageLinkHandler)
    features.register_link_type(PrefetchedDocumentLinkHandler)
