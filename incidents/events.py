"""Timeline entries: one writer per kind, and the events Concord writes on a case.

What Concord itself writes (a status change, an agency invited, a custody step) is an
*event*: a code and its parameters, stored on the entry and drawn in the reader's
language when shown (``event_html``). Other apps register their codes with
``register`` in their own ``events`` module (found at start-up by
``IncidentsConfig.ready``) and write with ``write_event``. An officer's own note is
stored as written and never translated.
"""

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.choices import country_name
from incidents.choices import ParticipationRole, Status, TaskStatus, TimelineKind
from incidents.markdown import excerpt, render_markdown
from incidents.models import Incident, TimelineEntry

# The language of an event's stored text (search, exports, clients that read ``body``).
STORED_LANGUAGE = "en"


@dataclass(frozen=True)
class Event:
    """How one event code reads.

    ``text``: a translatable Markdown sentence formatted with the parameters, or
    ``compose(values)`` for texts with plurals or lists. ``params`` localise a stored
    parameter (a choice's code to its label, a country code to its name, a time to the
    reader's zone). ``extras``: ``(param, sentence)`` paragraphs added when ``param`` is set.
    """

    kind: str
    text: object = None
    compose: Callable | None = None
    params: Mapping[str, Callable] = field(default_factory=dict)
    extras: tuple = ()


EVENTS: dict[str, Event] = {}


def register(code, kind, text=None, *, compose=None, params=None, extras=()):
    if code in EVENTS:
        raise ValueError(f"Timeline event {code!r} is registered twice")
    EVENTS[code] = Event(kind, text, compose, params or {}, tuple(extras))
    return code


# Parameter localisers ------------------------------------------------------------------


def label_of(choices, *, lower=False):
    """A stored choice code shown as its label in the reader's language."""

    def localise(value):
        try:
            label = str(choices(value).label)
        except ValueError:
            return value
        return label.lower() if lower else label

    return localise


def country(code):
    return country_name(code) or code


def moment(value):
    """A stored ISO time in the reader's zone, as the pages show times: ``2026-12-03 09:05 CET``."""
    local = timezone.localtime(dt.datetime.fromisoformat(value))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def field_labels(model):
    """Stored field names shown as the fields' labels, comma-separated."""

    def localise(names):
        return ", ".join(str(model._meta.get_field(name).verbose_name) for name in names)

    return localise


def stored_time(value):
    """A time as an event parameter (``moment`` shows it)."""
    return value.isoformat()


# Drawing -----------------------------------------------------------------------------


def event_text(code, params):
    """The event's Markdown in the active language; ``None`` for an unknown code."""
    event = EVENTS.get(code)
    if event is None:
        return None
    values = {
        name: event.params[name](value) if name in event.params and value is not None else value
        for name, value in params.items()
    }
    text = event.compose(values) if event.compose else str(event.text) % values
    for name, sentence in event.extras:
        if params.get(name):
            text += "\n\n" + str(sentence) % values
    return text


def event_html(code, params):
    """The event's sanitised HTML in the active language and time zone (``None``: unknown)."""
    text = event_text(code, params)
    return None if text is None else render_markdown(text)


# Drawing an event costs 0.1-0.5 ms (labels, Markdown, sanitising). Entries never change,
# and pages show the same ones again and again: each is drawn once per language and zone.
_DRAWN_MAX = 20_000
_drawn = {}


def entry_html(entry, *, language=None, zone=None):
    """The entry's HTML for the reader: an event drawn in their language, a note as stored.

    A page passes ``language`` and ``zone`` (read once for all its entries).
    """
    return _for_reader(entry, "html", language, zone) or entry.body_html


def entry_excerpt(entry, *, language=None, zone=None):
    """The entry's first words for the reader (plain text), as ``entry_html``."""
    return _for_reader(entry, "excerpt", language, zone) or entry.excerpt


def _for_reader(entry, form, language, zone):
    if not entry.event:
        return None
    language = language or translation.get_language()
    zone = zone or timezone.get_current_timezone_name()
    # recorded_at too: a database rebuilt (or a test's rolled back) gives the same id again.
    key = (entry.pk, entry.recorded_at, form, language, zone)
    drawn = _drawn.get(key) if entry.pk else None
    if drawn is None:
        html = event_html(entry.event, entry.params)
        if html is None:
            return None
        drawn = html if form == "html" else excerpt(html)
        if entry.pk:
            if len(_drawn) >= _DRAWN_MAX:
                _drawn.clear()
            _drawn[key] = drawn
    return drawn


# Writing -----------------------------------------------------------------------------


