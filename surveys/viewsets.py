"""The surveys' admin viewsets: surveys, waves, questions and measures (registered in
wagtail_hooks.py)."""

from django_filters import ModelChoiceFilter

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem as ListMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import CreateView, DeleteView, EditView
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.admin.widgets import HeaderButton

from cms.viewsets import EscapedExportIndexView, PlatformModelViewSet
from surveys import admin_views, selectors
from surveys.admin_forms import MeasureAdminForm, QuestionAdminForm, WaveAdminForm
from surveys.models import (
    AggregatedCount,
    Answer,
    FreeTextAnswer,
    Measure,
    PendingResponse,
    Question,
    Response,
    Survey,
    Wave,
)

# Other survey admin hooks (imports, exports, analysis) add items to the "Surveys" menu with
# ``@hooks.register(SURVEYS_MENU_HOOK)``.
SURVEYS_MENU_HOOK = "register_surveys_menu_item"


class RefuseDeleteWithResultsMixin:
    """Results are never deleted from the admin: what has answers or counts stays."""

    refusal = "It has results, which are kept."

    def has_results(self) -> bool:
        raise NotImplementedError

    def get_refusal_url(self) -> str:
        return reverse(self.edit_url_name, args=[self.object.pk])

    def _refuse(self):
        messages.error(self.request, f"'{self.object}' cannot be deleted. {self.refusal}")
        return redirect(self.get_refusal_url())

    # Permission is checked (in dispatch) before either of these runs.
    def get(self, request, *args, **kwargs):
        if self.has_results():
            return self._refuse()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.has_results():
            return self._refuse()
        return super().post(request, *args, **kwargs)


# --- Surveys ----------------------------------------------------------------------------------


class SurveyDeleteView(RefuseDeleteWithResultsMixin, DeleteView):
    refusal = "Some of its waves have results, which are kept."

    def has_results(self) -> bool:
        waves = Wave.objects.filter(survey=self.object)
        return (
            Response.objects.filter(wave__in=waves).exists()
            or PendingResponse.objects.filter(wave__in=waves).exists()
            or AggregatedCount.objects.filter(wave__in=waves).exists()
        )


