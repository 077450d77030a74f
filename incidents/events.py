"""One writer per kind of timeline entry. Called from actions inside their transaction."""

import re

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.choices import TimelineKind
from incidents.markdown import render_markdown
from incidents.models import TimelineEntry


def write_entry(
    incident,
    by,
    kind,
    body,
    *,
    tlp=None,
    occurred_at=None,
    subject=None,
    corrects=None,
    audience=(),
):
    """Append one timeline entry; the writers of other apps' entry kinds call this too."""
    now = timezone.now()
    entry = TimelineEntry(
        incident=incident,
        occurred_at=occurred_at or now,
        recorded_at=now,
        author=by,
        author_name=by.display_name if by else _("Concord"),
        author_agency_id=by.agency_id if by else None,
        kind=kind,
        body=body,
        body_html=render_markdown(body),
        tlp=tlp or incident.tlp,
        corrects=corrects,
    )
    if subject is not None:
        entry.subject_type = ContentType.objects.get_for_model(subject)
        entry.subject_id = str(subject.pk)
    entry.save()
    if audience:
        entry.audience.set(audience)
    return entry


def note_added(incident, by, body, *, tlp, occurred_at=None, corrects=None, audience=()):
    return write_entry(
        incident,
        by,
        TimelineKind.NOTE,
        body,
        tlp=tlp,
        occurred_at=occurred_at,
        corrects=corrects,
        audience=audience,
    )


def incident_filed(incident, by):
    body = _("Incident **%(reference)s** filed by %(agency)s.") % {
        "reference": incident.reference,
        "agency": incident.lead_agency.name,
    }
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=incident)


def incident_edited(incident, by, changed_labels):
    body = _("Details edited: %(fields)s.") % {"fields": ", ".join(changed_labels)}
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=incident)


def status_changed(incident, by, old_label, new_label, reason=""):
    body = _("Status changed from **%(old)s** to **%(new)s**.") % {
        "old": old_label,
        "new": new_label,
    }
    if reason:
        body += "\n\n" + _("Reason: %(reason)s") % {"reason": reason}
    return write_entry(incident, by, TimelineKind.STATUS_CHANGE, body, subject=incident)


def agency_invited(incident, by, participation):
    body = _("%(agency)s (%(country)s) invited as %(role)s.") % {
        "agency": participation.agency.name,
        "country": participation.agency.country.name,
        "role": participation.get_role_display().lower(),
    }
    return write_entry(incident, by, TimelineKind.PARTICIPATION, body, subject=participation.agency)


def participation_role_changed(incident, by, participation, old_label):
    body = _("%(agency)s is now %(new)s (was %(old)s).") % {
        "agency": participation.agency.name,
        "new": participation.get_role_display().lower(),
        "old": old_label.lower(),
    }
    return write_entry(incident, by, TimelineKind.PARTICIPATION, body, subject=participation.agency)


def agency_removed(incident, by, agency, reason=""):
    body = _("%(agency)s (%(country)s) removed from the case.") % {
        "agency": agency.name,
        "country": agency.country.name,
    }
    if reason:
        body += "\n\n" + _("Reason: %(reason)s") % {"reason": reason}
    return write_entry(incident, by, TimelineKind.PARTICIPATION, body, subject=agency)


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _plain_in_markdown(text):
    """A user's short text (a task title) quoted in an entry: shown as typed, never as markup."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _task_label(task):
    return f"**{_plain_in_markdown(task.title)}**"


def task_created(incident, by, task):
    if task.assignee_id:
        body = _("Task %(task)s added, assigned to %(assignee)s (%(agency)s).") % {
            "task": _task_label(task),
            "assignee": task.assignee.display_name,
            "agency": task.assignee.agency.short_name if task.assignee.agency_id else "—",
        }
    else:
        body = _("Task %(task)s added.") % {"task": _task_label(task)}
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=task)


def task_assigned(incident, by, task):
    if task.assignee_id:
        body = _("Task %(task)s assigned to %(assignee)s (%(agency)s).") % {
            "task": _task_label(task),
            "assignee": task.assignee.display_name,
            "agency": task.assignee.agency.short_name if task.assignee.agency_id else "—",
        }
    else:
        body = _("Task %(task)s no longer assigned.") % {"task": _task_label(task)}
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=task)


def task_status_changed(incident, by, task, old_label, new_label):
    body = _("Task %(task)s moved from **%(old)s** to **%(new)s**.") % {
        "task": _task_label(task),
        "old": old_label,
        "new": new_label,
    }
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=task)


def owner_named(incident, by, participation):
    if participation.owner_id:
        body = _("%(owner)s now owns the case for %(agency)s.") % {
            "owner": participation.owner.display_name,
            "agency": participation.agency.name,
        }
    else:
        body = _("%(agency)s no longer names an owner for the case.") % {
            "agency": participation.agency.name
        }
    return write_entry(incident, by, TimelineKind.PARTICIPATION, body, subject=participation.agency)


def template_applied(incident, by, template, count):
    body = ngettext(
        "%(count)d task added from the case template %(template)s.",
        "%(count)d tasks added from the case template %(template)s.",
        count,
    ) % {"count": count, "template": f"**{_plain_in_markdown(template.name)}**"}
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=incident)
