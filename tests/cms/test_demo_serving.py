"""``manage.py demo`` when it cannot serve: a clear message, nothing built, no worker left."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings

from cms.management.commands.demo import address_refusal

pytestmark = pytest.mark.slow


def _workers_for(database_file: Path) -> list[int]:
    """Task workers started with this database, found by their environment."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"db_worker" in cmdline and str(database_file).encode() in environ:
            found.append(int(proc.name))
    return found


def test_demo_with_its_port_taken_says_how_to_choose_another_and_starts_nothing(tmp_path):
    database = tmp_path / "demo.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "demo", "--addrport", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "--addrport 127.0.0.1:8001" in result.stderr
    assert "Traceback" not in result.stderr
    # Refused before migrating or building anything, and no task worker was started.
    assert not database.exists()
    assert _workers_for(database) == []


def test_a_free_port_is_accepted_and_a_bad_address_is_explained():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    assert address_refusal(f"127.0.0.1:{free_port}") is None
    assert "not an address and port" in address_refusal("127.0.0.1:http")
