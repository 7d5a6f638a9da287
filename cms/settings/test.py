"""Test settings: fast hashing, in-memory email, tasks run at once, fresh caches."""

from importlib.util import find_spec

from .base import *  # noqa: F403
from .base import DATABASES, INSTALLED_APPS

SECRET_KEY = "test-only-secret-key-not-for-any-real-site"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Receipts in memory too, and just as unlinkable as on disk (cms.storage).
    "receipts": {"BACKEND": "cms.storage.PrivateInMemoryStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tasks run inside the request in tests; the database backend and its worker are exercised by
# their own tests, which override this.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
WAGTAILADMIN_BASE_URL = "http://testserver"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # In memory: the transactional tests restore migration data by serialized rollback, which
    # a file database here lost. The thread-concurrency tests therefore run on PostgreSQL (CI).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
# Serve static files from the apps' folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The benchmarks live in tests/ and need the test extra: without them the site still starts.
if all(find_spec(name) for name in ("httpx", "factory", "tests")) and find_spec("tests.benchmarks"):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.benchmarks"]
