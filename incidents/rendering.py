"""The repeated parts of the busiest pages, drawn in Python.

Incident list rows (25 a page), timeline entries (20 on an incident's page), the
dashboard's tables and the invite form's agency options. Through the template engine an
incident row cost about 0.8 ms (variable lookups, filters, tag calls, autoescaping), the
largest share of the list page. Here the few distinct badges and country labels of a
page are drawn once, through the same helpers as the template tags, and each row is one
string with its free text escaped: about 20 µs a row.
"""

from functools import cache
from urllib.parse import quote

from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from accounts.choices import country_name, stored_country_codes
from incidents.choices import TimelineKind
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
        value = self[key] = str(self.draw(key))
        return value


@cache
def _detail_url_parts():
    head, tail = reverse("incidents:detail", kwargs={"reference": _REFERENCE_SLOT}).split(
        _REFERENCE_SLOT
    )
    return head, tail


class _IncidentCells:
    """What the incident tables of one page share: labels drawn once, links, times."""

    def __init__(self):
        self.head, self.tail = _detail_url_parts()
        self.clock = LocalTimes()
        self.status, self.severity = _Memo(status_badge), _Memo(severity_badge)
        self.tlp, self.place = _Memo(tlp_label), _Memo(country)
        self.exercise_badge = str(
            format_html(' <span class="badge badge--exercise">{}</span>', gettext("Exercise"))
        )

    def url(self, incident):
        return escape(f"{self.head}{quote(incident.reference)}{self.tail}")

    def exercise(self, incident):
        return self.exercise_badge if incident.is_exercise else ""

    def lead(self, incident):
        """``<abbr>DE</abbr> BKA-CC``: the lead agency's country and short name."""
        lead = incident.lead_agency
        return f"{self.place[stored_country_codes(lead, 'country')]} {escape(lead.short_name)}"


