from django import template

from coordination.intel.choices import IndicatorType
from coordination.intel.warninglists import warning_lists

register = template.Library()


@register.filter
def indicator_type_label(value):
    """``ipv4`` → "IPv4 address" (the stored code when unknown)."""
    try:
        return IndicatorType(value).label
    except ValueError:
        return value


@register.filter
def warning_list_names(item):
    """The MISP warning lists an imported ``{"type", "value"}`` is on, joined for reading."""
    return "; ".join(warning_lists(item["type"], item["value"]))
