"""The case report: an incident as one viewer may see it, in one structure that both the
JSON export and the PDF (``incidents.report_pdf``) render.

Every section reads its rows through the same doors as the pages (``restrict`` and the TLP
rules), so the report holds nothing its reader could not open in Concord. The report's
marking is the highest TLP of what it holds.

A section is a function ``(incident, user) -> Section | None`` registered with
``register_section``: this app's own below, other apps' from their ``AppConfig.ready``
(indicators, requests), so that this module imports none of them.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from incidents.choices import TLP


@dataclass(frozen=True)
class Column:
    """One column of a section's table in the PDF: the row key it shows, its heading and
    its share of the page's width. ``text`` turns the row into the cell's text when the
    value alone does not say enough."""

    key: str
    label: str
    width: int = 1
    text: object = None


@dataclass
class Section:
    key: str
    title: str
    columns: tuple
    rows: list = field(default_factory=list)
    empty: str = ""
    note: str = ""

    def markings(self):
        return [row["tlp"] for row in self.rows if row.get("tlp")]

    def as_dict(self):
        return {
            "key": self.key,
            "title": str(self.title),
            "count": len(self.rows),
            "rows": self.rows,
        }


@dataclass
class CaseReport:
    incident: dict
    sections: list
    generated_at: object
    generated_by: dict
    tlp: str

    @property
    def tlp_label(self):
        return TLP(self.tlp).label

    def as_dict(self):
        return {
            "incident": self.incident,
            "tlp": self.tlp,
            "generated_at": self.generated_at,
            "generated_by": self.generated_by,
            "sections": [section.as_dict() for section in self.sections],
        }


# (order, builder): sections print in this order.
_SECTIONS = []


def register_section(order, builder):
    """Add ``builder(incident, user) -> Section | None`` to every case report."""
    if all(existing is not builder for _order, existing in _SECTIONS):
        _SECTIONS.append((order, builder))
        _SECTIONS.sort(key=lambda entry: entry[0])


def highest_tlp(labels):
    return max(labels, key=TLP.rank)


def agency(value):
    """An agency as the report names it (JSON)."""
    if value is None:
        return None
    return {
        "id": value.pk,
        "name": value.name,
        "short_name": value.short_name,
        "country": value.country.code,
    }


def agency_text(value):
    if not value:
        return "—"
    return f"{value['name']} ({value['short_name']}, {value['country']})"


def build_report(incident, user):
    """The report of ``incident`` (already read through ``restrict``) for ``user``."""
    sections = []
    for _order, builder in _SECTIONS:
        section = builder(incident, user)
        if section is not None:
            sections.append(section)
    markings = [incident.tlp, *(tlp for section in sections for tlp in section.markings())]
    return CaseReport(
        incident=incident_summary(incident),
        sections=sections,
        generated_at=timezone.now(),
        generated_by={
            "name": user.display_name,
            "agency": agency(user.agency) if user.agency_id else None,
        },
        tlp=highest_tlp(markings),
    )


def incident_summary(incident):
    return {
        "reference": incident.reference,
        "title": incident.title,
        "summary": incident.summary,
        "status": incident.status,
        "severity": incident.severity,
        "category": incident.category,
        "tlp": incident.tlp,
        "is_exercise": incident.is_exercise,
        "lead_agency": agency(incident.lead_agency),
        "affected_countries": [country.code for country in incident.affected_countries],
        "detected_at": incident.detected_at,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
    }


# This app's sections ------------------------------------------------------------------


def participants_section(incident, user):
    participations = incident.participations.select_related("agency").order_by("created_at", "pk")
    return Section(
        key="participants",
        title=_("Participating agencies"),
        columns=(
            Column("agency", _("Agency"), 4, text=lambda row: agency_text(row["agency"])),
            Column("role", _("Role"), 1, text=lambda row: row["role_label"]),
            Column("since", _("Since"), 2),
        ),
        rows=[
            {
                "agency": agency(p.agency),
                "role": p.role,
                "role_label": str(p.get_role_display()),
                "since": p.created_at,
            }
            for p in participations
        ],
    )


def timeline_section(incident, user):
    from incidents.models import TimelineEntry

    entries = (
        TimelineEntry.objects.restrict(user)
        .filter(incident=incident)
        .select_related("author_agency")
        .order_by("occurred_at", "pk")
    )
    return Section(
        key="timeline",
        title=_("Timeline"),
        columns=(
            Column("occurred_at", _("When"), 2),
            Column(
                "author",
                _("Author"),
                2,
                text=lambda row: "\n".join(
                    filter(None, [row["author"], (row["author_agency"] or {}).get("name")])
                ),
            ),
            Column("tlp", _("TLP"), 2, text=lambda row: TLP(row["tlp"]).label),
            Column("text", _("Entry"), 6, text=_entry_text),
        ),
        rows=[
            {
                "id": entry.pk,
                "occurred_at": entry.occurred_at,
                "recorded_at": entry.recorded_at,
                "kind": entry.kind,
                "author": entry.author_name,
                "author_agency": agency(entry.author_agency),
                "tlp": entry.tlp,
                "body": entry.body,
                "text": strip_tags(entry.body_html).strip(),
                "corrects": entry.corrects_id,
            }
            for entry in entries
        ],
        empty=_("No entries you may read."),
    )


def _entry_text(row):
    if row["corrects"]:
        return _("Correction of entry %(id)s: %(text)s") % {
            "id": row["corrects"],
            "text": row["text"],
        }
    return row["text"]


def evidence_section(incident, user):
    from incidents.models import CustodyVerification, Evidence

    items = list(
        Evidence.objects.restrict(user)
        .filter(incident=incident)
        .select_related("holder_agency", "transit_to_agency")
        .order_by("created_at", "pk")
    )
    last_checks = {}
    for check in CustodyVerification.objects.filter(evidence__in=items).order_by(
        "evidence_id", "-checked_at", "-pk"
    ):
        last_checks.setdefault(check.evidence_id, check)
    return Section(
        key="evidence",
        title=_("Evidence register"),
        columns=(
            Column(
                "reference", _("Item"), 3, text=lambda row: f"{row['reference']}\n{row['title']}"
            ),
            Column("holder", _("Holder"), 3, text=lambda row: agency_text(row["holder"])),
            Column("status", _("Custody"), 3, text=_custody_text),
            Column("sha256", "SHA-256", 3),
        ),
        rows=[_evidence_row(item, last_checks.get(item.pk)) for item in items],
        empty=_("No evidence logged."),
    )


def _evidence_row(item, check):
    return {
        "reference": item.reference,
        "title": item.title,
        "kind": item.kind,
        "sha256": item.sha256,
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "holder": agency(item.holder_agency),
        "holder_person": item.holder_person,
        "in_transit_to": agency(item.transit_to_agency),
        "is_sealed": item.is_sealed,
        "is_compromised": item.is_compromised,
        "chain_broken_seq": item.chain_broken_seq,
        "custody_length": item.custody_length,
        "custody_head": item.custody_head,
        "last_verification": None
        if check is None
        else {
            "checked_at": check.checked_at,
            "checked_by": check.checked_by_name,
            "ok": check.ok,
            "broken_seq": check.broken_seq,
        },
    }


def _custody_text(row):
    lines = [row["status_label"]]
    if row["in_transit_to"]:
        lines.append(_("in transit to %(agency)s") % {"agency": row["in_transit_to"]["name"]})
    if row["chain_broken_seq"]:
        lines.append(
            _("Compromised: chain broken at step %(seq)s") % {"seq": row["chain_broken_seq"]}
        )
    elif row["is_compromised"]:
        lines.append(_("Compromised: a hash observed differs"))
    lines.append(_("%(count)s custody steps") % {"count": row["custody_length"]})
    check = row["last_verification"]
    if check:
        lines.append(_("last verified: intact") if check["ok"] else _("last verified: broken"))
    return "\n".join(lines)


def tasks_section(incident, user):
    """The case's tasks, once the incidents app has them (no section before)."""
    from django.apps import apps

    try:
        task_model = apps.get_model("incidents", "Task")
    except LookupError:
        return None
    tasks = (
        task_model.objects.restrict(user)
        .filter(incident=incident)
        .select_related("assignee")
        .order_by("position", "pk")
    )
    return Section(
        key="tasks",
        title=_("Tasks"),
        columns=(
            Column("title", _("Task"), 5),
            Column("status", _("Status"), 2, text=lambda row: row["status_label"]),
            Column("assignee", _("Assignee"), 3),
            Column("due_at", _("Due"), 2),
        ),
        rows=[
            {
                "id": task.pk,
                "title": task.title,
                "status": task.status,
                "status_label": str(task.get_status_display()),
                "assignee": task.assignee.display_name if task.assignee_id else None,
                "due_at": task.due_at,
            }
            for task in tasks
        ],
        empty=_("No tasks."),
    )


register_section(10, participants_section)
register_section(20, timeline_section)
register_section(30, tasks_section)
register_section(40, evidence_section)
