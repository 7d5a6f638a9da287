"""Production settings over plain HTTP on 127.0.0.1, with the submission baseline's URL.

``python manage.py bench_submit`` starts gunicorn with this module; nothing else loads it. It
differs from production only where a loopback benchmark needs it: no HTTPS redirect and no
secure-only cookies (the load generator speaks plain HTTP to 127.0.0.1), static files served by
WhiteNoise from the apps' folders (no collectstatic, so no manifest to miss), and a URLconf that
adds the benchmark's trivial baseline view in front of the site's own URLs. ``cms.urls`` never
routes that view.
"""

from cms.settings.production import *  # noqa: F403
from cms.settings.production import RECEIPTS_STORAGE

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
MFA_TRUST_COOKIE_SECURE = False

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "receipts": RECEIPTS_STORAGE,
}
WHITENOISE_USE_FINDERS = True

ROOT_URLCONF = "tests.benchmarks.urls"
