"""The board's admin viewsets: recommendations, members and terms, support needs, asks,
meetings, expense claims, service areas and council responses (registered in wagtail_hooks.py).

Council responses keep two people between a draft and the public answer, at the server, on
every route Wagtail offers (its views are replaced here through the snippet viewset's
``*_view_class`` attributes):

- create and edit: an engagement manager saves and submits; no one publishes or approves from
  the form (a superuser may publish, recorded as an override), and while a response waits for
  approval its text is frozen for everyone. An action posted that the person may not take is
  refused, never quietly treated as "save";
- Approvers hold ``view`` and ``publish`` but not ``change``: the editor sends them (and anyone
  reviewing) to the read-only review page (the inspect view) with the recommendation, the text
  as submitted and their decision; they read history, revisions and workflow history there;
- workflow action: approving checks what Wagtail does not (the task is this response's current
  one, the text is exactly what was submitted, the approver neither wrote nor submitted it);
  asking for changes needs a comment;
- unpublish: the withdrawal page. A manager asks, with a reason; an approver (another person)
  agrees or refuses. A superuser may withdraw alone, with a reason, recorded as an override;
- delete (single and bulk): a published answer is never deleted (``before_delete_snippet``), and
  a recommendation whose answer is published is not deleted either.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import DeleteView, EditView
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.admin.widgets import AdminDateInput
from wagtail.models import ModelLogEntry
from wagtail.snippets.views.snippets import CreateView as SnippetCreateView
from wagtail.snippets.views.snippets import EditView as SnippetEditView
from wagtail.snippets.views.snippets import (
    HistoryView,
    InspectView,
    RevisionsCompareView,
    UnpublishView,
    WorkflowActionView,
    WorkflowHistoryDetailView,
    WorkflowHistoryView,
)

from board import services
from board.forms import (
    CouncilResponseAdminForm,
    RequestChangesForm,
    ReviewCommentForm,
    WithdrawalDecisionForm,
    WithdrawalRequestForm,
)
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
from board.models.recommendations import OVERRIDE
from cms.platform import audit
from cms.platform.money import format_pounds
from cms.viewsets import (
    EscapedExportIndexView,
    PlatformModelViewSet,
    PlatformSnippetViewSet,
    YesNoColumn,
)


class RecommendationEditView(EditView):
    """Officers do not rewrite a member's words: editing means managing its lifecycle."""

    def dispatch(self, request, *args, **kwargs):
        return redirect("board_recommendation_manage", pk=self.kwargs["pk"])


class RecommendationDeleteView(DeleteView):
    """Deleting a recommendation deletes its answer: not while the answer is public."""

    def run_before_hook(self):
        if CouncilResponse.objects.filter(recommendation=self.object, live=True).exists():
            messages.error(
                self.request,
                "This recommendation's answer is published: it cannot be deleted. Ask for the "
                "answer's withdrawal first (an engagement manager asks, an approver agrees).",
            )
            return redirect("board_recommendation_manage", pk=self.object.pk)
        return super().run_before_hook()


class RecommendationViewSet(PlatformModelViewSet):
    model = Recommendation
    icon = "comment"
    menu_label = "Recommendations"
    edit_view_class = RecommendationEditView
    delete_view_class = RecommendationDeleteView
    form_fields = ["title"]
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = ["reference", "title", "service_area", "status", "owner", "due_date"]
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
    list_display = ["title", "starts_at", "notes_status"]
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
    list_display = ["member", "role", "term_starts", "term_ends"]
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
    list_display = ["member", "kind", "description", "date"]
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
    list_display = [
        "claimant",
        "kind",
        Column("amount", label="Amount", accessor=lambda claim: format_pounds(claim.amount)),
        "status",
        "submitted_at",
    ]
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


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "You cannot do that."