def write_entry(
    incident,
    by,
    kind,
    body,
    *,
    tlp=None,
    occurred_at=None,
    recorded_at=None,
    subject=None,
    corrects=None,
    audience=(),
    author_agency_id=None,
    event="",
    params=None,
    publish=True,
):
    """Append one timeline entry; ``write_event`` and ``note_added`` call this.

    ``publish=False``: the caller sends it to the case's other nodes itself
    (``publish_entry``), once what is written with it (its attachments) is there too."""
    now = recorded_at or timezone.now()
    entry = TimelineEntry(
        incident=incident,
        occurred_at=occurred_at or now,
        recorded_at=now,
        author=by,
        author_name=by.display_name if by else _("Concord"),
        author_agency_id=author_agency_id or (by.agency_id if by else None),
        kind=kind,
        body=body,
        body_html=render_markdown(body),
        tlp=tlp or incident.tlp,
        corrects=corrects,
        event=event,
        params=params or {},
    )
    if subject is not None:
        entry.subject_type = ContentType.objects.get_for_model(subject)
        entry.subject_id = str(subject.pk)
    entry.save()
    if audience:
        entry.audience.set(audience)
    if publish:
        publish_entry(entry)
    return entry


def publish_entry(entry):
    """Send the entry to the case's other nodes (coordination.federation), if federated."""
    if settings.FEDERATION_NODE_NAME:
        from coordination.federation import replication

        replication.publish_entry(entry)


def replicated_entry(
    incident,
    *,
    origin_node,
    origin_id,
    kind,
    body,
    event,
    params,
    tlp,
    occurred_at,
    recorded_at,
    author_name,
    author_agency,
    corrects=None,
    audience=(),
):
    """Append an entry written on another node, as that node sent it (no local author).

    An event this node cannot draw from the parameters it came with is kept as its text.
    """
    if event:
        try:
            event_text(event, params)
        except (KeyError, TypeError, ValueError):
            event, params = "", {}
    entry = TimelineEntry(
        incident=incident,
        origin_node=origin_node,
        origin_id=origin_id,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        author=None,
        author_name=author_name or origin_node,
        author_agency=author_agency,
        kind=kind,
        body=body,
        body_html=render_markdown(body),
        tlp=tlp,
        corrects=corrects,
        event=event,
        params=params,
    )
    entry.save()
    if audience:
        entry.audience.set(audience)
    return entry


def write_event(incident, by, code, params, **options):
    """Append the event ``code`` (registered) with its JSON ``params`` to the timeline.

    ``by`` is the user who caused it (``None``: Concord itself). ``options`` are
    ``write_entry``'s: ``tlp``, ``occurred_at``, ``recorded_at``, ``subject``,
    ``audience``, ``author_agency_id`` (the agency the entry is filed under, when it is
    not the author's). The stored ``body`` is the text in ``STORED_LANGUAGE``.
    """
    event = EVENTS[code]
    with translation.override(STORED_LANGUAGE):
        body = event_text(code, params)
    return write_entry(incident, by, event.kind, body, event=code, params=params, **options)


# The incident's own events -----------------------------------------------------------

INCIDENT_FILED = register(
    "incident.filed",
    TimelineKind.SYSTEM,
    gettext_lazy("Incident **%(reference)s** filed by %(agency)s."),
)
INCIDENT_EDITED = register(
    "incident.edited",
    TimelineKind.SYSTEM,
    gettext_lazy("Details edited: %(fields)s."),
    params={"fields": field_labels(Incident)},
)
STATUS_CHANGED = register(
    "incident.status_changed",
    TimelineKind.STATUS_CHANGE,
    gettext_lazy("Status changed from **%(old)s** to **%(new)s**."),
    params={"old": label_of(Status), "new": label_of(Status)},
    extras=[("reason", gettext_lazy("Reason: %(reason)s"))],
)
AGENCY_INVITED = register(
    "participation.invited",
    TimelineKind.PARTICIPATION,
    gettext_lazy("%(agency)s (%(country)s) invited as %(role)s."),
    params={"country": country, "role": label_of(ParticipationRole, lower=True)},
)
ROLE_CHANGED = register(
    "participation.role_changed",
    TimelineKind.PARTICIPATION,
    gettext_lazy("%(agency)s is now %(new)s (was %(old)s)."),
    params={
        "new": label_of(ParticipationRole, lower=True),
        "old": label_of(ParticipationRole, lower=True),
    },
)
AGENCY_REMOVED = register(
    "participation.removed",
    TimelineKind.PARTICIPATION,
    gettext_lazy("%(agency)s (%(country)s) removed from the case."),
    params={"country": country},
    extras=[("reason", gettext_lazy("Reason: %(reason)s"))],
)

TAG_ADDED = register(
    "incident.tag_added", TimelineKind.SYSTEM, gettext_lazy("Tag `%(tag)s` added.")
)
TAG_REMOVED = register(
    "incident.tag_removed", TimelineKind.SYSTEM, gettext_lazy("Tag `%(tag)s` removed.")
)


def note_added(
    incident, by, body, *, tlp, occurred_at=None, corrects=None, audience=(), publish=True
):
    return write_entry(
        incident,
        by,
        TimelineKind.NOTE,
        body,
        tlp=tlp,
        occurred_at=occurred_at,
        corrects=corrects,
        audience=audience,
        publish=publish,
    )