def incident_list_rows(incidents) -> SafeString:
    """The ``<tr>`` of each incident, in the active language and time zone."""
    cells = _IncidentCells()
    category = _Memo(category_label)
    rows = []
    for incident in incidents:
        url = cells.url(incident)
        subtitle = escape(category[incident.category])
        codes = stored_country_codes(incident, "affected_countries")
        if codes:
            subtitle += " · " + " ".join(cells.place[code] for code in codes)
        rows.append(
            "<tr>"
            f'<td class="ref"><a href="{url}" hx-boost="false">{escape(incident.reference)}</a></td>'
            f'<td><a class="incident-title" href="{url}" hx-boost="false">{escape(incident.title)}</a>'
            f"{cells.exercise(incident)}"
            f'<div class="small muted">{subtitle}</div></td>'
            f"<td>{cells.status[incident.status]}</td><td>{cells.severity[incident.severity]}</td>"
            f"<td>{cells.tlp[incident.tlp]}</td>"
            f'<td><span title="{escape(incident.lead_agency.name)}">{cells.lead(incident)}</span></td>'
            f'<td class="small nowrap">{cells.clock(incident.detected_at) or "—"}</td>'
            f'<td class="small nowrap">{cells.clock(incident.updated_at)}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # every free-text value above is escaped


def agency_options(agencies, *, one_country, selected="") -> SafeString:
    """``<option>``s of the invite form's agency select.

    ``one_country``: the agencies of the country picked (htmx answer to the country
    select); otherwise every invitable agency, in ``<optgroup>``s by country name in the
    active language, with ``selected`` (an agency id) marked. About 200 agencies on a
    large installation: drawn here rather than through 200 template loops.
    """
    options = [format_html('<option value="">{}</option>', gettext("Choose an agency…"))]
    if one_country:
        options.extend(
            f'<option value="{agency.pk}">{escape(agency.name)} ({escape(agency.short_name)})</option>'
            for agency in agencies
        )
        if not agencies:
            options.append(
                format_html(
                    '<option value="" disabled>{}</option>',
                    gettext("No agency of this country left to invite"),
                )
            )
        return mark_safe("\n".join(options))  # names escaped above
    groups = {}
    for agency in agencies:
        name = country_name(stored_country_codes(agency, "country"))
        groups.setdefault(name, []).append(agency)
    for name, group in sorted(groups.items()):
        items = "".join(
            f'<option value="{agency.pk}"{" selected" if str(agency.pk) == selected else ""}>'
            f"{escape(agency.name)} ({escape(agency.short_name)})</option>"
            for agency in group
        )
        options.append(f'<optgroup label="{escape(name)}">{items}</optgroup>')
    if not groups:
        options.append(
            format_html(
                '<option value="" disabled>{}</option>', gettext("Every agency already takes part")
            )
        )
    return mark_safe("\n".join(options))  # names escaped above


def timeline_entries(entries, *, incident, may_contribute) -> SafeString:
    """The ``<li>`` of each timeline entry on an incident's page (20 a page).

    ``entries`` come from ``incidents.views._timeline_entries``: author agency selected,
    audience and the reader's ``visible_corrections`` prefetched. ``body_html`` was
    sanitised when the entry was written and is inserted as it is.
    """
    clock = LocalTimes()
    kind, tlp, place = _Memo(_kind_label), _Memo(tlp_label), _Memo(country)
    words = {
        "occurred": escape(gettext("Occurred")),
        "recorded": escape(gettext("recorded")),
        "correction_of": escape(gettext("Correction of")),
        "earlier": escape(gettext("an earlier entry")),
        "for": escape(gettext("For")),
        "corrected_by": escape(gettext("Corrected by")),
        "correct": escape(gettext("Correct this")),
        "concord": escape(gettext("Concord")),
    }
    correct_url = escape(incident.get_absolute_url())
    items = []
    for entry in entries:
        corrections = entry.visible_corrections
        author = escape(entry.author_name) if entry.author_name else words["concord"]
        agency, of_agency = entry.author_agency, ""
        if agency is not None:
            of_agency = (
                f' · <span title="{escape(agency.name)}">'
                f"{place[stored_country_codes(agency, 'country')]} {escape(agency.short_name)}</span>"
            )
        corrected = " timeline__item--corrected" if corrections else ""
        meta = (
            f'<div class="timeline__meta"><span class="badge badge--kind">{escape(kind[entry.kind])}'
            f"</span> {tlp[entry.tlp]} "
            f'<span class="timeline__author"><strong>{author}</strong>{of_agency}</span></div>'
        )
        times = (
            f'<div class="timeline__times"><span>{words["occurred"]} {clock(entry.occurred_at)}'
            f"</span> <span>{words['recorded']} {clock(entry.recorded_at)}</span></div>"
        )
        opening = f'<li class="timeline__item timeline__item--{escape(entry.kind)}{corrected}" '
        parts = [f'{opening}id="entry-{entry.pk}">', meta, times]
        if entry.corrects_id:
            parts.append(
                f'<p class="timeline__correction">{words["correction_of"]} '
                f'<a href="#entry-{entry.corrects_id}">{words["earlier"]}</a></p>'
            )
        if entry.tlp == "red":
            names = "".join(f", {escape(p.display_name)}" for p in entry.audience.all())
            parts.append(
                f'<p class="timeline__audience small">{words["for"]}: '
                f"{escape(entry.author_name)}{names}</p>"
            )
        parts.append(f'<div class="timeline__body">{entry.body_html}</div>')
        for correction in corrections:
            by = escape(correction.author_name)
            if correction.author_agency is not None:
                by += f" ({escape(correction.author_agency.short_name)})"
            parts.append(
                f'<p class="timeline__correction">{words["corrected_by"]} '
                f'<a href="#entry-{correction.pk}">{by}, {clock(correction.recorded_at)}</a></p>'
            )
        if may_contribute:
            parts.append(
                f'<p class="timeline__actions"><a class="small" href="{correct_url}?corrects='
                f'{entry.pk}#add-entry">{words["correct"]}</a></p>'
            )
        parts.append("</li>")
        items.append("\n".join(parts))
    return mark_safe("\n".join(items))  # free text escaped; body_html sanitised on write


def _kind_label(value):
    return TimelineKind(value).label if value in TimelineKind.values else value


def my_open_rows(incidents) -> SafeString:
    """The ``<tr>`` of each incident in the dashboard's "my agency's open incidents".

    ``incidents`` carry ``my_role`` (the viewer's agency's participation role).
    """
    cells = _IncidentCells()
    role = _Memo(role_badge)
    rows = []
    for incident in incidents:
        rows.append(
            "<tr>"
            f'<td class="ref"><a href="{cells.url(incident)}">{escape(incident.reference)}</a></td>'
            f'<td class="title-cell">{escape(incident.title)}{cells.exercise(incident)}'
            f'<div class="small muted">{cells.lead(incident)} · {cells.tlp[incident.tlp]}</div></td>'
            f"<td>{cells.status[incident.status]}</td><td>{cells.severity[incident.severity]}</td>"
            f"<td>{role[incident.my_role]}</td>"
            f'<td class="small when-wraps">{cells.clock(incident.updated_at)}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # every free-text value above is escaped


def activity_items(entries) -> SafeString:
    """The ``<li>`` of each entry of the dashboard's "latest activity".

    ``entries`` come with their incident and author agency; each shows its ``excerpt``
    (plain text, escaped here), so the page never holds a long entry's whole HTML.
    """
    head, tail = _detail_url_parts()
    clock = LocalTimes()
    kind, tlp = _Memo(_kind_label), _Memo(tlp_label)
    concord = escape(gettext("Concord"))
    items = []
    for entry in entries:
        reference = entry.incident.reference
        url = escape(f"{head}{quote(reference)}{tail}#entry-{entry.pk}")
        author = escape(entry.author_name) if entry.author_name else concord
        if entry.author_agency is not None:
            author += f" · {escape(entry.author_agency.short_name)}"
        items.append(
            '<li class="activity__item"><div class="timeline__meta">'
            f'<a class="mono" href="{url}">{escape(reference)}</a> '
            f'<span class="badge badge--kind">{escape(kind[entry.kind])}</span> {tlp[entry.tlp]} '
            f"<span>{author}</span> <span>{clock(entry.recorded_at)}</span></div>"
            f'<div class="activity__text">{escape(entry.excerpt)}</div></li>'
        )
    return mark_safe("\n".join(items))  # every free-text value above is escaped
