"""The board's admin viewsets: recommendations, members and terms, support needs, asks,
meetings, expense claims, service areas and council responses (registered in wagtail_hooks.py)."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.views.generic.models import EditView
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.admin.widgets import AdminDateInput
from wagtail.snippets.views.snippets import CreateView as SnippetCreateView

from board import services
from board.forms import CouncilResponseAdminForm
from board.models import (
    BoardAsk,
    CouncilResponse,
    ExpenseClaim,
    Meeting,
    Membership,
    MemberSupportNeeds,
    Recommendation,
    ServiceArea,
)
from cms.platform import audit
from cms.viewsets import EscapedExportIndexView, PlatformModelViewSet, PlatformSnippetViewSet


class RecommendationEditView(EditView):
    """Officers do not rewrite a member's words: editing means managing its lifecycle."""

    def dispatch(self, request, *args, **kwargs):
        return redirect("board_recommendation_manage", pk=self.kwargs["pk"])


class RecommendationViewSet(PlatformModelViewSet):
    model = Recommendation
    icon = "comment"
    menu_label = "Recommendations"
    edit_view_class = RecommendationEditView
    form_fields = ["title"]
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = ["reference", "title", "service_area", "get_status_display", "owner", "due_date"]
    list_filter = ["status", "service_area", "owner"]
    list_export = [
        "reference",
        "title",
        "service_area",
        "status",
        "owner",
        "due_date",
        "submitted_at",
        "published_at",
    ]
    search_fields = ["reference", "title", "what_should_change"]
    search_backend_name = None
    export_filename = "recommendations"

    list_select_related = (
        "service_area",
        "owner",
        "author",
    )

    # No add view: members submit recommendations (or they are imported). Wagtail has no switch
    # for it, so the URL is left out and no view links to it. (add_recommendation stays, for
    # the import.)
    def get_urlpatterns(self):
        return [pattern for pattern in super().get_urlpatterns() if pattern.name != "add"]

    def get_common_view_kwargs(self, **kwargs):
        return {**super().get_common_view_kwargs(**kwargs), "add_url_name": None}


class MeetingEditView(EditView):
    def save_instance(self):
        previous = type(self.object).objects.get(pk=self.object.pk).notes_status
        instance = super().save_instance()
        if (
            instance.notes_status == Meeting.NotesStatus.APPROVED
            and previous != instance.notes_status
        ):
            services.meeting_notes_approve(meeting=instance, by=self.request.user)
        return instance


class MeetingViewSet(PlatformModelViewSet):
    model = Meeting
    icon = "date"
    edit_view_class = MeetingEditView
    list_display = ["title", "starts_at", "get_notes_status_display"]
    list_filter = ["notes_status"]
    list_export = ["title", "starts_at", "location", "notes_status"]
    search_fields = ["title"]
    search_backend_name = None


class PersonalDataEditView(EditView):
    """Opening one member's record is a view of their personal data: it goes in the audit log."""

    personal_data = ""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit.personal_data_viewed(
            subject=self.object.member, by=request.user, what=self.personal_data
        )
        return response


class MembershipEditView(PersonalDataEditView):
    personal_data = "membership"


