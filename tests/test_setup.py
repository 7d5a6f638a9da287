"""A fresh clone installs exactly what the suite last passed with, and a developer can run one file.

The README's two commands install uv at one pinned version, then ``uv sync --locked`` installs
``uv.lock`` and nothing else. These tests fail if a command stops doing that, if the environment
the suite runs in holds a package at a version the lock does not name, or if the coverage floor
moves back into every run.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from django.conf import settings

from tests.browser.assets import front_end_refusal
from tests.test_readme import _fresh_machine_commands

PYPROJECT = tomllib.loads((settings.BASE_DIR / "pyproject.toml").read_text())
LOCK = tomllib.loads((settings.BASE_DIR / "uv.lock").read_text())
# Installed before the lock: the pinned uv, and what `python3 -m venv` seeds (pip; setuptools
# too on Python 3.11), which uv leaves in place.
BOOTSTRAP = {"pip", "setuptools", "uv"}


def _locked_versions() -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in LOCK["package"]:
        versions.setdefault(canonicalize_name(package["name"]), set()).add(package["version"])
    return versions


def _required_uv() -> str:
    return PYPROJECT["tool"]["uv"]["required-version"].removeprefix("==")


def test_each_command_installs_the_pinned_uv_then_exactly_the_lock():
    demo, tests = (shlex.split(command) for command in _fresh_machine_commands())
    for words, extra in ((demo, []), (tests, ["--extra", "test"])):
        steps = " ".join(words).split(" && ")
        assert steps[0] == "python3 -m venv .venv"
        assert steps[1] == f".venv/bin/pip install -q uv=={_required_uv()}"
        assert steps[2] == " ".join([".venv/bin/uv", "sync", "-q", "--locked", *extra])
        # Nothing else installs Python packages (a stray `pip install -e .` would resolve anew).
        assert not any("pip install" in step for step in steps[2:])


def test_uv_pin_is_exact_and_the_lock_belongs_to_this_project():
    assert re.fullmatch(r"==\d+\.\d+\.\d+", PYPROJECT["tool"]["uv"]["required-version"])
    project = next(p for p in LOCK["package"] if p["name"] == PYPROJECT["project"]["name"])
    assert project["source"] == {"editable": "."}
    # Every locked download carries its hash.
    for package in LOCK["package"]:
        for artifact in [package.get("sdist"), *package.get("wheels", [])]:
            if artifact is not None:
                assert artifact["hash"].startswith("sha256:"), package["name"]


def test_the_environment_holds_only_locked_versions():
    locked = _locked_versions()
    project = canonicalize_name(PYPROJECT["project"]["name"])
    unlocked = []
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name in BOOTSTRAP or name == project:
            continue
        if dist.version not in locked.get(name, set()):
            unlocked.append(f"{name}=={dist.version} (lock: {sorted(locked.get(name, []))})")
    assert not unlocked, (
        "Installed but not as locked; run .venv/bin/uv sync --locked --extra test:\n"
        + "\n".join(sorted(unlocked))
    )


def test_every_declared_dependency_is_installed():
    declared = [*PYPROJECT["project"]["dependencies"]]
    declared += PYPROJECT["project"]["optional-dependencies"]["test"]
    missing = []
    for line in declared:
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        try:
            metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(requirement.name)
    assert not missing


def test_the_coverage_floor_is_on_the_test_command_not_on_every_run():
    addopts = PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]
    assert "--cov" not in addopts
    test_command = _fresh_machine_commands()[1]
    floor = re.search(r"--cov-fail-under=(\d+)", test_command)
    assert floor and int(floor.group(1)) >= 90


@pytest.mark.parametrize("built", [True, False])
def test_browser_runs_stop_with_one_message_when_the_front_end_is_not_built(tmp_path, built):
    stylesheet = tmp_path / "site.css"
    if built:
        stylesheet.write_text("body{}")
    refusal = front_end_refusal(["tests/browser/test_journeys.py::test_x"], files=[stylesheet])
    if built:
        assert refusal is None
    else:
        assert refusal.endswith("Run: npm ci && npm run build")
        assert str(stylesheet) in refusal
    # A run without browser tests never needs the build.
    assert front_end_refusal(["tests/cms/test_env.py::test_x"], files=[stylesheet]) is None
