"""Template tags and filters of the incident pages: labels, badges, times with their zone."""

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.choices import country_name
from incidents.choices import TLP, Category, ParticipationRole, Severity, Status

register = template.Library()


@register.simple_tag
def form_field(field):
    """A form field with its label, help text and errors (``templates/jinja2/forms/field.html``):
    drawn by Jinja2, about a third of the cost of a Django template include per field."""
    from incidents.rendering import render_fragment

    return render_fragment("forms/field.html", field=field)


# FIRST's definitions of TLP 2.0, shown on the incident banner.
TLP_MEANING = {
    TLP.CLEAR: _("Recipients can spread this to the world; there is no limit on disclosure."),
    TLP.GREEN: _("Limited disclosure: recipients can spread this within their community."),
    TLP.AMBER: _(
        "Limited disclosure: recipients can share this on a need-to-know basis within their "
        "organisation and its clients."
    ),
    TLP.AMBER_STRICT: _("Limited disclosure: restricted to the recipient's organisation only."),
    TLP.RED: _("For the eyes and ears of individual recipients only; no further disclosure."),
}


def _label(choices, value):
    try:
        return choices(value).label
    except ValueError:
        return value


@register.simple_tag
def tlp_label(value):
    """``<span class="tlp tlp--amber">TLP:AMBER</span>`` in FIRST colours."""
    return format_html('<span class="tlp tlp--{}">{}</span>', value, _label(TLP, value))


@register.filter
def category_label(value):
    # get_category_display() hashes every choice's lazy label on each call: once per row.
    return _label(Category, value)


@register.filter
def tlp_meaning(value):
    return TLP_MEANING.get(value, "")


@register.simple_tag
def status_badge(value):
    return format_html('<span class="badge badge--{}">{}</span>', value, _label(Status, value))


@register.simple_tag
def severity_badge(value):
    return format_html('<span class="badge badge--{}">{}</span>', value, _label(Severity, value))


@register.simple_tag
def role_badge(value):
    return format_html(
        '<span class="badge badge--role badge--role-{}">{}</span>',
        value,
        _label(ParticipationRole, value),
    )


@register.filter
def country(value):
    """A country as a compact code label with its name on hover: ``<abbr>DE</abbr>``.

    Codes rather than flag emoji: not every system draws flags (Windows shows letters).
    """
    code = str(getattr(value, "code", value) or "").upper()
    if not code:
        return ""
    name = country_name(code) or getattr(value, "name", None) or code
    return format_html('<abbr class="cc" title="{}">{}</abbr>', name, code)


class LocalTimes:
    """Draws ``<time>`` elements in the active (user's) time zone, with the zone shown.

    ``<time datetime="2026-11-22T05:46:00+00:00" title="Europe/Berlin">2026-11-22 06:46 CET</time>``.
    One instance per page reads the active zone once (``incidents.rendering.PageLabels``).
    """

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.zone_name = escape(timezone.get_current_timezone_name())

    def __call__(self, value):
        if not value:
            return ""
        local = value.astimezone(self.zone)
        return mark_safe(  # the zone names are escaped, the rest is ours
            f'<time class="when" datetime="{value.isoformat()}" title="{self.zone_name}">'
            f"{local.strftime('%Y-%m-%d %H:%M')} {escape(local.tzname())}</time>"
        )


@register.filter
def when(value):
    """A time in the active (user's) time zone, with the zone shown (``LocalTimes``)."""
    return LocalTimes()(value)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with ``changes`` applied (``None``/"" removes a key).

    Pagination and sort links keep the active filters this way.
    """
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("_sort_header.html", takes_context=True)
def sort_header(context, field, label):
    """A sortable column's header cell: its link toggles the order; the cell carries aria-sort."""
    request = context["request"]
    current = request.GET.get("sort") or "-updated"  # the list's default order
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("after", None)
    if current == field:
        params["sort"] = f"-{field}"
        direction = "ascending"
    elif current == f"-{field}":
        params["sort"] = field
        direction = "descending"
    else:
        params["sort"] = field
        direction = None
    href = "?" + urlencode(sorted(params.lists()), doseq=True)
    return {"href": href, "label": label, "direction": direction}
