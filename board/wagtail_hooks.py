from django.urls import path, reverse

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from board import admin_views, services
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
