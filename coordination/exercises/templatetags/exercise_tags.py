from django import template

from coordination.exercises.report import duration_label

register = template.Library()


@register.filter
def duration(value):
    """A timedelta as "1 h 05 min", "12 min", "40 s"; a dash when there is none."""
    return duration_label(value)
