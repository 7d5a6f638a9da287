"""``manage.py bench_import``: both paths run and nothing is left behind (it runs for real at
100,000 rows by hand, not timed here)."""

from __future__ import annotations

import io

import pytest

from django.core.management import call_command

from wagtail.models import ModelLogEntry

from surveys.models import Response, Survey

pytestmark = pytest.mark.django_db


def test_the_benchmark_command_runs_both_paths_and_leaves_nothing_behind():
    out = io.StringIO()

    call_command("bench_import", responses=40, answers=3, repeat=2, stdout=out)

    text = out.getvalue()
    assert "40 responses x 3 answers" in text
    assert "run 2 baseline" in text
    assert "ratio per run" in text
    assert "peak memory, product path (tracemalloc), 4 rows" in text
    assert "peak memory, product path (tracemalloc), 40 rows" in text
    assert not Survey.objects.filter(slug__startswith="bench-import-").exists()
    assert not Response.objects.exists()
    assert not ModelLogEntry.objects.filter(action="surveys.import").exists()
