from .expenses import ExpenseClaim
from .meetings import Attendance, Meeting
from .membership import BoardAsk, Membership, MemberSupportNeeds
from .pages import BoardIndexPage, MeetingNotesPage, TermsOfReferencePage, YouSaidWeDidPage
from .recommendations import (
    CouncilResponse,
    ImplementedChange,
    ProgressUpdate,
    Recommendation,
    ServiceArea,
)
from .settings import BoardSettings

__all__ = [
    "Attendance",
    "BoardAsk",
    "BoardIndexPage",
    "BoardSettings",
    "CouncilResponse",
    "ExpenseClaim",
    "ImplementedChange",
    "Meeting",
    "MeetingNotesPage",
    "MemberSupportNeeds",
    "Membership",
    "ProgressUpdate",
    "Recommendation",
    "ServiceArea",
    "TermsOfReferencePage",
    "YouSaidWeDidPage",
]
