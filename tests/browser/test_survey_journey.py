"""Journey 4: a member of staff takes the anonymous staff survey with the keyboard alone.

No mouse, no ``click()`` and no ``fill()``: only Tab, Shift+Tab, Space, Enter, the arrow keys and
typing into the field that has focus, as someone who cannot use a mouse would. Every page is
checked with axe-core, and the focus indicator is checked where it matters most: on the buttons,
the error summary and the controls a person answers with.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from surveys import services
from surveys.models import (
    FreeTextAnswer,
    PendingResponse,
    Question,
    Response,
    SurveyInvitation,
)
from tests.surveys.factories import close_wave, invite, staff_survey_wave

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# GOV.UK Frontend's focus colour ($govuk-focus-colour, #ffdd00): every focus state draws with it.
FOCUS_COLOUR = "rgb(255, 221, 0)"
MAX_TABS = 60

# What has focus, and how its focus indicator is drawn. A GOV.UK radio input is transparent: its
# ring is drawn on its label's ::before, so that is where the indicator is read from.
FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const drawn = el.matches('.govuk-radios__input, .govuk-checkboxes__input') && el.labels.length
    ? getComputedStyle(el.labels[0], '::before')
    : getComputedStyle(el);
  const text = (el.innerText || el.textContent || '').trim().replace(/\\s+/g, ' ');
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: el.getAttribute('name') || '',
    type: el.getAttribute('type') || '',
    value: 'value' in el ? el.value : '',
    checked: !!el.checked,
    href: el.getAttribute('href') || '',
    classes: typeof el.className === 'string' ? el.className : '',
    text: text.slice(0, 120),
    label: el.labels && el.labels.length ? el.labels[0].innerText.trim() : '',
    outlineStyle: drawn.outlineStyle,
    outlineWidth: drawn.outlineWidth,
    outlineColor: drawn.outlineColor,
    boxShadow: drawn.boxShadow,
    backgroundColor: drawn.backgroundColor,
  };
}
"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED_JS)


def describe(element: dict | None) -> str:
    if element is None:
        return "<nothing>"
    name = element["label"] or element["text"] or element["value"]
    return f"<{element['tag']} id={element['id']!r} name={element['name']!r}> {name[:50]!r}"


def tab_to(page, wanted: Callable[[dict], bool], *, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element is the one wanted.

    Fails, listing the path focus took, if it is not reached within MAX_TABS presses: a keyboard
    trap or a control left out of the tab order.
    """
    key = "Shift+Tab" if backwards else "Tab"
    path = []
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        element = focused(page)
        path.append(describe(element))
        if element is not None and wanted(element):
            return element
    raise AssertionError(f"{key} never reached the element wanted; focus went:\n" + "\n".join(path))


def button(text: str) -> Callable[[dict], bool]:
    return lambda element: element["tag"] == "button" and element["text"] == text


def question_input(question: Question) -> Callable[[dict], bool]:
    return lambda element: element["name"] == f"answer-{question.key}"


def assert_focus_visible(element: dict) -> None:
    """The focused element shows a focus indicator drawn in the focus colour (WCAG 2.4.7)."""
    outline = (
        element["outlineStyle"] != "none"
        and float(element["outlineWidth"].removesuffix("px") or 0) > 0
        and FOCUS_COLOUR in element["outlineColor"]
    )
    shadow = element["boxShadow"] != "none" and FOCUS_COLOUR in element["boxShadow"]
    background = FOCUS_COLOUR in element["backgroundColor"]
    assert outline or shadow or background, f"no visible focus indicator on {element}"


def press_and_wait(page, key: str):
    """Press a key that submits a form or follows a link; the response that ends up shown."""
    with page.expect_navigation() as navigation:
        page.keyboard.press(key)
    page.wait_for_load_state("load")
    return navigation.value


def arrow_to(page, value: str, *, key: str = "ArrowDown", limit: int = 25) -> dict:
    """Move through a radio group with an arrow key (which also selects) until ``value``."""
    element = focused(page)
    name = element["name"]
    for _ in range(limit):
        if element["value"] == value:
            break
        page.keyboard.press(key)
        element = focused(page)
        assert element["name"] == name, f"{key} left the radio group: {describe(element)}"
    assert element["value"] == value and element["checked"], describe(element)
    return element


def wait_for_focus_on(page, element_id: str) -> None:
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.id === id", arg=element_id
    )


def error_summary_has_focus(page) -> dict:
    page.wait_for_function(
        "document.activeElement && document.activeElement.matches('.govuk-error-summary')"
    )
    return focused(page)


