"""The repeated parts of the busiest pages, drawn through Jinja2 templates.

Incident list rows (25 a page), timeline entries (20 on an incident's page), the
dashboard's tables and the invite form's agency options: ``templates/jinja2/incidents/``.
What the rows of one page share (badges, country labels, the detail URL's parts) is
prepared here once and handed to the template (bench/README.md).
"""

from functools import cache
from urllib.parse import quote

from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from accounts.choices import country_name, stored_country_codes
from incidents.choices import TimelineKind
from incidents.events import entry_excerpt, entry_html
from incidents.templatetags.concord_tags import (
    LocalTimes,
    category_label,
    country,
    role_badge,
    severity_badge,
    status_badge,
    tlp_label,
)

_REFERENCE_SLOT = "CC-0000-000000"


class _Memo(dict):
    """``memo[key]`` draws ``draw(key)`` once per page (labels depend on the language)."""

    def __init__(self, draw):
        super().__init__()
        self.draw = draw

    def __missing__(self, key):
        # str(): a lazy label is translated once here, not at each use; safe HTML stays safe.
        value = self[key] = str(self.draw(key))
        return value


@cache
def _detail_url_parts():
    head, tail = reverse("incidents:detail", kwargs={"reference": _REFERENCE_SLOT}).split(
        _REFERENCE_SLOT
    )
    return head, tail


def detail_url(reference):
    head, tail = _detail_url_parts()
    return f"{head}{quote(reference)}{tail}"


_LABEL_DRAWERS = {
    "status": status_badge,
    "severity": severity_badge,
    "tlp": tlp_label,
    "place": country,
    "category": category_label,
    "role": role_badge,
    "kind": None,  # _kind_label, defined below
}
# The labels of each language, drawn once per process: they are the same on every page.
_labels_of_language = {}


def _labels(language):
    labels = _labels_of_language.get(language)
    if labels is None:
        labels = _labels_of_language[language] = {
            name: _Memo(draw or _kind_label) for name, draw in _LABEL_DRAWERS.items()
        }
    return labels


class PageLabels:
    """What the rows of one page share: labels drawn once (per language and process),
    times in the reader's zone."""

    def __init__(self):
        self.clock = LocalTimes()
        self.language = translation.get_language()
        self.zone = timezone.get_current_timezone_name()
        labels = _labels(self.language)
        self.status, self.severity = labels["status"], labels["severity"]
        self.tlp, self.place = labels["tlp"], labels["place"]
        self.category, self.role = labels["category"], labels["role"]
        self.kind = labels["kind"]

    def country_of(self, agency):
        return self.place[stored_country_codes(agency, "country")]

    def html(self, entry):
        """A timeline entry's HTML in the reader's language (``incidents.events``)."""
        return entry_html(entry, language=self.language, zone=self.zone)

    def excerpt(self, entry):
        return entry_excerpt(entry, language=self.language, zone=self.zone)


def _kind_label(value):
    return TimelineKind(value).label if value in TimelineKind.values else value


def render_fragment(template_name, **context) -> SafeString:
    """A Jinja2 fragment (autoescaped) as safe HTML to insert into a Django template."""
    template = engines["jinja2"].env.get_template(template_name)
    return mark_safe(template.render(context))  # autoescaped by the Jinja2 engine


def incident_list_rows(incidents) -> SafeString:
    """The ``<tr>`` of each incident, in the active language and time zone."""
    return render_fragment(
        "incidents/_incident_rows.html",
        incidents=incidents,
        labels=PageLabels(),
        detail_url=detail_url,
    )


def my_open_rows(incidents) -> SafeString:
    """The ``<tr>`` of each incident in the dashboard's "my agency's open incidents".

    ``incidents`` carry ``my_role`` (the viewer's agency's participation role).
    """
    return render_fragment(
        "incidents/_my_open_rows.html",
        incidents=incidents,
        labels=PageLabels(),
        detail_url=detail_url,
    )


def activity_items(entries) -> SafeString:
    """The ``<li>`` of each entry of the dashboard's "latest activity".

    ``entries`` come with their incident and author agency; each shows its ``excerpt``
    (plain text), so the page never holds a long entry's whole HTML.
    """
    return render_fragment(
        "incidents/_activity_items.html",
        entries=entries,
        labels=PageLabels(),
        detail_url=detail_url,
    )


def agency_options(agencies, *, one_country, selected="") -> SafeString:
    """``<option>``s of the invite form's agency select.

    ``one_country``: the agencies of the country picked (htmx answer to the country
    select); otherwise every invitable agency, in ``<optgroup>``s by country name in the
    active language, with ``selected`` (an agency id) marked.
    """
    groups = {}
    if not one_country:
        for agency in agencies:
            name = country_name(stored_country_codes(agency, "country"))
            groups.setdefault(name, []).append(agency)
    return render_fragment(
        "incidents/_agency_options.html",
        agencies=agencies,
        one_country=one_country,
        groups=sorted(groups.items()),
        selected=selected,
    )


def timeline_entries(entries, *, incident, may_contribute) -> SafeString:
    """The ``<li>`` of each timeline entry on an incident's page (20 a page).

    ``entries`` come from ``incidents.views._timeline_entries``: author agency selected,
    audience and the reader's ``visible_corrections`` prefetched. ``body_html`` was
    sanitised when the entry was written and is inserted as it is.
    """
    return render_fragment(
        "incidents/_timeline_entries.html",
        entries=entries,
        incident=incident,
        incident_url=incident.get_absolute_url(),
        may_contribute=may_contribute,
        labels=PageLabels(),
    )
