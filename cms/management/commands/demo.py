"""Build the demo site on the configured database and serve it.

    python manage.py demo               # migrate, build demo data, serve on 127.0.0.1:8000
    python manage.py demo --addrport 127.0.0.1:8001   # the same, on another port
    python manage.py demo --no-serve    # only build

Each app adds its own demo data by registering a builder in its ``<app>/demo.py``
(``cms.platform.demo``); the lines they return are printed at the end. Running the command twice
is safe.
"""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys

from django_tasks import task_backends
from django_tasks_db import DatabaseBackend

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cms.platform import demo


def address_refusal(addrport: str) -> str | None:
    """Why the web server could not listen on ``addrport``, or None if it can.

    runserver ends the process with ``os._exit`` when its port is taken, so no ``finally`` runs
    and a task worker started beside it would be left behind: check before starting anything.
    """
    host, _, port = addrport.rpartition(":")
    host = (host or "127.0.0.1").strip("[]")
    if not port.isdigit():
        return f"{addrport!r} is not an address and port, e.g. 127.0.0.1:8001."
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The same option runserver's server sets, so a port in TIME_WAIT is not refused here.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port)))
        except OSError as error:
            return (
                f"Cannot serve on {host}:{port} ({error.strerror or error}). Stop what is using "
                f"it, or choose another port: python manage.py demo --addrport {host}:8001"
            )
    return None


class Command(BaseCommand):
    help = "Build the demo site with data for every role, then serve it on 127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Build the demo data only.")
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help="Address and port to serve on (default 127.0.0.1:8000).",
        )

    def handle(self, *args, no_serve: bool, addrport: str, **options):
        if not settings.DEBUG:
            # Demo accounts have published passwords and a demo second factor.
            raise CommandError("The demo runs only with DEBUG on (cms.settings.dev).")
        if not no_serve and (refusal := address_refusal(addrport)):
            raise CommandError(refusal)

        call_command("migrate", interactive=False, verbosity=0)
        lines: list[str] = []
        # The order matters: boards need accounts, analysis needs survey waves, pages link to
        # both; INSTALLED_APPS gives it (cms.platform.demo).
        for entry in demo.builders.entries():
            self.stdout.write(f"Building demo data: {entry.key}")
            lines.extend(entry.value(stdout=self.stdout) or [])
        if isinstance(task_backends["default"], DatabaseBackend):
            # Wagtail enqueues reference indexing (and image work) as tasks: run them now.
            # The demo's notification emails go to the console backend: keep them off screen.
            with contextlib.redirect_stdout(io.StringIO()):
                call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        for line in lines:
            self.stdout.write(line)
        if no_serve:
            return

        # The task worker runs beside the web server, as it would in production.
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "1"],
            cwd=settings.BASE_DIR,
        )
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