@pytest.fixture
def wave():
    return staff_survey_wave(
        introduction="We ask every year how fair the council is.\n\nIt takes ten minutes."
    )


@pytest.fixture
def questions(wave) -> dict[str, Question]:
    return {question.key: question for question in wave.questions.all()}


def test_staff_member_completes_the_survey_by_keyboard(browser_for, wave, questions):
    token = invite(wave, email="amira.khan@example.org")
    link = f"/survey/{token}/"
    staff = browser_for("staff member (keyboard only)")
    page = staff.page

    # The emailed link opens page 1, with the promise of anonymity.
    opened = staff.visit(link)
    assert opened.status == 200
    assert page.get_by_text("Page 1 of 2").is_visible()
    assert page.get_by_role("heading", name="Your answers are anonymous").is_visible()
    assert page.get_by_text("We ask every year how fair the council is.").is_visible()

    # Continue too early: the required question is unanswered. The error summary takes focus.
    assert_focus_visible(tab_to(page, button("Continue")))
    refused = press_and_wait(page, "Enter")
    assert refused.status == 200
    summary = error_summary_has_focus(page)
    assert summary["text"].startswith("There is a problem")
    assert_focus_visible(summary)
    assert page.title().startswith("Error: ")
    staff.check()
    staff.screenshot("survey-error-summary")
    assert not Response.objects.filter(wave=wave).exists()

    # From the summary, Tab reaches its link; Enter on it puts focus on the question's first answer.
    likert = questions["equal_opportunity"]
    error_link = tab_to(page, lambda element: element["tag"] == "a")
    assert error_link["href"] == f"#q{likert.pk}"
    assert error_link["text"] == "Select an answer"
    assert_focus_visible(error_link)
    page.keyboard.press("Enter")
    wait_for_focus_on(page, f"q{likert.pk}")

    # The Likert question: from "Strongly agree" down one to "Agree".
    first = focused(page)
    assert first["label"] == "Strongly agree"
    assert_focus_visible(first)
    assert arrow_to(page, "4")["label"] == "Agree"
    # The optional Likert question: Tab into it, Space selects the first point.
    belonging = tab_to(page, question_input(questions["belonging"]))
    assert belonging["label"] == "Strongly agree" and not belonging["checked"]
    page.keyboard.press("Space")
    assert focused(page)["checked"]
    # The single choice: Tab into it, arrow to "People".
    tab_to(page, question_input(questions["directorate"]))
    assert arrow_to(page, "people")["label"] == "People"
    continue_button = tab_to(page, button("Continue"))
    assert_focus_visible(continue_button)
    # Shift+Tab goes back into the group, to the answer chosen; Tab returns to the button.
    chosen = tab_to(page, question_input(questions["directorate"]), backwards=True)
    assert chosen["value"] == "people" and chosen["checked"]
    assert_focus_visible(chosen)
    tab_to(page, button("Continue"))
    on_page_2 = press_and_wait(page, "Enter")
    assert on_page_2.status == 200
    assert page.url.endswith(f"/survey/{token}/page/2/")
    assert page.get_by_text("Page 2 of 2").is_visible()
    staff.check()

    # Free text: typed into the focused field.
    improve = tab_to(page, question_input(questions["improve"]))
    assert improve["tag"] == "textarea"
    assert_focus_visible(improve)
    page.keyboard.type("More mentoring for new managers")
    # Ethnicity: the 19 ONS groups and "Prefer not to say" are one radio group for the keyboard.
    ethnicity = tab_to(page, question_input(questions["ethnicity"]))
    assert ethnicity["value"] == "white_british"
    assert_focus_visible(ethnicity)
    assert arrow_to(page, "asian_indian")["label"] == "Indian"
    staff.screenshot("survey-page-2-keyboard")

    # Back to page 1 (the secondary button after Continue) and forward again: nothing is lost.
    assert_focus_visible(tab_to(page, button("Back")))
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/survey/{token}/page/1/")
    staff.check()
    kept = tab_to(page, question_input(likert))
    assert kept["value"] == "4" and kept["checked"]
    tab_to(page, button("Continue"))
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/survey/{token}/page/2/")
    staff.check()
    typed = tab_to(page, question_input(questions["improve"]))
    assert typed["value"] == "More mentoring for new managers"
    kept = tab_to(page, question_input(questions["ethnicity"]))
    assert kept["value"] == "asian_indian" and kept["checked"]

    assert_focus_visible(tab_to(page, button("Continue")))
    to_check = press_and_wait(page, "Enter")
    assert to_check.status == 200
    assert page.url.endswith(f"/survey/{token}/check/")
    assert page.get_by_role("heading", name="Check your answers before you submit").is_visible()
    main = page.get_by_role("main")
    for shown in ("Agree", "Strongly agree", "People", "Indian", "More mentoring for new managers"):
        assert main.get_by_text(shown, exact=True).first.is_visible(), shown
    staff.check()
    staff.screenshot("survey-check-answers")
    assert not Response.objects.filter(wave=wave).exists()  # nothing stored before Submit

    submit = tab_to(page, button("Submit"))
    assert_focus_visible(submit)
    thanks = press_and_wait(page, "Enter")
    assert thanks.status == 200
    assert page.url.endswith("/survey/thank-you/")
    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert page.get_by_text("Your answers have been saved anonymously").is_visible()
    staff.check()
    staff.screenshot("survey-thank-you")

    # Exactly one anonymous response, waiting sealed for nine more before it enters the
    # results (released below, as the daily command releases a closed wave).
    assert not Response.objects.filter(wave=wave).exists()
    assert PendingResponse.objects.filter(wave=wave).count() == 1
    invitation = SurveyInvitation.objects.get(wave=wave)
    assert invitation.used is True
    assert invitation.email == ""

    # The same link again: a clear page saying it has been used, and 410 Gone.
    again = staff.visit(link, check=False)
    assert again.status == 410
    assert page.title().startswith("This survey link has already been used")
    assert page.get_by_role("heading", name="This survey link has already been used").is_visible()
    assert page.get_by_text("Each survey link works once").is_visible()
    assert not page.locator("form[method=post]").count()
    # Chrome logs a document's own error status to the console; that 410 is the intended answer
    # (asserted above), so only that exact message is set aside: any other error still fails.
    gone = "Failed to load resource: the server responded with a status of 410 (Gone)"
    assert gone in staff.console_errors
    staff.console_errors.remove(gone)
    staff.check()
    staff.screenshot("survey-link-used")
    assert PendingResponse.objects.filter(wave=wave).count() == 1

    services.responses_release(wave=close_wave(wave))
    response = Response.objects.get(wave=wave)
    assert set(response.answers.values_list("question__key", "value")) == {
        ("equal_opportunity", "4"),
        ("belonging", "5"),
        ("directorate", "people"),
        ("ethnicity", "asian_indian"),
    }
    assert list(
        FreeTextAnswer.objects.filter(question__wave=wave).values_list("question__key", "text")
    ) == [("improve", "More mentoring for new managers")]
    assert not PendingResponse.objects.exists()