def _form_errors(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _inspect_url(response) -> str:
    return reverse("wagtailsnippets_board_councilresponse:inspect", args=[response.pk])


# Posted actions of Wagtail's create and edit forms, and why each may be refused.
REFUSED_ACTIONS = {
    "publish": (
        "A council response goes public only when an approver approves it: submit it for approval."
    ),
    "workflow-action": (
        "Approve or ask for changes on the response's review page, where the text cannot change."
    ),
    "cancel-workflow": "Only the person who submitted it can take it out of review.",
    "restart-workflow": "Only the person who submitted it can take it out of review.",
}
IN_REVIEW = (
    "This response is waiting for an approver's decision: its text cannot change until the "
    "approver decides or the person who submitted it takes it back."
)


class CouncilResponseFormMixin:
    """The create and edit forms: save and submit; publish only as a superuser's override."""

    def get_available_actions(self):
        actions = [name for name in super().get_available_actions() if name != "workflow-action"]
        if not self.request.user.is_superuser:
            actions = [name for name in actions if name != "publish"]
        if not self.may_take_back():
            actions = [
                name for name in actions if name not in ("cancel-workflow", "restart-workflow")
            ]
        return actions

    def may_take_back(self) -> bool:
        state = self.workflow_state if self.object else None
        user = self.request.user
        return state is not None and (user.is_superuser or state.requested_by_id == user.pk)

    def post_refusal(self) -> str:
        available = set(self.get_available_actions())
        for name, message in REFUSED_ACTIONS.items():
            if self.request.POST.get(f"action-{name}") and name not in available:
                return message
        return ""

    def refusal_url(self) -> str:
        return self.request.get_full_path()

    def post(self, request, *args, **kwargs):
        refusal = self.post_refusal()
        if refusal:
            if self.expects_json_response:
                return self.json_error_response("blocked_by_hook", refusal)
            messages.error(request, refusal)
            return redirect(self.refusal_url())
        return super().post(request, *args, **kwargs)

    def publish_action(self):
        hook_response = super().publish_action()
        if hook_response is None:
            services.response_override_record(
                response=self.object,
                by=self.request.user,
                what="published without an approver's approval",
                revision=self.new_revision,
            )
        return hook_response


class CouncilResponseCreateView(CouncilResponseFormMixin, SnippetCreateView):
    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("recommendation", "").isdigit():
            initial["recommendation"] = int(self.request.GET["recommendation"])
        return initial


class CouncilResponseEditView(CouncilResponseFormMixin, SnippetEditView):
    """The editor is for writers; reviewers (and anyone without ``change``) are sent to the
    review page. Also the base of Wagtail's revision-revert view, which saves like an edit."""

    def user_has_permission(self, permission):
        if permission == "change":
            # Wagtail lets a workflow's reviewers into the editor; here they read, never write.
            return self.permission_policy.user_has_permission(self.request.user, "change")
        return super().user_has_permission(permission)

    @cached_property
    def reviewing(self) -> bool:
        task = self.object.current_workflow_task
        return bool(task and task.get_actions(self.object, self.request.user))

    def dispatch(self, request, *args, **kwargs):
        if (
            request.method in ("GET", "HEAD")
            and (self.reviewing or not self.user_has_permission("change"))
            and self.user_has_permission("view")
        ):
            return redirect(_inspect_url(self.object))
        return super().dispatch(request, *args, **kwargs)

    def post_refusal(self) -> str:
        refusal = super().post_refusal()
        if refusal:
            return refusal
        if self.object.workflow_in_progress and self.action != "cancel-workflow":
            return IN_REVIEW
        return ""

    def refusal_url(self) -> str:
        return _inspect_url(self.object)

    def post(self, request, *args, **kwargs):
        if self.action == "cancel-workflow" and not self.post_refusal():
            # Wagtail saves the posted text before cancelling when the form is valid; taking a
            # response out of review changes nothing else.
            self.workflow_state.cancel(user=request.user)
            messages.success(request, "Taken out of review: it is a draft again.")
            return redirect(self.get_edit_url())
        return super().post(request, *args, **kwargs)


class CouncilResponseInspectView(InspectView):
    """The read-only review page: the recommendation, the text as submitted and, for the
    approver, the decision (posted to the workflow action view)."""

    page_title = "Review"

    def get_template_names(self):
        return ["board/admin/council_response_review.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        response = self.object
        user = self.request.user
        latest_revision = response.get_latest_revision()
        text = latest_revision.as_object() if latest_revision else response
        task_state = response.current_workflow_task_state
        context.update(
            {
                "response": response,
                "recommendation": response.recommendation,
                "text": text,
                "latest_revision": latest_revision,
                "text_fields": _text_fields(text),
                "live_fields": _text_fields(response) if response.live else None,
                "live_differs": response.live
                and latest_revision is not None
                and latest_revision.pk != response.live_revision_id,
                "live_approval": response.approval_of(response.live_revision),
                "workflow_state": response.current_workflow_state,
                "task_state": task_state,
                "withdrawal_request": response.withdrawal_request(),
                "overrides": ModelLogEntry.objects.for_instance(response)
                .filter(action=OVERRIDE)
                .select_related("user")
                .order_by("-timestamp"),
                "may_see_withdrawal": response.live
                and (
                    user.has_perm(services.CHANGE_RESPONSE)
                    or user.has_perm(services.PUBLISH_RESPONSE)
                ),
                "may_edit": user.has_perm(services.CHANGE_RESPONSE),
                **self.decision_context(response, task_state),
            }
        )
        return context

    def decision_context(self, response, task_state) -> dict:
        user = self.request.user
        if task_state is None or not task_state.task.specific.get_actions(response, user):
            return {"decision": None}
        url_name = "wagtailsnippets_board_councilresponse:workflow_action"
        inspect_url = _inspect_url(response)
        form = ReviewCommentForm()
        form.fields["comment"].help_text = (
            "Optional when approving; required when asking for changes. The engagement manager "
            "sees it in the response's workflow history."
        )
        return {
            "decision": {
                "form": form,
                "approve_url": reverse(url_name, args=[response.pk, "approve", task_state.pk])
                + f"?next={inspect_url}",
                "reject_url": reverse(url_name, args=[response.pk, "reject", task_state.pk])
                + f"?next={inspect_url}",
                "refusal": response.review_refusal(
                    user=user, task_state=task_state, approving=True
                ),
                "own_text": CouncilResponse.is_own_text(user, task_state),
            }
        }


TEXT_FIELDS = (
    "outcome",
    "response",
    "reasons",
    "alternatives_explored",
    "next_steps",
    "review_date",
)


def _text_fields(response) -> list[tuple[str, object]]:
    fields = []
    for name in TEXT_FIELDS:
        field = CouncilResponse._meta.get_field(name)
        value = response.get_outcome_display() if name == "outcome" else getattr(response, name)
        if value not in (None, ""):
            fields.append((field.verbose_name.capitalize(), value))
    return fields


class CouncilResponseWorkflowActionView(WorkflowActionView):
    """Approve (the text exactly as submitted, by someone who did not write it) or ask for
    changes (with a comment), through the board's services."""

    def get_form_class(self):
        return RequestChangesForm if self.action_name == "reject" else ReviewCommentForm

    @property
    def is_ajax(self) -> bool:
        return self.request.headers.get("x-requested-with") == "XMLHttpRequest"

    def done(self):
        if self.is_ajax:
            return self.render_modal_json(
                self.request, {"step": "success", "redirect": self.redirect_url}
            )
        return redirect(self.redirect_url)

    def get(self, request, *args, **kwargs):
        refusal = self.object.review_refusal(
            user=request.user,
            task_state=self.task_state,
            approving=self.action_name == "approve",
        )
        if refusal:
            messages.error(request, refusal)
            return self.done()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        form = self.form_class(request.POST)
        if not form.is_valid():
            if self.is_ajax:
                return self.render_modal_form(request, form)
            messages.error(request, _form_errors(form))
            return self.done()
        approve = self.action_name == "approve"
        try:
            response = services.response_review(
                response=self.object,
                task_state=self.task_state,
                by=request.user,
                approve=approve,
                comment=form.cleaned_data["comment"],
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            if approve:
                messages.success(request, f"Approved: '{response}' is published.")
            else:
                messages.success(request, "Changes requested: the engagement manager is told.")
        return self.done()


class CouncilResponseWithdrawalView(UnpublishView):
    """Wagtail's unpublish route, as the two-person withdrawal: ask, then another agrees."""

    permission_required = None
    any_permission_required = ["change", "publish"]

    def get_template_names(self):
        return ["board/admin/council_response_withdrawal.html"]

    def get_page_title(self):
        return "Withdraw a published answer"

    def forms(self, data=None, action=None) -> dict:
        def bound(name, form_class, **kwargs):
            return form_class(data if action == name else None, prefix=name, **kwargs)

        return {
            "request": bound("request", WithdrawalRequestForm),
            "decide": bound("decide", WithdrawalDecisionForm),
            "override": bound("override", WithdrawalRequestForm),
        }

    def get_context_data(self, forms=None, **kwargs):
        context = super().get_context_data(**kwargs)
        response = self.object
        user = self.request.user
        pending = response.withdrawal_request()
        forms = forms or self.forms()
        context.update(
            {
                "response": response,
                "pending": pending,
                "inspect_url": _inspect_url(response),
                "request_form": forms["request"]
                if response.live and pending is None and user.has_perm(services.CHANGE_RESPONSE)
                else None,
                "decide_form": forms["decide"]
                if pending is not None
                and pending.user_id != user.pk
                and user.has_perm(services.PUBLISH_RESPONSE)
                else None,
                "may_cancel": pending is not None
                and (pending.user_id == user.pk or user.is_superuser),
                "override_form": forms["override"] if response.live and user.is_superuser else None,
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        forms = self.forms(request.POST, action)
        try:
            message = self.act(action, forms)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, _error_text(error))
            return redirect(request.path)
        if message is None:
            return self.render_to_response(self.get_context_data(forms=forms))
        messages.success(request, message)
        return redirect(_inspect_url(self.object))

    def act(self, action: str, forms: dict) -> str | None:
        """Do what was asked; the success message, or None when a form has errors."""
        response, user = self.object, self.request.user
        if action == "cancel":
            services.response_withdrawal_cancel(response=response, by=user)
            return "Withdrawal request taken back: the answer stays published."
        if action not in forms:
            raise ValidationError("Choose what to do.")
        form = forms[action]
        if not form.is_valid():
            return None
        data = form.cleaned_data
        if action == "request":
            services.response_withdrawal_request(response=response, by=user, reason=data["reason"])
            return "Withdrawal asked for: an approver must agree before the answer comes down."
        if action == "override":
            services.response_withdraw_override(response=response, by=user, reason=data["reason"])
            return "Withdrawn by a superuser override; the audit log records it."
        agree = data["decision"] == "agree"
        services.response_withdrawal_decide(
            response=response, by=user, agree=agree, comment=data["comment"]
        )
        if agree:
            return 'Withdrawn: the answer is no longer on "You said, we did".'
        return "Withdrawal refused: the answer stays published."


class ReadableByApproversMixin:
    """Approvers (``view``, no ``change``) read a response's history, revisions and workflow."""

    permission_required = "view"


class CouncilResponseHistoryView(HistoryView):
    any_permission_required = ["add", "change", "delete", "view"]


class CouncilResponseRevisionsCompareView(ReadableByApproversMixin, RevisionsCompareView):
    pass


class CouncilResponseWorkflowHistoryView(ReadableByApproversMixin, WorkflowHistoryView):
    pass


class CouncilResponseWorkflowHistoryDetailView(ReadableByApproversMixin, WorkflowHistoryDetailView):
    pass


class CouncilResponseViewSet(PlatformSnippetViewSet):
    model = CouncilResponse
    add_view_class = CouncilResponseCreateView
    edit_view_class = CouncilResponseEditView
    inspect_view_enabled = True
    inspect_view_class = CouncilResponseInspectView
    workflow_action_view_class = CouncilResponseWorkflowActionView
    unpublish_view_class = CouncilResponseWithdrawalView
    history_view_class = CouncilResponseHistoryView
    revisions_compare_view_class = CouncilResponseRevisionsCompareView
    workflow_history_view_class = CouncilResponseWorkflowHistoryView
    workflow_history_detail_view_class = CouncilResponseWorkflowHistoryDetailView
    icon = "pick"
    menu_label = "Council responses"
    menu_order = 201
    add_to_admin_menu = True
    list_display = ["recommendation", "outcome", YesNoColumn("live", label="Published")]
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
