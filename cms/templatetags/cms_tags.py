from django import template

register = template.Library()


@register.filter
def in_section(page, section) -> bool:
    """True when ``page`` is ``section`` or below it in the page tree."""
    if page is None or section is None or not hasattr(page, "path"):
        return False
    return page.path.startswith(section.path)
