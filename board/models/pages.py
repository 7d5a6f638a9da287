from django.db import models
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.models import BasePage

SECTION_FEATURES = ["h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class BoardIndexPage(BasePage):
    """The board's home: who it is, what it does, links to its Terms of Reference and results."""

    intro = models.TextField(max_length=600, blank=True)
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*BasePage.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*BasePage.search_fields, index.SearchField("intro")]
    subpage_types = [
        "board.TermsOfReferencePage",
        "board.YouSaidWeDidPage",
        "board.MeetingNotesPage",
    ]
    template = "pages/board/board_index_page.html"

    class Meta:
        verbose_name = "board page"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["sections"] = self.get_children().live().public().specific()
        return context


class TermsOfReferencePage(BasePage):
    """The board's Terms of Reference, with every section the action plan requires."""

    agreed_on = models.DateField(
        help_text="The date the board and the council agreed this version."
    )
    purpose = RichTextField(features=SECTION_FEATURES)
    membership = RichTextField(features=SECTION_FEATURES)
    decision_rights = RichTextField(features=SECTION_FEATURES)
    confidentiality = RichTextField(features=SECTION_FEATURES)
    escalation_routes = RichTextField(features=SECTION_FEATURES)
    accessibility = RichTextField(features=SECTION_FEATURES)
    remuneration_and_expenses = RichTextField(features=SECTION_FEATURES)
    safeguarding = RichTextField(features=SECTION_FEATURES)
    trauma_informed_practice = RichTextField("trauma-informed practice", features=SECTION_FEATURES)
    translation_and_interpretation = RichTextField(features=SECTION_FEATURES)

    GOVERNANCE_SECTIONS = (
        "purpose",
        "membership",
        "decision_rights",
        "confidentiality",
        "escalation_routes",
    )
    ENGAGEMENT_SECTIONS = (
        "accessibility",
        "remuneration_and_expenses",
        "safeguarding",
        "trauma_informed_practice",
        "translation_and_interpretation",
    )

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("agreed_on"),
        MultiFieldPanel([FieldPanel(name) for name in GOVERNANCE_SECTIONS], heading="The board"),
        MultiFieldPanel(
            [FieldPanel(name) for name in ENGAGEMENT_SECTIONS], heading="How we work with members"
        ),
    ]
    search_fields = [
        *BasePage.search_fields,
        *[index.SearchField(name) for name in GOVERNANCE_SECTIONS + ENGAGEMENT_SECTIONS],
    ]
    parent_page_types = ["board.BoardIndexPage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1
    template = "pages/board/terms_of_reference_page.html"

    class Meta:
        verbose_name = "Terms of Reference"
        verbose_name_plural = "Terms of Reference"

    def sections(self, names):
        return [
            {
                "id": name.replace("_", "-"),
                "title": self._meta.get_field(name).verbose_name,
                "text": getattr(self, name),
            }
            for name in names
        ]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["governance_sections"] = self.sections(self.GOVERNANCE_SECTIONS)
        context["engagement_sections"] = self.sections(self.ENGAGEMENT_SECTIONS)
        return context


class YouSaidWeDidPage(RoutablePageMixin, BasePage):
    """Every published council response to the board, with the changes it led to.

    Also served as open data at ``open-data/csv/`` and ``open-data/json/`` below the page.
    """

    intro = models.TextField(max_length=600, blank=True)
    per_page = models.PositiveSmallIntegerField(default=20)

    content_panels = [
        *BasePage.content_panels,
        FieldPanel("intro"),
        HelpPanel(
            "Recommendations appear here once their council response is approved and published."
        ),
    ]
    settings_panels = [*BasePage.settings_panels, FieldPanel("per_page")]
    parent_page_types = ["board.BoardIndexPage"]
    subpage_types: list[str] = []
    max_count = 1
    template = "pages/board/you_said_we_did_page.html"

    class Meta:
        verbose_name = "You said, we did page"

    @path("")
    def listing(self, request):
        from board import selectors
        from board.forms import YouSaidWeDidFilterForm

        form = YouSaidWeDidFilterForm(request.GET or None)
        filters = form.cleaned_filters() if form.is_valid() else {}
        page_obj = selectors.published_recommendations_page(
            filters=filters, page_number=request.GET.get("page"), per_page=self.per_page
        )
        site_settings = self._board_settings(request)
        year = timezone.localdate().year
        context = {
            "filter_form": form,
            "page_obj": page_obj,
            "recommendations": page_obj.object_list,
            "changes_by_year": selectors.changes_by_year(years=5, this_year=year),
            "changes_target": site_settings.changes_target_per_year,
            "this_year": year,
            "query_string": form.query_string() if form.is_valid() else "",
        }
        return self.render(request, context_overrides=context)

    @path("<str:reference>/", name="detail")
    def detail(self, request, reference):
        from board import selectors

        recommendation = selectors.published_recommendation(reference=reference)
        if recommendation is None:
            raise Http404("No published response with that reference.")
        return render(
            request,
            "pages/board/recommendation_detail.html",
            {"page": self, "recommendation": recommendation, "self": self},
        )

    @path("open-data/csv/", name="csv")
    def data_csv(self, request):
        from board import exports

        response = HttpResponse(
            exports.you_said_we_did_csv(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="you-said-we-did.csv"'
        return response

    @path("open-data/json/", name="json")
    def data_json(self, request):
        from board import exports

        return JsonResponse(
            {"recommendations": exports.you_said_we_did_rows()},
            json_dumps_params={"ensure_ascii": False},
        )

    def _board_settings(self, request):
        from board.models import BoardSettings

        return BoardSettings.for_request(request)


class MeetingNotesPage(BasePage):
    """Approved notes of board meetings."""

    intro = models.TextField(max_length=600, blank=True)

    content_panels = [*BasePage.content_panels, FieldPanel("intro")]
    parent_page_types = ["board.BoardIndexPage"]
    subpage_types: list[str] = []
    max_count = 1
    template = "pages/board/meeting_notes_page.html"

    class Meta:
        verbose_name = "meeting notes page"

    def get_context(self, request, *args, **kwargs):
        from django.core.paginator import Paginator

        from board import selectors

        context = super().get_context(request, *args, **kwargs)
        paginator = Paginator(selectors.meetings_with_published_notes(), 10)
        context["page_obj"] = paginator.get_page(request.GET.get("page"))
        return context