def test_unanswered_ethnicity_error_leads_the_keyboard_to_the_question(
    browser_for, wave, questions
):
    token = invite(wave)
    staff = browser_for("staff member (keyboard only)")
    page = staff.page
    staff.visit(f"/survey/{token}/")
    tab_to(page, question_input(questions["equal_opportunity"]))
    page.keyboard.press("Space")
    tab_to(page, button("Continue"))
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/survey/{token}/page/2/")
    staff.check()

    # Continue with the required ethnicity question unanswered.
    tab_to(page, button("Continue"))
    press_and_wait(page, "Enter")
    summary = error_summary_has_focus(page)
    assert_focus_visible(summary)
    assert page.title().startswith("Error: ")
    ethnicity = questions["ethnicity"]
    error_id = f"q{ethnicity.pk}-error"
    message = " ".join(page.locator(f"#{error_id}").text_content().split())
    assert message == "Error: Select an answer"  # "Error:" is visually hidden, for screen readers
    described_by = page.locator(".govuk-form-group--error fieldset").get_attribute(
        "aria-describedby"
    )
    assert error_id in described_by.split()
    staff.check()

    error_link = tab_to(page, lambda element: element["tag"] == "a")
    assert error_link["href"] == f"#q{ethnicity.pk}"
    page.keyboard.press("Enter")
    wait_for_focus_on(page, f"q{ethnicity.pk}")
    assert focused(page)["value"] == "white_british"
    # "Prefer not to say" is last: from the first group, ArrowUp wraps round to it.
    page.keyboard.press("ArrowUp")
    chosen = focused(page)
    assert chosen["value"] == "prefer_not_to_say" and chosen["checked"], describe(chosen)
    assert_focus_visible(chosen)

    tab_to(page, button("Continue"))
    press_and_wait(page, "Enter")
    assert page.url.endswith(f"/survey/{token}/check/")
    main = page.get_by_role("main")
    assert main.get_by_text("Prefer not to say", exact=True).is_visible()
    assert "Not answered" in main.inner_text()  # the optional free text was left
    staff.check()
