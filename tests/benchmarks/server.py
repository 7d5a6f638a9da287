"""gunicorn serving the site for the submission benchmark, as a child process on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from tests.benchmarks.load import HOST, REQUEST_TIMEOUT, THANK_YOU_PATH, FlowFailed, Site

SERVER_START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_url_for_server() -> str:
    """The database this process uses, for gunicorn's processes to share."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(connection.settings_dict['NAME']).resolve()}"
    raise CommandError("Set DATABASE_URL so the server uses the same database.")


class Gunicorn:
    """gunicorn serving cms.wsgi with tests.benchmarks.settings; ``site`` reaches it."""

    def __init__(self, *, workers: int, database_url: str, log_path: Path):
        self.workers = workers
        self.port = free_port()
        self.site = Site(self.port)
        self.log_path = log_path
        self.command = [
            *(sys.executable, "-m", "gunicorn", "cms.wsgi:application"),
            *("--bind", f"{HOST}:{self.port}", "--workers", str(workers)),
            *("--timeout", str(REQUEST_TIMEOUT), "--graceful-timeout", "10"),
            *("--log-level", "warning"),
        ]
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
            # Every process of a deployment shares one key: this command opens the responses
            # the server sealed (surveys.sealing) when it releases them at the end.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.command,
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(f"gunicorn stopped at start:\n{self.log_tail()}")
            try:
                page = self.site.browser().get(THANK_YOU_PATH)
            except FlowFailed as error:
                if error.kind == "other":  # not listening yet
                    time.sleep(0.2)
                    continue
                raise CommandError(f"gunicorn failed: {error.detail}\n{self.log_tail()}") from None
            if page.status_code != 200:
                raise CommandError(
                    f"gunicorn answered {page.status_code} for {THANK_YOU_PATH}:\n{self.log_tail()}"
                )
            return
        raise CommandError(f"gunicorn did not start in {SERVER_START_TIMEOUT} s")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self.site.close()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def static_check(self) -> str:
        """The stylesheet the survey pages link to, fetched once as a browser would."""
        browser = self.site.browser()
        page = browser.get(THANK_YOU_PATH)
        marker = b'rel="stylesheet" href="'
        if marker not in page.content:
            return "no stylesheet linked"
        href = page.content.split(marker, 1)[1].split(b'"', 1)[0].decode()
        try:
            status = browser.get(href).status_code
        except FlowFailed as error:
            return f"{href}: {error.detail}"
        return f"{href} {status}" + ("" if status == 200 else " (run `npm run build`?)")
