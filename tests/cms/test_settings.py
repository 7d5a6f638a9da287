"""Safe defaults: base settings have DEBUG off and no secret; SQLite is set up for concurrency;
production settings pass ``check --deploy`` with secure cookies, HTTPS and private receipts."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings

from cms.settings import base


def test_base_settings_are_safe():
    assert base.DEBUG is False
    assert base.SECRET_KEY in (None, os.environ.get("SECRET_KEY"))


def test_sqlite_uses_immediate_transactions_wal_and_a_busy_timeout():
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        assert database["CONN_MAX_AGE"] == 600
        assert database["CONN_HEALTH_CHECKS"] is True
        return
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_production_settings_refuse_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.production"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_no_third_party_sees_admin_traffic():
    assert settings.WAGTAIL_ENABLE_UPDATE_CHECK is False
    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None


def test_dev_settings_module_imports():
    assert importlib.import_module("cms.settings.dev").DEBUG is True


def test_sessions_read_through_the_cache_only_when_every_process_shares_it():
    # A per-process cache in front of the sessions served a stale survey draft to a second
    # gunicorn worker; with a shared cache (redis://, db://) cached_db is safe.
    engines = {}
    for cache_url in ("", "locmem://", "db://cache_table", "redis://127.0.0.1:6379/0"):
        env = {**os.environ, "CACHE_URL": cache_url}
        result = subprocess.run(
            [sys.executable, "-c", "from cms.settings import base; print(base.SESSION_ENGINE)"],
            env=env,
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
            check=True,
        )
        engines[cache_url] = result.stdout.strip().rsplit(".", 1)[1]
    assert engines == {
        "": "db",
        "locmem://": "db",
        "db://cache_table": "cached_db",
        "redis://127.0.0.1:6379/0": "cached_db",
    }


# --- Production: cookies, HTTPS and `check --deploy` ---------------------------------------------

PRODUCTION_PROBE = """
import json
from django.conf import settings
names = [
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE", "MFA_TRUST_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY", "X_FRAME_OPTIONS", "SILENCED_SYSTEM_CHECKS",
    "WAGTAIL_ENABLE_UPDATE_CHECK", "WAGTAIL_GRAVATAR_PROVIDER_URL",
    "ACCOUNT_REAUTHENTICATION_TIMEOUT", "ACCOUNT_SESSION_REMEMBER",
]
values = {name: getattr(settings, name) for name in names}
values["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
values["PRIVATE_MEDIA_ROOT"] = str(settings.PRIVATE_MEDIA_ROOT)
values["RECEIPTS"] = {
    "BACKEND": settings.STORAGES["receipts"]["BACKEND"],
    "location": str(settings.STORAGES["receipts"]["OPTIONS"]["location"]),
}
print(json.dumps(values))
"""

# Variables that would change what production settings say; the probes run without them.
_OVERRIDES = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_AGE",
    "MEDIA_ROOT",
    "PRIVATE_MEDIA_ROOT",
    "DEBUG",
    # Set by the browser tests' conftest for Playwright's event loop (tests only): the deploy
    # check rightly refuses it, and a production process never has it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _OVERRIDES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cms.settings.production",
            "SECRET_KEY": "a-long-random-production-like-secret-" + "x9Qz" * 12,
            "ALLOWED_HOSTS": "council.example",
            "CSRF_TRUSTED_ORIGINS": "https://council.example",
        }
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (the arguments are this file's own)
        args, env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, check=False
    )


def test_production_cookies_are_secure_httponly_and_samesite_and_https_is_enforced():
    import json

    result = _run(
        [sys.executable, "-c", f"import django; django.setup()\n{PRODUCTION_PROBE}"],
        _production_env(),
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    # Cookies: sent over HTTPS only, out of reach of script, not sent on cross-site posts.
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["MFA_TRUST_COOKIE_SECURE"] is True
    # A working day at most. Signed in, the cookie also ends with the browser (no "remember
    # me"); a respondent's survey draft is kept for the whole lifetime, as the survey promises.
    assert 0 < values["SESSION_COOKIE_AGE"] <= 8 * 60 * 60
    assert values["ACCOUNT_SESSION_REMEMBER"] is False
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is False
    assert 0 < values["ACCOUNT_REAUTHENTICATION_TIMEOUT"] <= 15 * 60
    # HTTPS: redirect, HSTS for a year or more on every subdomain, the proxy's header trusted.
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Headers.
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    # No third party sees admin traffic.
    assert values["WAGTAIL_ENABLE_UPDATE_CHECK"] is False
    assert values["WAGTAIL_GRAVATAR_PROVIDER_URL"] is None
    # Receipts: a private storage outside MEDIA_ROOT.
    assert values["RECEIPTS"]["BACKEND"] == "cms.storage.PrivateFileSystemStorage"
    assert values["RECEIPTS"]["location"] == values["PRIVATE_MEDIA_ROOT"]
    private, media = Path(values["PRIVATE_MEDIA_ROOT"]), Path(values["MEDIA_ROOT"])
    assert not private.resolve().is_relative_to(media.resolve())
    # Nothing is silenced: a check --deploy finding is fixed, not hidden. Were one ever
    # silenced, it would be listed here with the reason.
    assert values["SILENCED_SYSTEM_CHECKS"] == []


def test_check_deploy_is_clean_on_production_settings():
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_would_catch_an_insecure_cookie():
    # Guards the guard: the same command fails when production settings are weakened.
    result = _run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_env(SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false"),
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


@pytest.mark.parametrize("inside", ["MEDIA_ROOT", "STATIC_ROOT"])
def test_private_media_inside_a_public_folder_is_refused(tmp_path, inside):
    env = _production_env(
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / ("media" if inside == "MEDIA_ROOT" else "static") / "p"),
    )
    result = _run([sys.executable, "-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    assert "PRIVATE_MEDIA_ROOT" in result.stderr


@pytest.mark.django_db
def test_the_page_editor_never_autosaves(client, make_user):
    """Autosave raced Publish in the "add page" view (a 400 in CI) and left redirects behind
    for draft titles (wagtail#13978): every save is a person's."""
    from cms.models import HomePage
    from tests.conftest import enrol_totp, sign_in

    superuser = make_user(is_superuser=True)
    enrol_totp(superuser)
    sign_in(client, superuser)
    home = HomePage.objects.get()
    response = client.get(f"/admin/pages/add/cms/accessibilitystatementpage/{home.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "w-unsaved" in body  # the editor's form controller is there...
    assert "w-autosave#save" not in body  # ...without autosave
    assert "data-w-autosave-interval-value" not in body
