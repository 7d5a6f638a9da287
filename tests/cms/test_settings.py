"""Safe defaults: base settings have DEBUG off and no secret; SQLite is set up for concurrency."""

import importlib
import os
import subprocess
import sys

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
