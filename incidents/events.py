"""One writer per kind of timeline entry. Called from actions inside their transaction."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

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


def tag_added(incident, by, tag):
    body = _("Tag `%(tag)s` added.") % {"tag": tag.name}
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=incident)


def tag_removed(incident, by, name):
    body = _("Tag `%(tag)s` removed.") % {"tag": name}
    return write_entry(incident, by, TimelineKind.SYSTEM, body, subject=incident)
