from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse

from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogFormatter
from wagtail.snippets.action_menu import (
    ActionMenuItem,
    CancelWorkflowMenuItem,
    PublishMenuItem,
    RestartWorkflowMenuItem,
    UnpublishMenuItem,
    WorkflowMenuItem,
)
from wagtail.snippets.models import register_snippet

from board import admin_views, services
from board.models import CouncilResponse
from board.models import recommendations as response_rules
from board.viewsets import (
    BoardViewSetGroup,
    CouncilResponseViewSet,
)
from cms.viewsets import PermissionMenuItem

register_snippet(CouncilResponseViewSet)


@hooks.register("register_admin_viewset")
def register_board_viewsets():
    return BoardViewSetGroup()


@hooks.register("register_admin_urls")
def register_board_admin_urls():
    return [
        path(
            "board/recommendations/<int:pk>/manage/",
            admin_views.recommendation_manage,
            name="board_recommendation_manage",
        ),
        path("board/overview/", admin_views.board_overview, name="board_overview"),
        path(
            "board/expenses/<int:pk>/decide/",
            admin_views.expense_decide,
            name="board_expense_decide",
        ),
        path(
            "board/expenses/<int:pk>/receipt/",
            admin_views.expense_receipt,
            name="board_expense_receipt",
        ),
        path("board/expenses/totals/", admin_views.expense_totals, name="board_expense_totals"),
        path("board/former-members/", admin_views.former_members, name="board_former_members"),
        path(
            "board/former-members/<int:user_id>/erase/",
            admin_views.member_erase,
            name="board_member_erase",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_board_overview_menu_item():
    return PermissionMenuItem(
        "Board overview",
        reverse("board_overview"),
        icon_name="view",
        order=199,
        permissions=("board.view_membership",),
    )


@hooks.register("register_admin_menu_item")
def register_expense_totals_menu_item():
    return PermissionMenuItem(
        "Expenses by member",
        reverse("board_expense_totals"),
        icon_name="table",
        order=201,
        permissions=("board.view_expenseclaim",),
    )


@hooks.register("register_admin_menu_item")
def register_former_members_menu_item():
    return PermissionMenuItem(
        "Former members",
        reverse("board_former_members"),
        icon_name="user",
        order=204,
        permissions=(services.ERASE_PERMISSION,),
    )


@hooks.register("register_log_actions")
def register_board_log_actions(actions):
    actions.register_action(
        "board.member.erase", "Erase former member", "Former board member's personal data erased"
    )
    actions.register_action(
        "board.recommendation.status", "Change status", "Recommendation status changed"
    )
    actions.register_action("board.recommendation.progress", "Add progress", "Progress update")
    actions.register_action("board.recommendation.change", "Record change", "Change recorded")
    actions.register_action(
        "board.recommendation.escalate", "Escalate", "Overdue response escalated to its owner"
    )
    actions.register_action("board.expense.approve", "Approve claim", "Expense claim approved")
    actions.register_action("board.expense.reject", "Reject claim", "Expense claim rejected")
    actions.register_action(
        "board.meeting.notes_approve", "Approve notes", "Meeting notes approved"
    )


@hooks.register("register_admin_urls")
def register_board_import_urls():
    from board import import_views

    return [
        path(
            "board/import/<str:kind>/",
            import_views.import_records,
            name="board_import",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_import_members_menu_item():
    return PermissionMenuItem(
        "Import members",
        reverse("board_import", args=["members"]),
        icon_name="upload",
        order=202,
        permissions=("board.add_membership",),
    )


@hooks.register("register_admin_menu_item")
def register_import_recommendations_menu_item():
    return PermissionMenuItem(
        "Import recommendations",
        reverse("board_import", args=["recommendations"]),
        icon_name="upload",
        order=203,
        permissions=("board.add_recommendation",),
    )


@hooks.register("register_log_actions")
def register_board_import_log_action(actions):
    actions.register_action("board.import", "Import", "Imported from a spreadsheet")


# --- Council responses: the two-person rule in the admin ----------------------------------------


@hooks.register("before_delete_snippet")
def keep_published_answers(request, instances):
    """Single and bulk delete: a published answer is withdrawn (two people) before anything."""
    if any(isinstance(item, CouncilResponse) and item.live for item in instances):
        messages.error(
            request,
            "A published answer is never deleted: ask for its withdrawal first (an engagement "
            "manager asks, an approver agrees).",
        )
        return redirect("wagtailsnippets_board_councilresponse:list")
    return None


class OverridePublishMenuItem(PublishMenuItem):
    label = "Publish (superuser override)"
    template_name = "board/admin/override_publish_menu_item.html"


class WithdrawMenuItem(ActionMenuItem):
    label = "Withdraw…"
    name = "action-withdraw"
    icon_name = "download"

    def get_url(self, parent_context):
        return reverse(
            "wagtailsnippets_board_councilresponse:unpublish",
            args=[parent_context["instance"].pk],
        )


@hooks.register("construct_snippet_action_menu")
def council_response_action_menu(menu_items, request, context):
    """Offer in the form only what the server accepts (``board.viewsets`` refuses the rest)."""
    if context.get("model") is not CouncilResponse:
        return
    user = request.user
    instance = context.get("instance")
    state = instance.current_workflow_state if instance is not None else None
    may_take_back = state is not None and (user.is_superuser or state.requested_by_id == user.pk)
    kept = []
    for item in menu_items:
        if isinstance(item, WorkflowMenuItem | UnpublishMenuItem):
            continue
        if isinstance(item, CancelWorkflowMenuItem | RestartWorkflowMenuItem) and not may_take_back:
            continue
        if isinstance(item, PublishMenuItem):
            if not user.is_superuser:
                continue
            item = OverridePublishMenuItem(order=item.order)
        kept.append(item)
    if instance is not None and instance.live and context.get("view") == "edit":
        kept.append(WithdrawMenuItem(order=20))
    menu_items[:] = kept


class WithdrawalRequestsPanel(Component):
    """On an approver's dashboard: published answers someone has asked to withdraw."""

    name = "council_response_withdrawals"
    order = 120
    template_name = "board/admin/withdrawal_requests_panel.html"

    def __init__(self, pending):
        self.pending = pending

    def get_context_data(self, parent_context):
        return {"pending": self.pending, "request": parent_context["request"]}


@hooks.register("construct_homepage_panels")
def add_withdrawal_requests_panel(request, panels):
    if request.user.has_perm(services.PUBLISH_RESPONSE):
        pending = CouncilResponse.pending_withdrawals()
        if pending:
            panels.append(WithdrawalRequestsPanel(pending))


class _WrittenFormatter(LogFormatter):
    """A log message followed by what the person wrote (their reason or comment)."""

    key = "reason"

    def format_message(self, log_entry):
        text = (log_entry.data or {}).get(self.key) or ""
        return f"{self.message}: {text}" if text else self.message


RESPONSE_LOG_ACTIONS = (
    (response_rules.WITHDRAWAL_REQUEST, "Request withdrawal", "Withdrawal asked for", "reason"),
    (
        response_rules.WITHDRAWAL_CANCEL,
        "Take back withdrawal request",
        "Withdrawal request taken back",
        "reason",
    ),
    (
        response_rules.WITHDRAWAL_AGREE,
        "Agree to withdrawal",
        "Withdrawal agreed by a second person",
        "comment",
    ),
    (
        response_rules.WITHDRAWAL_REFUSE,
        "Refuse withdrawal",
        "Withdrawal refused: the answer stays published",
        "comment",
    ),
)


class OverrideFormatter(LogFormatter):
    label = "Superuser override"

    def format_message(self, log_entry):
        data = log_entry.data or {}
        message = f"Superuser override: {data.get('override', 'acted alone')}"
        return f"{message}. Reason: {data['reason']}" if data.get("reason") else message


@hooks.register("register_log_actions")
def register_council_response_log_actions(actions):
    for action, label, message, key in RESPONSE_LOG_ACTIONS:
        formatter = type(
            "ResponseLogFormatter",
            (_WrittenFormatter,),
            {"label": label, "message": message, "key": key},
        )
        actions.register_action(action)(formatter)
    actions.register_action(response_rules.OVERRIDE)(OverrideFormatter)
