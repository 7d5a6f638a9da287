from cms.roles import BOARD_MEMBERS, role_names


def roles(request) -> dict:
    """Whether the signed-in person is a board member, for the header's member-area link."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_board_member": False}
    return {"is_board_member": BOARD_MEMBERS in role_names(user)}
