from .invitations import Invitation
from .pages import AccessibilityStatementPage, BasePage, HomePage
from .settings import SiteSettings
from .users import User

__all__ = [
    "AccessibilityStatementPage",
    "BasePage",
    "HomePage",
    "Invitation",
    "SiteSettings",
    "User",
]
