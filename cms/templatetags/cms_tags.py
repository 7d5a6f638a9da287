from django import template

from cms.platform.money import format_pounds

register = template.Library()


@register.filter
def in_section(page, section) -> bool:
    """True when ``page`` is ``section`` or below it in the page tree."""
    if page is None or section is None or not hasattr(page, "path"):
        return False
    return page.path.startswith(section.path)


@register.filter
def pounds(value) -> str:
    """``{{ claim.amount|pounds }}``: "£1,234.50" (``cms.platform.money``); empty stays empty."""
    if value is None or value == "":
        return ""
    return format_pounds(value)
