"""The README's two commands for a fresh machine, and CI running the same test command."""

import re

from django.conf import settings


def _fresh_machine_commands() -> list[str]:
    readme = (settings.BASE_DIR / "README.md").read_text()
    section = readme.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    section = section.split("### ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.DOTALL)


def test_readme_gives_exactly_two_commands():
    commands = _fresh_machine_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    demo, tests = commands
    assert "manage.py demo" in demo
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (settings.BASE_DIR / ".ci" / "run").read_text()
    test_command = _fresh_machine_commands()[1]
    assert test_command in ci.splitlines()