def incident_filed(incident, by):
    params = {"reference": incident.reference, "agency": incident.lead_agency.name}
    return write_event(incident, by, INCIDENT_FILED, params, subject=incident)


def incident_edited(incident, by, changed_fields):
    return write_event(
        incident, by, INCIDENT_EDITED, {"fields": list(changed_fields)}, subject=incident
    )


def status_changed(incident, by, old_status, new_status, reason=""):
    params = {"old": str(old_status), "new": str(new_status), "reason": reason}
    return write_event(incident, by, STATUS_CHANGED, params, subject=incident)


def agency_invited(incident, by, participation):
    agency = participation.agency
    params = {
        "agency": agency.name,
        "country": agency.country.code,
        "role": str(participation.role),
    }
    return write_event(incident, by, AGENCY_INVITED, params, subject=agency)


def participation_role_changed(incident, by, participation, old_role):
    params = {
        "agency": participation.agency.name,
        "new": str(participation.role),
        "old": str(old_role),
    }
    return write_event(incident, by, ROLE_CHANGED, params, subject=participation.agency)


def agency_removed(incident, by, agency, reason=""):
    params = {"agency": agency.name, "country": agency.country.code, "reason": reason}
    return write_event(incident, by, AGENCY_REMOVED, params, subject=agency)


def tag_added(incident, by, tag):
    return write_event(incident, by, TAG_ADDED, {"tag": tag.name}, subject=incident)


def tag_removed(incident, by, name):
    return write_event(incident, by, TAG_REMOVED, {"tag": name}, subject=incident)


# Tasks and owners ------------------------------------------------------------------------

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def plain_in_markdown(text):
    """A user's short text (a task title) quoted in an event: shown as typed, never as markup."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


_TASK_TEXT = {"task": plain_in_markdown, "template": plain_in_markdown}
TASK_CREATED = register(
    "task.created",
    TimelineKind.SYSTEM,
    gettext_lazy("Task **%(task)s** added."),
    params=_TASK_TEXT,
    extras=[("assignee", gettext_lazy("Assigned to %(assignee)s (%(agency)s)."))],
)
TASK_ASSIGNED = register(
    "task.assigned",
    TimelineKind.SYSTEM,
    gettext_lazy("Task **%(task)s** assigned to %(assignee)s (%(agency)s)."),
    params=_TASK_TEXT,
)
TASK_UNASSIGNED = register(
    "task.unassigned",
    TimelineKind.SYSTEM,
    gettext_lazy("Task **%(task)s** no longer assigned."),
    params=_TASK_TEXT,
)
TASK_STATUS_CHANGED = register(
    "task.status_changed",
    TimelineKind.SYSTEM,
    gettext_lazy("Task **%(task)s** moved from **%(old)s** to **%(new)s**."),
    params={**_TASK_TEXT, "old": label_of(TaskStatus), "new": label_of(TaskStatus)},
)
OWNER_NAMED = register(
    "participation.owner_named",
    TimelineKind.PARTICIPATION,
    gettext_lazy("%(owner)s now owns the case for %(agency)s."),
)
OWNER_CLEARED = register(
    "participation.owner_cleared",
    TimelineKind.PARTICIPATION,
    gettext_lazy("%(agency)s no longer names an owner for the case."),
)


def _template_text(values):
    return (
        ngettext(
            "%(count)d task added from the case template **%(template)s**.",
            "%(count)d tasks added from the case template **%(template)s**.",
            values["count"],
        )
        % values
    )


TEMPLATE_APPLIED = register(
    "task.template_applied", TimelineKind.SYSTEM, compose=_template_text, params=_TASK_TEXT
)


def _assignee_params(task):
    if not task.assignee_id:
        return {}
    agency = task.assignee.agency.short_name if task.assignee.agency_id else "—"
    return {"assignee": task.assignee.display_name, "agency": agency}


def task_created(incident, by, task):
    params = {"task": task.title, **_assignee_params(task)}
    return write_event(incident, by, TASK_CREATED, params, subject=task)


def task_assigned(incident, by, task):
    params = {"task": task.title, **_assignee_params(task)}
    code = TASK_ASSIGNED if task.assignee_id else TASK_UNASSIGNED
    return write_event(incident, by, code, params, subject=task)


def task_status_changed(incident, by, task, old_status, new_status):
    params = {"task": task.title, "old": old_status, "new": new_status}
    return write_event(incident, by, TASK_STATUS_CHANGED, params, subject=task)


def owner_named(incident, by, participation):
    params = {"agency": participation.agency.name}
    if participation.owner_id:
        params["owner"] = participation.owner.display_name
    code = OWNER_NAMED if participation.owner_id else OWNER_CLEARED
    return write_event(incident, by, code, params, subject=participation.agency)


def template_applied(incident, by, template, count):
    params = {"count": count, "template": template.name}
    return write_event(incident, by, TEMPLATE_APPLIED, params, subject=incident)
