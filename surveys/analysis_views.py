"""The analyst dashboard of a measure, and its CSV and XLSX downloads.

The figures come from ``selectors.measure_report`` (one GROUP BY, then the pure statistics) and
are laid out by ``surveys.report_tables``, which the downloads and ``manage.py survey_report``
use too: what is downloaded is exactly what the page shows, suppression included.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.defaults import permission_denied

from cms.platform.uploads import XLSX_CONTENT_TYPE
from surveys import charts, report_tables, selectors
from surveys.models import Measure

VIEW_MEASURE = "surveys.view_measure"
FORMATS = ("csv", "xlsx")


def _denied(request):
    # A 403, not Wagtail's redirect to the dashboard, like the other survey data pages.
    return permission_denied(request, PermissionDenied())


def _measure(pk: int) -> Measure:
    return get_object_or_404(Measure.objects.select_related("survey", "baseline"), pk=pk)


@require_GET
def measure_report(request, pk: int):
    if not request.user.has_perm(VIEW_MEASURE):
        return _denied(request)
    measure = _measure(pk)
    report = selectors.measure_report(measure=measure)
    tables = {table.key: table for table in report_tables.report_tables(report)}
    figures = tables.pop("figures")
    waves = [
        {
            "year": year,
            "summary": report.summary(year),
            "is_break": year in report.breaks,
            "headers": figures.headers[1:],
            "rows": figures.rows_for_year(year),
        }
        for year in report.years
    ]
    chart_title = f"{measure.name}: percent positive by ethnic group"
    return TemplateResponse(
        request,
        "surveys/admin/measure_report.html",
        {
            "header_title": f"Report: {measure.name}",
            "measure": measure,
            "report": report,
            "summary": report.summary() if report.years else "",
            "positive": report_tables.positive_answer_labels(measure),
            "chart": charts.percent_positive_chart(report, title=chart_title),
            "chart_title": chart_title,
            "waves": waves,
            "figures": figures,
            "comparison_tables": list(tables.values()),
            "footnotes": report.footnotes,
            "csv_url": reverse("surveys_measure_report_download", args=[measure.pk, "csv"]),
            "xlsx_url": reverse("surveys_measure_report_download", args=[measure.pk, "xlsx"]),
            "index_url": reverse("surveys_measure:index"),
            "edit_url": reverse("surveys_measure:edit", args=[measure.pk])
            if request.user.has_perm("surveys.change_measure")
            else None,
        },
    )


@require_GET
def measure_report_download(request, pk: int, fmt: str):
    if not request.user.has_perm(VIEW_MEASURE):
        return _denied(request)
    if fmt not in FORMATS:
        raise Http404
    measure = _measure(pk)
    report = selectors.measure_report(measure=measure)
    positive = report_tables.positive_answer_labels(measure)
    name = report_tables.filename(measure, fmt)
    if fmt == "csv":
        response = HttpResponse(
            report_tables.csv_text(measure, report, positive=positive),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = FileResponse(
            report_tables.xlsx_file(measure, report, positive=positive),
            as_attachment=True,
            filename=name,
            content_type=XLSX_CONTENT_TYPE,
        )
    response["Cache-Control"] = "no-store"
    return response
