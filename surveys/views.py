"""Taking a survey through a single-use link (being built: see tests/surveys)."""

from django.http import Http404


def take(request, token: str):
    raise Http404
