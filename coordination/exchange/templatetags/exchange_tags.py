from django import template

from coordination.intel.choices import IndicatorType

register = template.Library()


@register.filter
def indicator_type_label(value):
    """``ipv4`` → "IPv4 address" (the stored code when unknown)."""
    try:
        return IndicatorType(value).label
    except ValueError:
        return value
