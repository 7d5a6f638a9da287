"""Whether the browser tests can check the real site: the built front end and axe-core.

Without the built styles every page still renders, unstyled, and axe reports target-size
failures that are not the site's, which sends a newcomer hunting for an accessibility bug. So a
run that includes browser tests stops at once, with one message, when the build is missing.
Kept apart from ``conftest.py`` so the top-level conftest can use it (pytest-xdist's controller
never loads this folder's conftest) without that conftest's side effects.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_PATH = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
DIST = BASE_DIR / "cms" / "static" / "cms" / "dist"
FRONT_END_FILES = (DIST / "site.css", DIST / "site.js", DIST / "govuk-frontend.min.js", AXE_PATH)
BROWSER_TESTS = "tests/browser/"


def browser_tests_will_run() -> bool:
    """Locally they are skipped without Chromium; under CI a missing Chromium fails them."""
    return Path(CHROMIUM).exists() or bool(os.environ.get("CI"))


def front_end_refusal(test_ids: Iterable[str], files=FRONT_END_FILES) -> str | None:
    """The message to stop with, or None when no browser test runs or the build is there."""
    if not any(BROWSER_TESTS in test_id for test_id in test_ids):
        return None
    if not browser_tests_will_run():
        return None
    missing = [path for path in files if not path.exists()]
    if not missing:
        return None
    names = ", ".join(
        str(path.relative_to(BASE_DIR)) if path.is_relative_to(BASE_DIR) else str(path)
        for path in missing
    )
    return (
        f"The front-end assets are not built ({names} missing), so the browser tests would "
        "check an unstyled site. Run: npm ci && npm run build"
    )
