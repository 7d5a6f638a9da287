"""Admin building blocks shared by the apps' Wagtail viewsets."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.functional import cached_property

from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.search.index import class_is_indexed
from wagtail.snippets.views.snippets import IndexView as SnippetIndexView
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.platform import audit


class PersonalDataExportLogMixin:
    """A listing export that holds people's personal data is written to the audit log."""

    personal_data_export = False

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if self.personal_data_export:
            audit.personal_data_exported(
                model=self.model,
                by=self.request.user,
                export=self.get_filename(),
                file_format=spreadsheet_format,
                filters={k: v for k, v in self.request.GET.items() if k != "export"},
            )
        return super().as_spreadsheet(queryset, spreadsheet_format)


class SearchOrderingMixin:
    """Searching a listing and sorting it by a column work together.

    Wagtail hands the sorted queryset to its search backend, which refuses to sort by any field
    that is not a ``FilterField`` of the model: searching council responses, then sorting by
    recommendation, was a 500, and so was ``?q=x&ordering=`` anything not offered, which also
    switched off ordering by relevance (both found by the hostile-input suite). Here an
    ordering the listing does not offer is ignored, as it is without a search, and a sorted
    search finds the matches first, then sorts them in the database.
    """

    @cached_property
    def is_explicitly_ordered(self):
        return self.request.GET.get("ordering") in self.get_valid_orderings()

    def search_queryset(self, queryset):
        uses_backend = class_is_indexed(queryset.model) and self.search_backend_name
        if not (self.is_searching and self.is_explicitly_ordered and uses_backend):
            return super().search_queryset(queryset)
        ordering = queryset.query.order_by
        found = super().search_queryset(queryset.order_by())
        return queryset.filter(pk__in=[match.pk for match in found]).order_by(*ordering)


class YesNoColumn(Column):
    """A true or false value read as "Yes" or "No": Wagtail's plain column prints "True"."""

    def get_value(self, instance):
        value = super().get_value(instance)
        if value is None:
            return ""
        return "Yes" if value else "No"


def _model_field(model, lookup: str):
    """The model field a ``list_display`` name reaches (through relations), or None."""
    *relations, name = lookup.split(LOOKUP_SEP)
    try:
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        return model._meta.get_field(name)
    except (FieldDoesNotExist, AttributeError):
        return None


class PlainColumnsMixin:
    """Listing columns in words: a boolean field named in ``list_display`` reads "Yes" or "No".

    Headings come from the field's verbose name when ``list_display`` names the field ("status",
    not "get_status_display": Wagtail then shows the choice's label under the heading "Status";
    the method name gave the heading "method"). ``tests/cms/test_viewsets.py`` renders every
    listing and fails on a heading or cell in code words.
    """

    def _get_custom_column(self, field_name, column_class=Column, **kwargs):
        column = super()._get_custom_column(field_name, column_class, **kwargs)
        if column_class is Column and isinstance(
            _model_field(self.model, field_name), models.BooleanField
        ):
            return YesNoColumn(
                column.name, label=column.label, accessor=column.accessor, sort_key=column.sort_key
            )
        return column


class EscapedExportIndexView(
    PlainColumnsMixin, SearchOrderingMixin, PersonalDataExportLogMixin, IndexView
):
    """Wagtail's listing, whose export of personal data is written to the audit log.

    Every cell and heading of the export is escaped against formula injection, in CSV and XLSX:
    not here but for every Wagtail export at once, by
    ``cms.exports.escape_wagtail_spreadsheet_exports`` (Wagtail escapes nothing in CSV).
    """


class ListSelectRelatedMixin:
    """``list_select_related`` joins the listing's foreign keys, so its query count is fixed."""

    list_select_related: tuple[str, ...] = ()

    def get_index_view_kwargs(self, **kwargs):
        view_kwargs = super().get_index_view_kwargs(**kwargs)
        if self.list_select_related:
            view_kwargs["queryset"] = self.model._default_manager.select_related(
                *self.list_select_related
            )
        return view_kwargs


class PersonalDataExportMixin:
    """``personal_data_export = True`` on a viewset logs each download of its listing."""

    personal_data_export = False

    def get_index_view_kwargs(self, **kwargs):
        view_kwargs = super().get_index_view_kwargs(**kwargs)
        view_kwargs["personal_data_export"] = self.personal_data_export
        return view_kwargs


class PlatformModelViewSet(PersonalDataExportMixin, ListSelectRelatedMixin, ModelViewSet):
    index_view_class = EscapedExportIndexView


class EscapedExportSnippetIndexView(
    PlainColumnsMixin, SearchOrderingMixin, PersonalDataExportLogMixin, SnippetIndexView
):
    """A snippet listing, escaped and audited as ``EscapedExportIndexView``."""


class PlatformSnippetViewSet(PersonalDataExportMixin, ListSelectRelatedMixin, SnippetViewSet):
    index_view_class = EscapedExportSnippetIndexView


class PermissionMenuItem(MenuItem):
    """An admin menu item shown only to users holding every one of ``permissions``."""

    def __init__(self, *args, permissions: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.permissions = permissions

    def is_shown(self, request):
        return request.user.has_perms(self.permissions)
