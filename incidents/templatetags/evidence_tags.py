"""Template helpers of the evidence pages: status badges, short hashes, file sizes."""

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from incidents.evidence.choices import CustodyAction, EvidenceStatus

register = template.Library()


@register.simple_tag
def evidence_status(value):
    try:
        label = EvidenceStatus(value).label
    except ValueError:
        label = value
    return format_html('<span class="badge ev-status ev-status--{}">{}</span>', value, label)


@register.filter
def short_hash(value, length=12):
    """The first characters of a hash, the whole in the title (for tables)."""
    if not value:
        return ""
    return format_html('<code class="hash" title="{}">{}…</code>', value, value[: int(length)])


@register.filter
def action_label(value):
    try:
        return CustodyAction(value).label
    except ValueError:
        return value


@register.filter
def size(value):
    if value in (None, ""):
        return ""
    return f"{filesizeformat(value)} ({value:,} B)".replace(",", "\u202f")
