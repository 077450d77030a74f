"""Business operations on incidents: one function per verb, atomic, the only writers.

Views, API viewsets, admin and management commands all call these, so each rule
lives here once. They raise ``ValidationError`` (field messages) for bad input,
``PermissionDenied`` when the actor may not act, and ``TransitionNotAllowed`` /
``ConcurrentChange`` for state conflicts.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination import audit
from coordination.audit.choices import AuditAction
from incidents import alerts, events
from incidents.casework import actions as casework
from incidents.choices import (
    REOPENING,
    ROLES_THAT_FILE_INCIDENTS,
    STATUS_TRANSITIONS,
    TLP,
    Action,
    ParticipationRole,
    Status,
)
from incidents.evidence import actions as evidence_actions
from incidents.evidence import storage
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed
from incidents.markdown import check_markdown
from incidents.models import (
    EntryAttachment,
    Incident,
    IncidentTag,
    Participation,
    TimelineEntry,
    allocate_reference,
)
from incidents.permissions import allowed_actions, grant_participation, revoke_participation
from incidents.tags import TLP_NAMESPACE, forget_suggestions, parse_tag, tlp_of

EDITABLE_FIELDS = (
    "title",
    "summary",
    "category",
    "severity",
    "tlp",
    "is_exercise",
    "affected_countries",
    "detected_at",
)


def _require(user, incident, action):
    """Raise unless ``user`` may ``action`` the incident (callers already checked view)."""
    if action not in allowed_actions(user, incident):
        raise PermissionDenied(_("You may not %(action)s this incident.") % {"action": action})


def require_lead_node(incident):
    """A replica's status, details and sharing are decided on its lead's node."""
    if incident.origin_node:
        raise PermissionDenied(
            _(
                "This case is led by %(agency)s on the node %(node)s: its status, details and "
                "sharing are decided there."
            )
            % {"agency": incident.lead_agency.name, "node": incident.origin_node}
        )


def _federation():
    """The replication of shared cases, when this node federates (None otherwise: no cost)."""
    if not settings.FEDERATION_NODE_NAME:
        return None
    from coordination.federation import replication

    return replication


def _check_detected_at(detected_at):
    if detected_at and detected_at > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationError({"detected_at": _("The detection time cannot be in the future.")})


@transaction.atomic
def create_incident(by, **fields):
    """File a new incident led by ``by``'s agency."""
    if not by.agency_id or by.role not in ROLES_THAT_FILE_INCIDENTS:
        raise PermissionDenied(_("Only investigators and supervisors of an agency file incidents."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    _check_detected_at(fields.get("detected_at"))
    now = timezone.now()
    incident = Incident(
        reference=allocate_reference("CC", now.year),
        lead_agency=by.agency,
        created_by=by,
        **fields,
    )
    incident.full_clean(exclude=["reference", "lead_agency", "created_by"])
    incident.save()
    participation = Participation.objects.create(
        incident=incident, agency=by.agency, role=ParticipationRole.LEAD, invited_by=by
    )
    grant_participation(incident, participation.agency, participation.role)
    events.incident_filed(incident, by)
    casework.apply_case_template(incident, by)
    return incident


@transaction.atomic
def update_incident(incident, by, **changes):
    """Edit an incident's details; a timeline entry names what changed."""
    require_lead_node(incident)
    _require(by, incident, Action.CHANGE)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    _check_detected_at(changes.get("detected_at"))
    changed = [name for name, value in changes.items() if getattr(incident, name) != value]
    if not changed:
        return incident
    replication = _federation()
    if "tlp" in changed and replication and replication.shares_beyond(incident, changes["tlp"]):
        raise ValidationError(
            {
                "tlp": _(
                    "This case is shared with agencies on other nodes: it cannot be marked "
                    "above TLP:AMBER. TLP:AMBER+STRICT and TLP:RED material stays on its node."
                )
            }
        )
    for name in changed:
        setattr(incident, name, changes[name])
    incident.full_clean(exclude=["reference", "lead_agency", "created_by"])
    # Only the edited columns: a concurrent status change must not be overwritten.
    incident.save(update_fields=[*changed, "updated_at"])
    events.incident_edited(incident, by, changed)
    if replication:
        replication.publish_state(incident)
    return incident


def _check_quoted_text(field, text):
    """Text quoted in a timeline entry (a reason) is Markdown within the same limits."""
    if problems := check_markdown(text):
        raise ValidationError({field: problems})


@transaction.atomic
def change_status(incident, by, new_status, reason=""):
    """Move the incident along its workflow by compare-and-swap on the status."""
    require_lead_node(incident)
    _require(by, incident, Action.CHANGE)
    new_status = Status(new_status)
    old_status = Status(incident.status)
    allowed = STATUS_TRANSITIONS[old_status]
    if new_status not in allowed:
        raise TransitionNotAllowed(
            _("An incident that is %(old)s cannot become %(new)s.")
            % {"old": old_status.label.lower(), "new": new_status.label.lower()},
            allowed=allowed,
        )
    reason = (reason or "").strip()
    if (old_status, new_status) in REOPENING and not reason:
        raise ValidationError({"reason": _("Give a reason for reopening the incident.")})
    _check_quoted_text("reason", reason)
    now = timezone.now()
    updated = Incident.objects.filter(pk=incident.pk, status=old_status).update(
        status=new_status, updated_at=now
    )
    if not updated:
        raise ConcurrentChange()
    incident.status, incident.updated_at = new_status, now
    events.status_changed(incident, by, old_status, new_status, reason)
    if replication := _federation():
        replication.publish_state(incident)
    return incident


def _record_participation(action, incident, by, agency, role=None):
    """The audit record of a sharing change: the lead agency's admins read it."""
    details = {"agency_id": agency.pk}
    if role is not None:
        details["role"] = role.value
    audit.record(
        action,
        actor=by,
        object_type="incident",
        object_ref=incident.reference,
        agency=incident.lead_agency_id,
        recipient=f"{agency.short_name} ({agency.country.code})",
        details=details,
    )


@transaction.atomic
def share_incident(incident, agency, role, by):
    """Invite ``agency`` onto the case as contributor or observer.

    An agency of another node gets the case on its node (coordination.federation).
    """
    require_lead_node(incident)
    _require(by, incident, Action.SHARE)
    role = ParticipationRole(role)
    if role == ParticipationRole.LEAD:
        raise ValidationError(
            {"role": _("An incident has one lead agency; invite as contributor or observer.")}
        )
    if not agency.is_active:
        raise ValidationError({"agency": _("%(agency)s is no longer active.") % {"agency": agency}})
    replication = _federation()
    if agency.node_id and (replication is None or not replication.may_share_with(incident)):
        raise ValidationError(
            {
                "agency": _(
                    "%(agency)s is on another node: only a case marked TLP:AMBER or lower is "
                    "shared there (TLP:AMBER+STRICT and TLP:RED material stays on its node)."
                )
                % {"agency": agency.name}
            }
        )
    peers_before = replication.participant_peers(incident) if replication else ()
    if Participation.objects.filter(incident=incident, agency=agency).exists():
        raise ValidationError(
            {
                "agency": _("%(agency)s already takes part in this incident.")
                % {"agency": agency.name}
            }
        )
    try:
        with transaction.atomic():
            participation = Participation.objects.create(
                incident=incident, agency=agency, role=role, invited_by=by
            )
    except IntegrityError as exc:  # invited by someone else a moment ago
        raise ValidationError(
            {
                "agency": _("%(agency)s already takes part in this incident.")
                % {"agency": agency.name}
            }
        ) from exc
    grant_participation(incident, agency, role)
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    if replication:
        replication.publish_sharing(incident, peers_before)
    events.agency_invited(incident, by, participation)
    if not agency.node_id:  # an agency of another node learns of it from its own node
        alerts.incident_shared(incident, participation, by)
    _record_participation(AuditAction.INCIDENT_SHARED, incident, by, agency, role)
    return participation


@transaction.atomic
def change_participation_role(participation, role, by):
    """Switch a non-lead participant between contributor and observer."""
    incident = participation.incident
    require_lead_node(incident)
    _require(by, incident, Action.SHARE)
    role = ParticipationRole(role)
    if participation.role == ParticipationRole.LEAD or role == ParticipationRole.LEAD:
        raise ValidationError({"role": _("The lead agency's role cannot be changed here.")})
    if participation.role == role:
        return participation
    old_role = participation.role
    participation.role = role
    participation.save(update_fields=["role"])
    grant_participation(incident, participation.agency, role)
    if replication := _federation():
        replication.publish_state(incident)
    events.participation_role_changed(incident, by, participation, old_role)
    _record_participation(
        AuditAction.PARTICIPATION_CHANGED, incident, by, participation.agency, role
    )
    return participation


@transaction.atomic
def remove_participation(participation, by, reason=""):
    """Remove an invited agency: its users lose sight of the case at once."""
    incident = participation.incident
    require_lead_node(incident)
    _require(by, incident, Action.SHARE)
    if participation.role == ParticipationRole.LEAD:
        raise ValidationError({"agency": _("The lead agency cannot be removed from its incident.")})
    _check_quoted_text("reason", reason or "")
    agency = participation.agency
    replication = _federation()
    peers_before = replication.participant_peers(incident) if replication else ()
    revoke_participation(incident, agency)
    participation.delete()
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    if replication:
        replication.publish_sharing(incident, peers_before)
    events.agency_removed(incident, by, agency, (reason or "").strip())
    _record_participation(AuditAction.PARTICIPATION_REMOVED, incident, by, agency)


def add_timeline_entry(
    incident, by, body, *, tlp=None, occurred_at=None, corrects=None, audience=(), attachments=()
):
    """Append a note to the case's timeline (a correction when ``corrects`` is given).

    ``attachments``: uploaded files written with the entry, stored like evidence files
    (hashed while streamed, by content hash). Together they weigh no more than one upload
    may, and they count against the agency's storage quota. Nothing is stored on error.
    """
    _require(by, incident, Action.CONTRIBUTE)
    attachments = list(attachments)
    errors = _entry_errors(incident, by, body, tlp, occurred_at, corrects, audience)
    if sum(upload.size or 0 for upload in attachments) > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        errors["attachments"] = attachments_too_large_message()
    if errors:
        raise ValidationError(errors)
    stored = []
    try:
        for upload in attachments:
            stored.append((upload, storage.store(upload)))
        with transaction.atomic():
            if stored:
                evidence_actions.charge_quota(by.agency_id, sum(f.size for _, f in stored))
            entry = events.note_added(
                incident,
                by,
                body.strip(),
                tlp=tlp or incident.tlp,
                occurred_at=occurred_at,
                corrects=corrects,
                audience=list(audience),
                publish=False,
            )
            EntryAttachment.objects.bulk_create(
                EntryAttachment(
                    entry=entry,
                    file_name=(upload.name or "attachment")[:255],
                    content_type=(getattr(upload, "content_type", "") or "")[:100],
                    size=file.size,
                    sha256=file.sha256,
                    file_path=file.path,
                    uploaded_by=by,
                    uploaded_by_agency_id=by.agency_id,
                )
                for upload, file in stored
            )
            events.publish_entry(entry)  # with its attachments
            Incident.objects.filter(pk=incident.pk).update(updated_at=entry.recorded_at)
    except ValidationError as exc:
        _discard(stored)
        if "file" in getattr(exc, "error_dict", {}):  # from the storage: about the attachments
            raise ValidationError({"attachments": exc.error_dict["file"]}) from exc
        raise
    except BaseException:
        _discard(stored)
        raise
    return entry


def attachments_too_large_message():
    return _(
        "The attachments weigh more than %(limit)s, the most one entry may carry. Nothing "
        "was stored: attach fewer or smaller files, or log a large file as evidence by its "
        "SHA-256."
    ) % {"limit": filesizeformat(settings.EVIDENCE_MAX_UPLOAD_BYTES)}


def _discard(stored):
    for _upload, file in stored:
        file.discard()


def _entry_errors(incident, by, body, tlp, occurred_at, corrects, audience):
    errors = {}
    body = (body or "").strip()
    if not body:
        errors["body"] = _("Write something for the timeline.")
    elif problems := check_markdown(body):
        errors["body"] = problems
    tlp = tlp or incident.tlp
    if TLP.rank(tlp) < TLP.rank(incident.tlp):
        errors["tlp"] = _("This incident is %(incident_tlp)s: an entry cannot be marked lower.") % {
            "incident_tlp": TLP(incident.tlp).label
        }
    if occurred_at and occurred_at > timezone.now() + timezone.timedelta(minutes=5):
        errors["occurred_at"] = _("An entry cannot describe something in the future.")
    audience = list(audience)
    if tlp == TLP.RED:
        participating = set(incident.participations.values_list("agency_id", flat=True))
        strangers = [u for u in audience if u.agency_id not in participating]
        if strangers:
            errors["audience"] = _("Named recipients must belong to a participating agency.")
    elif audience:
        errors["audience"] = _("Named recipients are only for TLP:RED entries.")
    if corrects is not None:
        visible = TimelineEntry.objects.filter(incident=incident).visible_to(by)
        if not visible.filter(pk=corrects.pk).exists():
            errors["corrects"] = _("The corrected entry is not part of this incident's timeline.")
        elif not corrects.may_be_corrected:
            errors["corrects"] = _(
                "Only notes can be corrected; Concord's own entries record what happened."
            )
        elif corrects.origin_node:
            errors["corrects"] = _(
                "This entry was written on the node %(node)s: it is corrected there."
            ) % {"node": corrects.origin_node}
        elif TLP.rank(tlp) < TLP.rank(corrects.tlp):
            errors["tlp"] = _("A correction cannot be marked lower than the entry it corrects.")
    return errors


# Tags ----------------------------------------------------------------------------------


@transaction.atomic
def add_tag(incident, by, text):
    """Tag the incident (free tag or machine tag); a timeline entry records it."""
    _require(by, incident, Action.CHANGE)
    parsed = parse_tag(text)
    tlp = tlp_of(parsed)
    if parsed.namespace == TLP_NAMESPACE:
        current = TLP(incident.tlp).label
        if tlp == incident.tlp:
            message = _("The incident is already %(tlp)s: its TLP field is its tlp: tag.") % {
                "tlp": current
            }
        else:
            message = _(
                "The incident is %(tlp)s. A tlp: tag cannot say otherwise: change the TLP in "
                "the incident's details instead."
            ) % {"tlp": current}
        raise ValidationError({"name": message})
    try:
        with transaction.atomic():
            tag = IncidentTag.objects.create(
                incident=incident,
                name=parsed.name,
                key=parsed.key,
                namespace=parsed.namespace,
                predicate=parsed.predicate,
                value=parsed.value,
                added_by=by,
                added_by_agency_id=by.agency_id,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": _("The incident is already tagged %(tag)s.") % {"tag": parsed.name}}
        ) from exc
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    forget_suggestions(tag.added_by_agency_id)
    events.tag_added(incident, by, tag)
    return tag


@transaction.atomic
def remove_tag(tag, by):
    incident = tag.incident
    _require(by, incident, Action.CHANGE)
    deleted, _rows = IncidentTag.objects.filter(pk=tag.pk).delete()
    if not deleted:  # removed by someone else a moment ago
        return
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    forget_suggestions(tag.added_by_agency_id)
    events.tag_removed(incident, by, tag.name)
