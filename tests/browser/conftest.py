"""Real-browser journeys: Playwright driving Debian's Chromium against a live server.

Every page a journey visits is checked with axe-core (WCAG 2.0, 2.1 and 2.2, A and AA) and must
have zero violations and no console errors (CSP violations appear there). axe is injected with
``page.evaluate``, which runs outside the page's Content-Security-Policy, so the site's CSP stays
exactly as it is in production.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from django.conf import settings

from tests.browser.assets import AXE_PATH, BROWSER_TESTS, CHROMIUM, front_end_refusal

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(settings.BASE_DIR) / "test-results" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

CHECKED_PAGES: list[str] = []

TRANSITIONS_DONE_JS = """
() => !document.getAnimations().some(
  (a) => a instanceof CSSTransition && a.playState === 'running'
)
"""


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_TESTS in item.nodeid:
            item.add_marker(pytest.mark.browser)
    # Under pytest-xdist the controller stops the run (tests/conftest.py); a worker raising
    # here would only crash.
    if getattr(config, "workerinput", None) is None and (
        refusal := front_end_refusal(item.nodeid for item in items)
    ):
        raise pytest.UsageError(refusal)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: a missing browser is a failure there.
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    from django.db import connections

    # Django keeps connections in context-local storage, and starting Playwright's sync API
    # leaves this greenlet in a new contextvars context: the test code would then get fresh
    # DatabaseWrapper objects without the test database's serialized contents, so every
    # transactional test after the first would start from an empty (flushed) database. Keep
    # the wrappers Django set the test database up with.
    wrappers = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, wrapper in wrappers.items():
            connections[alias] = wrapper
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visitor:
    """A person in a browser. ``check()`` runs axe and the console checks on the current page."""

    def __init__(self, context, base_url: str, name: str):
        self.context = context
        self.base_url = base_url
        self.name = name
        self.page = context.new_page()
        self.console_errors: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def visit(self, path: str, *, check: bool = True):
        response = self.page.goto(self.base_url + path)
        if check:
            self.check()
        return response

    def check(self) -> None:
        """Zero axe violations and zero console errors on the page as it is now."""
        self.page.wait_for_load_state("load")
        # axe reads colours as drawn at that moment: let CSS transitions (a message fading in
        # after a redirect) finish first, or contrast is judged mid-fade.
        self.page.wait_for_function(TRANSITIONS_DONE_JS, timeout=5000)
        violations = axe_violations(self.page)
        url = self.page.url.removeprefix(self.base_url) or "/"
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations
        ]
        assert not problems, f"axe violations on {url}:\n" + "\n".join(problems)
        errors = [e for e in self.console_errors if "favicon" not in e]
        self.console_errors.clear()
        assert not errors, f"console errors on {url}: {errors}"
        CHECKED_PAGES.append(f"{self.name}: {url}")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, height, label in ((1280, 900, "desktop"), (375, 812, "mobile")):
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE_PATH.read_text())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    return result["violations"]


@pytest.fixture
def browser_for(chromium, live_server):
    contexts = []

    def make(name: str = "visitor") -> Visitor:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return Visitor(context, live_server.url, name)

    yield make
    for context in contexts:
        context.close()


def pytest_sessionfinish(session):
    # Under pytest-xdist each worker checks its own pages: hand them to the controller.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["checked_pages"] = list(CHECKED_PAGES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    CHECKED_PAGES.extend(getattr(node, "workeroutput", {}).get("checked_pages", []))


def pytest_terminal_summary(terminalreporter):
    if CHECKED_PAGES:
        terminalreporter.section("pages checked with axe-core (0 violations each)")
        for page in CHECKED_PAGES:
            terminalreporter.write_line(page)
        terminalreporter.write_line(
            f"{len(CHECKED_PAGES)} page checks; screenshots in {SCREENSHOTS}"
        )