class SurveyIndexView(EscapedExportIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().annotate(wave_count=Count("waves"))

    def get_list_more_buttons(self, instance):
        return [
            ListMenuItem(
                "Waves",
                url=reverse("surveys_wave:index") + f"?survey={instance.pk}",
                icon_name="date",
                priority=5,
            ),
            *super().get_list_more_buttons(instance),
        ]


class SurveyViewSet(PlatformModelViewSet):
    model = Survey
    icon = "form"
    menu_label = "Surveys"
    index_view_class = SurveyIndexView
    delete_view_class = SurveyDeleteView
    form_fields = ["name", "slug", "kind", "description"]
    list_display = ["name", "kind", Column("wave_count", label="Waves")]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False


# --- Waves ------------------------------------------------------------------------------------


class WaveIndexView(EscapedExportIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().annotate(question_count=Count("questions"))

    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perms(["surveys.add_wave", "surveys.add_question"]):
            buttons.append(
                HeaderButton(
                    "Create this year's board evaluation",
                    url=reverse("surveys_board_evaluation_new"),
                    icon_name="group",
                )
            )
        return buttons

    def get_list_more_buttons(self, instance):
        buttons = [
            ListMenuItem(
                "Questions",
                url=reverse("surveys_wave_questions", args=[instance.pk]),
                icon_name="list-ul",
                priority=5,
            )
        ]
        if self.request.user.has_perm("surveys.view_invitationbatch"):
            buttons.append(
                ListMenuItem(
                    "Invitations",
                    url=reverse("surveys_wave_invitations", args=[instance.pk]),
                    icon_name="mail",
                    priority=6,
                )
            )
        return [*buttons, *super().get_list_more_buttons(instance)]


class WaveEditView(EditView):
    """The wave's settings, with its questions listed beneath the form."""

    template_name = "surveys/admin/wave_edit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        questions = list(self.object.questions.order_by("page", "order", "pk"))
        context.update(
            {
                "questions": questions,
                "questions_url": reverse("surveys_wave_questions", args=[self.object.pk]),
                "invitations_url": reverse("surveys_wave_invitations", args=[self.object.pk])
                if self.request.user.has_perm("surveys.view_invitationbatch")
                else None,
                "copy_from": None
                if questions
                else admin_views.previous_wave_with_questions(self.object),
            }
        )
        return context

    def get_success_url(self):
        return reverse("surveys_wave_questions", args=[self.object.pk])


class WaveCreateView(CreateView):
    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("survey", "").isdigit():
            initial["survey"] = int(self.request.GET["survey"])
        return initial

    def get_success_url(self):
        # Straight on to the new wave's questions (and its copy-from-last-wave button).
        return reverse("surveys_wave_questions", args=[self.object.pk])


class WaveDeleteView(RefuseDeleteWithResultsMixin, DeleteView):
    refusal = (
        "It has responses or imported results, which are kept. Imported counts come out by "
        "removing or replacing their import (Import and download results, Imports of counts), "
        "which also deletes a wave that import created once nothing else is in it."
    )

    def has_results(self) -> bool:
        return (
            Response.objects.filter(wave=self.object).exists()
            or PendingResponse.objects.filter(wave=self.object).exists()
            or AggregatedCount.objects.filter(wave=self.object).exists()
        )


class WaveViewSet(PlatformModelViewSet):
    model = Wave
    icon = "date"
    menu_label = "Waves"
    index_view_class = WaveIndexView
    add_view_class = WaveCreateView
    edit_view_class = WaveEditView
    delete_view_class = WaveDeleteView
    panels = [
        FieldPanel("survey"),
        FieldPanel("year"),
        FieldRowPanel([FieldPanel("opens_on"), FieldPanel("closes_on")]),
        FieldPanel("introduction"),
        FieldPanel("break_in_series"),
    ]
    edit_handler = ObjectList(panels, base_form_class=WaveAdminForm)
    list_display = [
        "__str__",
        "year",
        "opens_on",
        "closes_on",
        Column("status", label="Status", accessor=admin_views.wave_status),
        Column("question_count", label="Questions"),
    ]
    list_filter = ["survey", "year"]
    copy_view_enabled = False
    inspect_view_enabled = False
    list_select_related = ("survey",)


# --- Questions --------------------------------------------------------------------------------


class QuestionCreateView(CreateView):
    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("wave", "").isdigit():
            initial["wave"] = int(self.request.GET["wave"])
        return initial

    def get_success_url(self):
        return reverse("surveys_wave_questions", args=[self.object.wave_id])


class QuestionEditView(EditView):
    def get_success_url(self):
        return reverse("surveys_wave_questions", args=[self.object.wave_id])


class QuestionDeleteView(RefuseDeleteWithResultsMixin, DeleteView):
    refusal = "It already has answers, which are kept."

    def has_results(self) -> bool:
        return (
            Answer.objects.filter(question=self.object).exists()
            or FreeTextAnswer.objects.filter(question=self.object).exists()
            or selectors.pending_answers(question=self.object) is not None
        )

    def get_refusal_url(self) -> str:
        return reverse("surveys_wave_questions", args=[self.object.wave_id])

    def get_success_url(self):
        return reverse("surveys_wave_questions", args=[self.object.wave_id])


class QuestionFilterSet(WagtailFilterSet):
    # Each wave's label names its survey: fetch them together.
    wave = ModelChoiceFilter(queryset=Wave.objects.select_related("survey"))

    class Meta:
        model = Question
        fields = ["wave__survey", "wave", "kind"]


class QuestionViewSet(PlatformModelViewSet):
    model = Question
    icon = "list-ul"
    menu_label = "Questions"
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    delete_view_class = QuestionDeleteView
    panels = [
        FieldPanel("wave"),
        FieldRowPanel([FieldPanel("key"), FieldPanel("kind")]),
        FieldPanel("text"),
        FieldPanel("help_text"),
        FieldPanel("required"),
        FieldPanel("options"),
        FieldRowPanel([FieldPanel("page"), FieldPanel("order")]),
    ]
    edit_handler = ObjectList(panels, base_form_class=QuestionAdminForm)
    list_display = ["text", "key", "wave", "kind", "required", "page", "order"]
    filterset_class = QuestionFilterSet
    search_fields = ["key", "text"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False
    list_select_related = ("wave__survey",)


# --- Measures ---------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


class ReportLinkColumn(Column):
    """A link to the measure's dashboard, named for screen readers."""

    cell_template_name = "surveys/admin/measure_report_cell.html"


class MeasureIndexView(EscapedExportIndexView):
    def get_list_more_buttons(self, instance):
        return [
            ListMenuItem(
                "View report",
                url=reverse("surveys_measure_report", args=[instance.pk]),
                icon_name="table",
                priority=5,
            ),
            *super().get_list_more_buttons(instance),
        ]


class MeasureEditView(EditView):
    @property
    def header_buttons(self):
        return [
            HeaderButton(
                "View report",
                url=reverse("surveys_measure_report", args=[self.object.pk]),
                icon_name="table",
            )
        ]


class MeasureViewSet(PlatformModelViewSet):
    model = Measure
    icon = "table"
    menu_label = "Measures"
    index_view_class = MeasureIndexView
    edit_view_class = MeasureEditView
    panels = [
        FieldPanel("name"),
        FieldPanel("key"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("survey"), FieldPanel("question_key")]),
        FieldPanel("positive_values"),
        FieldPanel("positive_choice_values"),
        FieldPanel("groups"),
        FieldRowPanel([FieldPanel("direction"), FieldPanel("baseline")]),
        FieldPanel("comparison_group"),
        FieldPanel("adjustment"),
        FieldPanel("priority"),
    ]
    edit_handler = ObjectList(panels, base_form_class=MeasureAdminForm)
    list_display = [
        "name",
        "key",
        "survey",
        "question_key",
        Column("priority", label="Priority", accessor=lambda measure: _yes_no(measure.priority)),
        ReportLinkColumn("report", label="Report"),
    ]
    list_filter = ["survey", "priority"]
    search_fields = ["name", "key", "question_key"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False
    list_select_related = ("survey",)


class SurveysViewSetGroup(ModelViewSetGroup):
    menu_label = "Surveys"
    menu_icon = "form"
    menu_order = 300
    submenu_hook = SURVEYS_MENU_HOOK
    items = (
        SurveyViewSet("surveys_survey"),
        WaveViewSet("surveys_wave"),
        QuestionViewSet("surveys_question"),
        MeasureViewSet("surveys_measure"),
    )
