"""The layers hold (import-linter's contracts in pyproject.toml), and a deliberate breach of each
one makes ``lint-imports`` fail: the contracts are not a check that cannot fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from django.conf import settings

pytestmark = pytest.mark.slow

PACKAGES = ("cms", "board", "surveys", "engagement")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy_of_the_tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(
            settings.BASE_DIR / package,
            root / package,
            ignore=shutil.ignore_patterns("__pycache__", "static", "static_src", "locale"),
        )
    shutil.copy(settings.BASE_DIR / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_contracts_are_kept():
    result = _lint(settings.BASE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "breach", "broken"),
    [
        # Inside a function, where imports once hid from cycles: still seen.
        (
            "engagement/selectors.py",
            "\n\ndef _breach():\n    from board.models import Recommendation  # noqa\n",
            "Feature apps do not import each other BROKEN",
        ),
        (
            "cms/platform/registry.py",
            "\nimport surveys.models  # noqa\n",
            "The platform core (cms) imports no feature app BROKEN",
        ),
        (
            "surveys/analysis/statistics.py",
            "\nfrom django.conf import settings  # noqa\n",
            "The statistics import no Django, no Wagtail and nothing of the surveys app BROKEN",
        ),
    ],
)
def test_a_deliberate_breach_breaks_its_contract(copy_of_the_tree, module, breach, broken):
    target = copy_of_the_tree / module
    original = target.read_text()
    target.write_text(original + breach)
    try:
        result = _lint(copy_of_the_tree)
    finally:
        target.write_text(original)
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout
