"""Template helpers shared by every paginated list."""

from django import template

register = template.Library()


@register.filter
def page_links(page):
    """Page numbers around the current page, with ellipses (``Paginator.ELLIPSIS``)."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
