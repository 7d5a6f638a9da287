from .invitations import Invitation
from .pages import BasePage, HomePage
from .settings import SiteSettings
from .users import User

__all__ = ["BasePage", "HomePage", "Invitation", "SiteSettings", "User"]
