"""Demo data for the site as a whole: council details, home page, one account per role.

Each app contributes its own demo data through the same hook: a ``demo`` module with
``build(*, stdout) -> list[str]`` (the lines to print at the end). ``manage.py demo`` calls them
in order. Every builder must be safe to run twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from wagtail.models import Site

from cms import roles
from cms.models import HomePage, SiteSettings, User
from cms.platform.demo import demo_builder

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (printed to the person running the demo)
# One shared, published TOTP secret so the demo can also be used with a real authenticator app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role: str | None
    superuser: bool = False

    @property
    def needs_second_factor(self) -> bool:
        return self.superuser or self.role in roles.STAFF_ROLES


DEMO_ACCOUNTS = (
    DemoAccount("board.member@example.org", "Amara", "Okafor", roles.BOARD_MEMBERS),
    DemoAccount("engagement.manager@example.org", "Priya", "Shah", roles.ENGAGEMENT_MANAGERS),
    DemoAccount("approver@example.org", "Daniel", "Mensah", roles.APPROVERS),
    DemoAccount("inclusion.analyst@example.org", "Wei", "Chen", roles.INCLUSION_ANALYSTS),
    DemoAccount("admin@example.org", "Sam", "Taylor", None, superuser=True),
)


def _ensure_account(account: DemoAccount) -> User:
    user, created = User.objects.get_or_create(
        email=account.email,
        defaults={
            "first_name": account.first_name,
            "last_name": account.last_name,
            "is_superuser": account.superuser,
            "is_staff": account.superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if account.role:
        user.groups.add(Group.objects.get(name=account.role))
    EmailAddress.objects.update_or_create(
        user=user, email=account.email, defaults={"verified": True, "primary": True}
    )
    if (
        account.needs_second_factor
        and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    ):
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
    return user


@demo_builder("cms")
@transaction.atomic
def build(*, stdout) -> list[str]:
    site = Site.objects.get(is_default_site=True)
    site.hostname = "127.0.0.1"
    site.port = 8000
    site.site_name = "Northshire Council"
    site.save()

    site_settings = SiteSettings.for_site(site)
    site_settings.council_name = "Northshire Council"
    site_settings.contact_email = "inclusion@example.org"
    site_settings.contact_phone = "01234 567 890"
    site_settings.save()

    home = HomePage.objects.get().specific
    home.title = "Working together against racism"
    home.intro = (
        "How Northshire Council listens to racially minoritised residents and staff, answers "
        "in public, and measures whether things are getting better."
    )
    home.body = [
        (
            "rich_text",
            "<p>The Lived Experience Advisory Board gives residents a voice that the council "
            "must answer in public. Each year the staff survey asks whether the council promotes "
            "equality of opportunity, and we publish what it shows.</p>",
        ),
        (
            "call_out",
            {
                "heading": "Other formats",
                "text": "<p>This information is available in large print, Braille, audio or "
                "other languages on request.</p>",
            },
        ),
    ]
    home.save_revision().publish()

    for account in DEMO_ACCOUNTS:
        _ensure_account(account)

    lines = [
        "Demo sign-ins (all at http://127.0.0.1:8000/accounts/login/):",
        f"  password for every account: {DEMO_PASSWORD}",
    ]
    for account in DEMO_ACCOUNTS:
        role = "superuser" if account.superuser else account.role
        lines.append(f"  {account.email:<34} {role}")
    code = getattr(settings, "MFA_TOTP_INSECURE_BYPASS_CODE", None)
    lines.append(
        "  council roles need a second factor: enter the demo code "
        f"{code or '(unset)'} or use an authenticator app with secret {DEMO_TOTP_SECRET}"
    )
    return lines
