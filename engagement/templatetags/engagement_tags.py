"""Dates and times written the GOV.UK way: "2pm", "midday", "3 to 28 March 2026"."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


@register.filter
def govuk_time(moment: datetime) -> str:
    moment = _local(moment)
    if moment.minute == 0 and moment.hour == 12:
        return "midday"
    if moment.minute == 0 and moment.hour == 0:
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


@register.simple_tag
def date_range(start: date, end: date | None = None) -> str:
    if end is None or end == start:
        return date_format(start, "j F Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} to {date_format(end, 'j F Y')}"
    if start.year == end.year:
        return f"{date_format(start, 'j F')} to {date_format(end, 'j F Y')}"
    return f"{date_format(start, 'j F Y')} to {date_format(end, 'j F Y')}"


@register.simple_tag
def event_when(starts_at: datetime, ends_at: datetime) -> str:
    start, end = _local(starts_at), _local(ends_at)
    day = date_format(start, "l j F Y")
    if start.date() == end.date():
        return f"{day}, {govuk_time(start)} to {govuk_time(end)}"
    return f"{day}, {govuk_time(start)} to {date_format(end, 'l j F Y')}, {govuk_time(end)}"