class MembershipIndexView(EscapedExportIndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        # Only from a term that has ended; the erase page refuses if another term is current.
        if instance.term_ends < timezone.localdate() and self.request.user.has_perm(
            services.ERASE_PERMISSION
        ):
            buttons.append(
                ListingMenuItem(
                    "Erase this former member…",
                    url=reverse("board_member_erase", args=[instance.member_id]),
                    icon_name="bin",
                    priority=90,
                )
            )
        return buttons


class MembershipViewSet(PlatformModelViewSet):
    model = Membership
    icon = "user"
    menu_label = "Memberships"
    index_view_class = MembershipIndexView
    edit_view_class = MembershipEditView
    personal_data_export = True
    panels = [
        FieldPanel("member"),
        FieldPanel("role"),
        FieldRowPanel([FieldPanel("term_starts"), FieldPanel("term_ends")]),
    ]
    list_display = ["member", "get_role_display", "term_starts", "term_ends"]
    list_filter = ["role"]
    # Wagtail's export follows a related field by a dotted path ("member__email" raised).
    list_export = ["member", "member.email", "role", "term_starts", "term_ends"]
    export_headings = {"member.email": "Member email"}
    export_filename = "board-memberships"

    list_select_related = ("member",)


class SupportNeedsIndexView(EscapedExportIndexView):
    """Languages and interpreting needs of every member listed: each page shown is logged."""

    def render_to_response(self, context, **response_kwargs):
        if not self.is_export:
            audit.personal_data_listed(
                model=MemberSupportNeeds,
                by=self.request.user,
                what="support needs list",
                account_ids=[needs.member_id for needs in context["object_list"]],
            )
        return super().render_to_response(context, **response_kwargs)


class SupportNeedsEditView(PersonalDataEditView):
    personal_data = "support needs"


class SupportNeedsViewSet(PlatformModelViewSet):
    model = MemberSupportNeeds
    icon = "help"
    menu_label = "Support needs"
    index_view_class = SupportNeedsIndexView
    edit_view_class = SupportNeedsEditView
    panels = [
        FieldPanel("member"),
        FieldPanel("access_needs"),
        FieldPanel("preferred_language"),
        MultiFieldPanel(
            [FieldPanel("interpreter_needed"), FieldPanel("interpreter_language")],
            heading="Interpreting",
        ),
    ]
    list_display = ["member", "preferred_language", "interpreter_needed", "interpreter_language"]
    # Special-category and access information: not offered as a download.
    list_export = []

    list_select_related = ("member",)


class BoardAskViewSet(PlatformModelViewSet):
    model = BoardAsk
    icon = "tasks"
    menu_label = "Other asks"
    form_fields = ["member", "kind", "description", "date"]
    list_display = ["member", "get_kind_display", "description", "date"]
    list_filter = ["kind", "member"]
    list_export = ["member", "kind", "description", "date"]
    personal_data_export = True

    list_select_related = ("member",)


class ExpenseEditView(EditView):
    def dispatch(self, request, *args, **kwargs):
        return redirect("board_expense_decide", pk=self.kwargs["pk"])


class ExpenseClaimViewSet(PlatformModelViewSet):
    model = ExpenseClaim
    icon = "doc-full"
    menu_label = "Expense claims"
    form_fields = ["claimant", "meeting", "kind", "amount", "description", "receipt"]
    edit_view_class = ExpenseEditView
    # Copying a member's claim makes no sense, and its form would link the receipt, which is
    # private and has no URL (board_expense_receipt serves it).
    copy_view_enabled = False
    list_display = ["claimant", "get_kind_display", "amount", "get_status_display", "submitted_at"]
    list_filter = ["status", "kind"]
    list_export = ["claimant", "claimant.email", "kind", "amount", "status", "submitted_at"]
    export_headings = {"claimant.email": "Claimant email"}
    export_filename = "expense-claims"
    personal_data_export = True

    list_select_related = (
        "claimant",
        "meeting",
    )


class ServiceAreaViewSet(PlatformModelViewSet):
    model = ServiceArea
    icon = "site"
    menu_label = "Service areas"
    form_fields = ["name"]
    list_display = ["name"]
    list_export = ["name"]


class CouncilResponseCreateView(SnippetCreateView):
    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("recommendation", "").isdigit():
            initial["recommendation"] = int(self.request.GET["recommendation"])
        return initial


class CouncilResponseViewSet(PlatformSnippetViewSet):
    model = CouncilResponse
    add_view_class = CouncilResponseCreateView
    icon = "pick"
    menu_label = "Council responses"
    menu_order = 201
    add_to_admin_menu = True
    list_display = ["recommendation", "get_outcome_display", "live"]
    list_filter = ["outcome", "live"]
    list_export = ["recommendation.reference", "outcome", "response", "live"]
    export_headings = {"recommendation.reference": "Recommendation"}
    export_filename = "council-responses"
    edit_handler = ObjectList(
        [
            FieldPanel("recommendation"),
            FieldPanel("outcome"),
            FieldPanel("response"),
            MultiFieldPanel(
                [
                    FieldPanel("reasons"),
                    FieldPanel("alternatives_explored"),
                    FieldPanel("next_steps"),
                ],
                heading="Where the council cannot do all that was asked",
                help_text="Required when the outcome is not accepted or partly accepted.",
            ),
            FieldPanel("review_date", widget=AdminDateInput),
        ],
        base_form_class=CouncilResponseAdminForm,
    )

    list_select_related = ("recommendation",)


class BoardViewSetGroup(ModelViewSetGroup):
    menu_label = "Board"
    menu_icon = "group"
    menu_order = 200
    items = (
        RecommendationViewSet("board_recommendation"),
        MembershipViewSet("board_membership"),
        SupportNeedsViewSet("board_supportneeds"),
        BoardAskViewSet("board_ask"),
        MeetingViewSet("board_meeting"),
        ExpenseClaimViewSet("board_expenseclaim"),
        ServiceAreaViewSet("board_servicearea"),
    )
