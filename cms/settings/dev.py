"""Local development and the demo: DEBUG on, console email, a throwaway secret."""

from importlib.util import find_spec

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, RECEIPTS_STORAGE, env_str

DEBUG = True
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "receipts": RECEIPTS_STORAGE,
}
# allauth's demo-only second factor: allauth refuses this setting when DEBUG is off, so it can
# never reach production. The demo accounts print it as their code.
MFA_TOTP_INSECURE_BYPASS_CODE = env_str("DEMO_TOTP_CODE", "000000")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The benchmarks live in tests/ and need the test extra: without them the site still starts.
if all(find_spec(name) for name in ("httpx", "factory", "tests")) and find_spec("tests.benchmarks"):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.benchmarks"]
