"""``manage.py survey_report``: the dashboard's figures on the command line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from django.core.management import call_command
from django.core.management.base import CommandError

from cms.platform.suppression import SUPPRESSED
from surveys import report_tables, selectors
from surveys.management.commands.survey_report import Command
from surveys.models import Measure
from tests.surveys.factories import staff_survey_wave
from tests.surveys.test_dashboard import ASIAN, COUNTS, MIXED, answer, csv_sections

pytestmark = pytest.mark.django_db


@pytest.fixture
def measure() -> Measure:
    first = staff_survey_wave(year=2023)
    answer(first, COUNTS[2023])
    for year in (2024, 2025):
        answer(staff_survey_wave(year=year, survey=first.survey), COUNTS[year])
    return Measure.objects.create(
        key="equal-opportunity",
        name="Equality of opportunity",
        survey=first.survey,
        question_key="equal_opportunity",
        baseline=first,
    )


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("survey_report", *args, stdout=out)
    return out.getvalue()


def test_table_prints_the_summaries_and_every_table(measure):
    text = run("--measure", "equal-opportunity")
    report = selectors.measure_report(measure=measure)
    lines = text.splitlines()
    assert lines[0] == "Measure: Equality of opportunity"
    for year in (2023, 2024, 2025):
        assert report.summary(year) in lines
    for table in report_tables.report_tables(report):
        assert table.title in lines
    # The figures as the dashboard shows them: 48 of 100 Asian answers, 48% (38 to 58).
    figures = lines[lines.index("Percent positive by group and wave") + 1 :]
    assert figures[1].split("  ")[0] == "Year"
    asian = next(line for line in figures if line.startswith("2025  " + ASIAN))
    assert asian.split()[-5:] == ["100", "48", "48", "38", "58"]
    mixed = next(line for line in figures if line.startswith("2025  " + MIXED))
    assert mixed.split()[-5:] == [SUPPRESSED] * 5
    assert any(line.startswith("- [c] Confidential") for line in lines)


def test_csv_is_the_dashboards_download(measure, client, make_user, signed_in):
    from cms import roles

    text = run("--measure", "equal-opportunity", "--format", "csv")
    assert not text.startswith("\ufeff")
    signed_in(make_user(roles.INCLUSION_ANALYSTS))
    download = client.get(f"/admin/surveys/measures/{measure.pk}/report.csv").content.decode()
    assert download.lstrip("\ufeff") == text
    figures = csv_sections(text)["Percent positive by group and wave"]
    assert ["2025", ASIAN, "100", "48", "48", "38", "58"] in figures
    assert ["2025", MIXED, *[SUPPRESSED] * 5] in figures


def test_csv_escapes_formulas(measure):
    measure.name = '=HYPERLINK("http://example.org")'
    measure.save()
    text = run("--measure", "equal-opportunity", "--format", "csv")
    assert next(csv.reader(io.StringIO(text))) == ["Measure", "'" + measure.name]


def test_json_is_the_unrounded_report(measure):
    data = json.loads(run("--measure", "equal-opportunity", "--format", "json"))
    report = selectors.measure_report(measure=measure)
    assert data == json.loads(json.dumps(report.to_dict()))
    asian = next(r for r in data["rows"] if r["year"] == 2025 and r["group"] == "asian")
    assert asian["n"] == 100
    assert asian["percent"] == 48.0
    assert asian["ci_low"] == pytest.approx(38.465, abs=0.001)  # Wilson, 48/100.
    mixed = next(r for r in data["rows"] if r["year"] == 2025 and r["group"] == "mixed")
    assert mixed["suppressed"] is True
    assert [mixed[k] for k in ("n", "positive", "percent", "ci_low", "ci_high")] == [None] * 5


def test_an_unknown_key_names_the_known_ones(measure):
    Measure.objects.create(
        key="belonging", name="Belonging", survey=measure.survey, question_key="belonging"
    )
    with pytest.raises(CommandError) as caught:
        run("--measure", "nope")
    assert str(caught.value) == (
        'There is no measure with the key "nope". Known keys: belonging, equal-opportunity.'
    )


def test_an_unknown_key_is_an_error_message_not_a_traceback(capsys):
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "survey_report", "--measure", "nope"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (
        'CommandError: There is no measure with the key "nope". There are no measures yet.' in err
    )


def test_an_unknown_format_is_refused(measure, capsys):
    with pytest.raises(SystemExit):
        Command().run_from_argv(
            ["manage.py", "survey_report", "--measure", measure.key, "--format", "xml"]
        )
    assert "invalid choice: 'xml'" in capsys.readouterr().err
