"""Evidence and custody operations: one function per verb, atomic, the only writers.

Every custody rule lives here:

- an item is created with its first event, ``acquired``, held by the creator's agency;
- only the holder agency logs events while the item is in its custody, and only the
  holder transfers it; sealing needs an unsealed item and unsealing a sealed one;
- a hand-over to an agency of the case is two events: ``transferred`` (item in transit)
  and ``received`` by a member of exactly that agency, which then holds it; a hand-over
  to someone outside Concord leaves the item ``transferred`` until its holder agency
  receives it back;
- nothing follows ``disposed``;
- a hash observed that differs from the item's SHA-256 is recorded, flags the item as
  compromised and alerts every participant agency: never silently accepted;
- every verification of the chain is recorded; one that finds the chain broken flags the
  item as compromised in the same way and names the first broken step;
- nothing follows on a compromised item: a step chained to a record that cannot be
  trusted would vouch for it;
- across nodes, only the holder's node records steps (``custody_node`` names another
  node while that node holds the item, or while it is on its way from there to an agency
  here, which then records its receipt); a hand-over to an agency of another node is sent
  there with the chain so far (``coordination.federation.custody``);
- numbers are allocated per item without gaps under a row lock on the item, and each
  event's hash chains from the previous one (the first from the item's SHA-256).

Illegal actions raise ``TransitionNotAllowed`` naming the allowed ones (HTTP 409), bad
input ``ValidationError`` with field messages (400), missing rights ``PermissionDenied``.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency
from coordination.federation import custody, replication
from incidents.choices import TLP, Action, ParticipationRole
from incidents.evidence import alerts, chain, events, storage
from incidents.evidence.choices import (
    HOLDER_ACTIONS,
    CustodyAction,
    EvidenceKind,
    EvidenceStatus,
)
from incidents.exceptions import TransitionNotAllowed
from incidents.models import (
    CustodyEvent,
    CustodyVerification,
    EntryAttachment,
    Evidence,
    allocate_reference,
)
from incidents.models.evidence import sha256_validator
from incidents.permissions import allowed_actions as incident_actions

FUTURE_SLACK = timezone.timedelta(minutes=5)
EVENT_FIELDS = (
    "to_agency",
    "to_person",
    "occurred_at",
    "location",
    "purpose",
    "channel",
    "seal_ids",
    "hash_observed",
    "notes",
)


def agency_storage_used(agency_id):
    """Bytes of the files stored for items logged by the agency's members, and of the
    files its members attached to timeline entries (once promoted, as the item's)."""
    used = (
        Evidence.objects.filter(created_by__agency_id=agency_id)
        .exclude(file_path="")
        .aggregate(total=Sum("size"))["total"]
    )
    attached = EntryAttachment.objects.filter(
        uploaded_by_agency_id=agency_id, evidence__isnull=True
    ).aggregate(total=Sum("size"))["total"]
    return (used or 0) + (attached or 0)


def check_upload(agency_id, size):
    """Refuse (``ValidationError`` on ``file``) a file of ``size`` bytes for the agency:
    larger than one upload may be, or more than the agency's quota has left.

    The upload views call it with the size a request declares, before reading its body;
    ``charge_quota`` checks again, under a lock, what was really stored.
    """
    if size > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        raise ValidationError({"file": storage.too_large_message()})
    _check_quota(agency_id, size)


def _check_quota(agency_id, size):
    quota = settings.EVIDENCE_AGENCY_QUOTA_BYTES
    used = agency_storage_used(agency_id)
    if used + size > quota:
        raise ValidationError(
            {
                "file": _(
                    "Your agency's evidence storage is full: %(used)s of %(quota)s are used "
                    "and this file needs %(size)s. Nothing was stored: log the item by its "
                    "SHA-256, or ask your agency admin about the quota."
                )
                % {
                    "used": filesizeformat(used),
                    "quota": filesizeformat(quota),
                    "size": filesizeformat(size),
                }
            }
        )


def charge_quota(agency_id, size):
    """Inside the transaction that records a stored file: one upload of an agency at a
    time passes this check (row lock on the agency), so two cannot overrun the quota."""
    list(Agency.objects.select_for_update().filter(pk=agency_id).values_list("pk"))
    _check_quota(agency_id, size)


def _require_contribute(user, incident, rights=None):
    rights = incident_actions(user, incident) if rights is None else rights
    if Action.CONTRIBUTE not in rights:
        raise PermissionDenied(_("You may not log evidence on this incident."))


def allowed_custody_actions(evidence, user, rights=None):
    """The custody actions ``user`` may log on ``evidence`` now, in display order.

    ``rights`` are the user's ``allowed_actions`` on the incident when the caller has them.
    """
    if evidence.is_compromised:
        return []  # see _refusal
    rights = incident_actions(user, evidence.incident) if rights is None else rights
    if Action.CONTRIBUTE not in rights or not user.agency_id:
        return []
    status = EvidenceStatus(evidence.status)
    if evidence.custody_node:
        # Held on another node: only the receipt of an item on its way to an agency here.
        if status == EvidenceStatus.IN_TRANSIT and user.agency_id == evidence.transit_to_agency_id:
            return [CustodyAction.RECEIVED]
        return []
    if status == EvidenceStatus.IN_CUSTODY:
        if user.agency_id != evidence.holder_agency_id:
            return []
        sealing = CustodyAction.UNSEALED if evidence.is_sealed else CustodyAction.SEALED
        return [
            a
            for a in HOLDER_ACTIONS
            if a not in (CustodyAction.SEALED, CustodyAction.UNSEALED) or a == sealing
        ]
    if status == EvidenceStatus.IN_TRANSIT:
        return [CustodyAction.RECEIVED] if user.agency_id == evidence.transit_to_agency_id else []
    if status in (EvidenceStatus.TRANSFERRED, EvidenceStatus.RETURNED):
        # Back from outside Concord: its last holder agency takes it in again.
        return [CustodyAction.RECEIVED] if user.agency_id == evidence.holder_agency_id else []
    return []  # disposed: nothing follows


def _check_time(errors, name, value):
    if value and value > timezone.now() + FUTURE_SLACK:
        errors[name] = _("This time lies in the future.")


def _clean_hash(value, field, errors):
    value = (value or "").strip().lower()
    if value:
        try:
            sha256_validator(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    return value


def _append(evidence, by, action, **fields):
    """Write the next event of ``evidence`` (locked by the caller) and advance its head."""
    now = timezone.now()
    event = CustodyEvent(
        evidence=evidence,
        seq=evidence.custody_length + 1,
        action=action,
        occurred_at=fields.pop("occurred_at", None) or now,
        recorded_by=by,
        recorded_by_name=by.display_name,
        recorded_by_agency_id=by.agency_id,
        recorded_at=now,
        prev_hash=evidence.custody_head or evidence.sha256,
        **fields,
    )
    if event.hash_observed:
        event.hash_matches = event.hash_observed == evidence.sha256
    event.entry_hash = chain.entry_hash(
        event.prev_hash, evidence.chain_reference, chain.event_values(event)
    )
    event.save()
    evidence.custody_length = event.seq
    evidence.custody_head = event.entry_hash
    return event


def create_evidence(incident, by, *, upload=None, **fields):
    """Log an item on ``incident``; with ``upload``, store the file (hashed while streamed).

    ``fields``: title, description, kind, sha256 (required unless a file gives it; when
    both are given they must agree), size, acquired_at, acquired_by_name, acquired_where,
    acquisition_method, seal_number.
    """
    _require_contribute(by, incident)
    if not by.agency_id:
        raise PermissionDenied(_("Only members of an agency log evidence."))
    errors = {}
    typed = _clean_hash(fields.pop("sha256", ""), "sha256", errors)
    if not (fields.get("title") or "").strip():
        errors["title"] = _("Give the item a title.")
    if fields.get("kind") not in EvidenceKind.values:
        errors["kind"] = _("Choose what kind of item this is.")
    for name, message in (
        ("acquired_by_name", _("Who acquired the item?")),
        ("acquired_where", _("Where was the item acquired?")),
    ):
        if not (fields.get(name) or "").strip():
            errors[name] = message
    if not fields.get("acquired_at"):
        errors["acquired_at"] = _("When was the item acquired?")
    _check_time(errors, "acquired_at", fields.get("acquired_at"))
    if upload is None and not typed and "sha256" not in errors:
        errors["sha256"] = _("Type the item's SHA-256 or attach the file.")
    if errors:
        if upload is not None and hasattr(upload, "close"):
            upload.close()  # a part file of the hashing handler is removed with it
        raise ValidationError(errors)

    stored = storage.store(upload, typed) if upload is not None else None
    try:
        with transaction.atomic():
            if stored is not None:
                charge_quota(by.agency_id, stored.size)
            return _create(incident, by, typed, stored, upload, fields)
    except BaseException:
        if stored is not None:
            stored.discard()  # nothing half-stored: the row is gone, so is the file
        raise


def _create(incident, by, typed, stored, upload, fields):
    now = timezone.now()
    size = fields.pop("size", None)
    evidence = Evidence(
        incident=incident,
        reference=allocate_reference("EV", now.year),
        sha256=stored.sha256 if stored else typed,
        size=stored.size if stored else size,
        file_path=stored.path if stored else "",
        file_name=(getattr(upload, "name", "") or "")[:255] if stored else "",
        holder_agency_id=by.agency_id,
        created_by=by,
        **{k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()},
    )
    evidence.holder_person = evidence.acquired_by_name  # who seized it holds it first
    evidence.full_clean(exclude=["reference", "holder_agency", "created_by", "incident"])
    evidence.save()
    _append(
        evidence,
        by,
        CustodyAction.ACQUIRED,
        occurred_at=evidence.acquired_at,
        to_agency_id=by.agency_id,
        to_person=evidence.acquired_by_name,
        location=evidence.acquired_where,
        purpose=evidence.acquisition_method,
        seal_ids=evidence.seal_number,
        hash_observed=evidence.sha256,
    )
    if evidence.seal_number:
        evidence.is_sealed = True
    evidence.save(update_fields=["custody_length", "custody_head", "is_sealed", "updated_at"])
    replication.publish_evidence(evidence)
    events.evidence_logged(evidence, by)
    return evidence


@transaction.atomic
def record_custody_event(evidence, by, action, **data):
    """Append one custody event; the item's state follows. Returns the event.

    ``data`` may hold: to_agency, to_person, occurred_at, location, purpose, channel,
    seal_ids, hash_observed, notes.
    """
    unknown = set(data) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown custody fields: {', '.join(sorted(unknown))}")
    rights = incident_actions(by, evidence.incident)
    _require_contribute(by, evidence.incident, rights)
    try:
        action = CustodyAction(action)
    except ValueError:
        raise ValidationError({"action": _("Unknown custody action.")}) from None
    if action == CustodyAction.ACQUIRED:
        raise TransitionNotAllowed(
            _("An item is acquired once, when it is logged."),
            allowed=allowed_custody_actions(evidence, by, rights),
        )
    # The lock serialises writers of this item: numbers without gaps, one open transfer.
    locked = Evidence.objects.select_for_update().select_related("incident").get(pk=evidence.pk)
    allowed = allowed_custody_actions(locked, by, rights)
    if action not in allowed:
        raise TransitionNotAllowed(_refusal(locked, by, action), allowed=allowed)

    errors = {}
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
    data["hash_observed"] = _clean_hash(data.get("hash_observed"), "hash_observed", errors)
    _check_time(errors, "occurred_at", data.get("occurred_at"))
    if data.get("occurred_at") and data["occurred_at"] < locked.acquired_at:
        errors["occurred_at"] = _("This step cannot precede the item's acquisition.")
    fields = {k: v for k, v in data.items() if v not in (None, "")}
    to_agency = fields.pop("to_agency", None)
    incident = locked.incident

    if action == CustodyAction.TRANSFERRED:
        if to_agency is None and not fields.get("to_person"):
            errors["to_agency"] = _("Name the agency of the case, or the person outside it.")
        elif to_agency is not None:
            role = (
                incident.participations.filter(agency=to_agency).values_list("role", flat=True)
            ).first()
            if to_agency.pk == locked.holder_agency_id:
                errors["to_agency"] = _("Your agency already holds the item.")
            elif role is None:
                errors["to_agency"] = _(
                    "%(agency)s does not take part in this incident: invite it first."
                ) % {"agency": to_agency.name}
            elif role == ParticipationRole.OBSERVER:
                errors["to_agency"] = _(
                    "%(agency)s only observes this incident: make it a contributor first."
                ) % {"agency": to_agency.name}
            elif to_agency.node_id and not (replication.is_on() and to_agency.node.is_active):
                # Its receipt is recorded there: the hand-over must reach that node.
                errors["to_agency"] = _(
                    "%(agency)s is on node %(node)s, which this node does not exchange with "
                    "now: the hand-over could not reach it."
                ) % {"agency": to_agency.name, "node": to_agency.node.name}
        if not fields.get("purpose"):
            errors["purpose"] = _("Say why the item is handed over.")
    elif action in (CustodyAction.ACCESSED, CustodyAction.ANALYSED, CustodyAction.COPIED):
        if not fields.get("purpose"):
            errors["purpose"] = _("Say why the item was %(action)s.") % {
                "action": action.label.lower()
            }
    elif action == CustodyAction.SEALED and not fields.get("seal_ids"):
        errors["seal_ids"] = _("Give the seal or packaging number.")
    elif action in (CustodyAction.RETURNED, CustodyAction.DISPOSED):
        if not fields.get("purpose"):
            errors["purpose"] = _("Give the reason or the authority behind it.")
        if action == CustodyAction.RETURNED and not fields.get("to_person"):
            errors["to_person"] = _("Name to whom the item was returned.")
    if errors:
        raise ValidationError(errors)

    holder_agency = locked.holder_agency
    if action == CustodyAction.TRANSFERRED:
        fields.update(from_agency_id=holder_agency.pk, from_person=locked.holder_person)
        if to_agency is not None:
            fields["to_agency_id"] = to_agency.pk
    elif action == CustodyAction.RECEIVED:
        # Close the open transfer: from its giver to the receiver's agency.
        last_transfer = (
            CustodyEvent.objects.filter(evidence=locked, action=CustodyAction.TRANSFERRED)
            .order_by("-seq")
            .values("from_agency_id", "from_person", "to_person", "occurred_at")
            .first()
        )
        if locked.status == EvidenceStatus.IN_TRANSIT and last_transfer:
            sent_at = last_transfer["occurred_at"]
            if fields.get("occurred_at") and fields["occurred_at"] < sent_at:
                raise ValidationError(
                    {"occurred_at": _("The item cannot arrive before it was handed over.")}
                )
            fields.update(
                from_agency_id=last_transfer["from_agency_id"],
                from_person=last_transfer["from_person"],
            )
        else:  # back from outside Concord
            fields.setdefault("from_person", (last_transfer or {}).get("to_person", ""))
        fields.update(
            to_agency_id=by.agency_id, to_person=fields.get("to_person") or by.display_name
        )
    elif action == CustodyAction.RETURNED:
        fields.update(from_agency_id=holder_agency.pk, from_person=locked.holder_person)
    else:
        fields.setdefault("from_agency_id", holder_agency.pk)
        fields.setdefault("from_person", locked.holder_person)

    event = _append(locked, by, action, **fields)
    apply_step(locked, event)
    if action == CustodyAction.RECEIVED:
        locked.custody_node = ""  # received here: this node records its steps from now on
    locked.save(update_fields=STEP_STATE_FIELDS)
    events.custody_recorded(locked, event, by)
    # An agency of another node is told by its own node, when the hand-over reaches it.
    if event.action == CustodyAction.TRANSFERRED and event.to_agency_id and not to_agency.node_id:
        alerts.custody_handover(locked, event, by)
    custody.publish_custody(locked)
    if event.hash_matches is False:
        events.evidence_compromised(locked, event, by)
        alerts.evidence_compromised(locked, event, by)
    _refresh(evidence, locked)
    return event


# The item's columns a step changes.
STEP_STATE_FIELDS = [
    "custody_length",
    "custody_head",
    "custody_node",
    "status",
    "holder_agency",
    "holder_person",
    "transit_to_agency",
    "is_sealed",
    "seal_number",
    "is_compromised",
    "updated_at",
]


def apply_step(item, event):
    """The item's state after ``event`` (recorded here, or copied from another node).

    A receipt makes the receiving agency the holder; a step copied from another node may
    name an agency this node does not know (None): the holder then stays as it was.
    """
    action = CustodyAction(event.action)
    if action == CustodyAction.TRANSFERRED:
        if event.to_agency_id:
            item.status = EvidenceStatus.IN_TRANSIT
            item.transit_to_agency_id = event.to_agency_id
        else:
            item.status = EvidenceStatus.TRANSFERRED
            item.holder_person = event.to_person
    elif action == CustodyAction.RECEIVED:
        item.status = EvidenceStatus.IN_CUSTODY
        item.holder_agency_id = event.to_agency_id or item.holder_agency_id
        item.holder_person = event.to_person
        item.transit_to_agency_id = None
    elif action == CustodyAction.RETURNED:
        item.status = EvidenceStatus.RETURNED
        item.holder_person = event.to_person
    elif action == CustodyAction.DISPOSED:
        item.status = EvidenceStatus.DISPOSED
    elif action == CustodyAction.SEALED:
        item.is_sealed = True
        item.seal_number = event.seal_ids
    elif action == CustodyAction.UNSEALED:
        item.is_sealed = False
    if event.hash_matches is False:
        item.is_compromised = True


def _refresh(target, source):
    for name in (
        "custody_length",
        "custody_head",
        "status",
        "holder_agency_id",
        "holder_person",
        "transit_to_agency_id",
        "custody_node",
        "is_sealed",
        "seal_number",
        "is_compromised",
        "chain_broken_seq",
        "updated_at",
    ):
        setattr(target, name, getattr(source, name))
    for cached in ("holder_agency", "transit_to_agency"):
        target._state.fields_cache.pop(cached, None)


def compromised_refusal(item):
    """Why a compromised item takes no further custody step."""
    if item.chain_is_broken:
        return _(
            "The chain of custody is broken at step %(seq)s: no further step can be recorded, "
            "as it would be chained to a record that cannot be trusted. Report it to your "
            "agency's security officer."
        ) % {"seq": item.chain_broken_seq}
    return _(
        "The item is flagged as compromised (a hash observed differs from its SHA-256): no "
        "further step can be recorded. Log what you hold now as a new item."
    )


def elsewhere_refusal(item):
    """Why no step is recorded here while another node holds the item."""
    if item.status == EvidenceStatus.IN_TRANSIT and item.transit_to_agency_id:
        return _(
            "The item is on its way from node %(node)s to %(agency)s: only its receipt by "
            "%(agency)s can be recorded here; its other steps are recorded on %(node)s."
        ) % {"node": item.custody_node, "agency": item.transit_to_agency.name}
    return _(
        "The item is held on node %(node)s: its custody steps are recorded there, and reach "
        "this node from it."
    ) % {"node": item.custody_node}


def _refusal(item, by, action):
    if item.is_compromised:
        return compromised_refusal(item)
    if item.custody_node:
        return elsewhere_refusal(item)
    status = EvidenceStatus(item.status)
    label = CustodyAction(action).label.lower()
    if status == EvidenceStatus.DISPOSED:
        return _("The item was disposed of: nothing can follow.")
    if status == EvidenceStatus.IN_TRANSIT:
        if action == CustodyAction.RECEIVED:
            return _(
                "Only a member of %(agency)s, to whom the item is in transit, receives it."
            ) % {"agency": item.transit_to_agency.name}
        return _("The item is in transit to %(agency)s: only its receipt can be recorded.") % {
            "agency": item.transit_to_agency.name
        }
    if by.agency_id != item.holder_agency_id:
        return _("Only %(agency)s, which holds the item, can record that it was %(action)s.") % {
            "agency": item.holder_agency.name,
            "action": label,
        }
    if action == CustodyAction.RECEIVED:
        return _("There is no open transfer of this item to receive.")
    if action == CustodyAction.SEALED:
        return _("The item is already sealed; unseal it first.")
    if action == CustodyAction.UNSEALED:
        return _("The item is not sealed.")
    return _("An item that is %(status)s cannot be %(action)s.") % {
        "status": status.label.lower(),
        "action": label,
    }


@transaction.atomic
def record_access(evidence, by, purpose=""):
    """A download of the stored file: an ``accessed`` event by whoever may see the item.

    Not a holder action: a digital copy in Concord is read by the case's people wherever
    the original is. Refused only after disposal (nothing follows it).
    """
    locked = Evidence.objects.select_for_update().select_related("incident").get(pk=evidence.pk)
    if locked.status == EvidenceStatus.DISPOSED:
        raise TransitionNotAllowed(
            _("The item was disposed of: nothing can follow, not even a download."), allowed=[]
        )
    if locked.is_compromised:
        raise TransitionNotAllowed(compromised_refusal(locked), allowed=[])
    if locked.custody_node:
        # The access would be a step of a chain that another node continues now.
        raise TransitionNotAllowed(elsewhere_refusal(locked), allowed=[])
    if not locked.has_file:
        raise ValidationError({"file": _("No file is stored for this item.")})
    event = _append(
        locked,
        by,
        CustodyAction.ACCESSED,
        from_agency_id=locked.holder_agency_id,
        from_person=locked.holder_person,
        to_agency_id=by.agency_id,
        to_person=by.display_name,
        channel=_("Download from Concord"),
        purpose=purpose or _("Stored file downloaded"),
    )
    locked.save(update_fields=["custody_length", "custody_head", "updated_at"])
    custody.publish_custody(locked)
    _refresh(evidence, locked)
    return event


@transaction.atomic
def verify_chain(evidence, by=None):
    """Verify ``evidence``'s chain and record the result; ``by`` None for a scheduled check.

    A broken chain flags the item as compromised and keeps its first broken step; the
    first time it is found, the case's timeline says so and every participant agency is
    alerted. Returns ``(verification row, chain.Verification)``.
    """
    locked = Evidence.objects.select_for_update().select_related("incident").get(pk=evidence.pk)
    result = chain.verify(locked)
    broken = result.broken
    record = CustodyVerification.objects.create(
        evidence=locked,
        checked_at=result.checked_at,
        checked_by=by,
        checked_by_name=by.display_name if by is not None else "Concord",
        checked_by_agency_id=by.agency_id if by is not None else None,
        ok=result.ok,
        length=result.length,
        verified_length=result.verified_length,
        final_hash=result.final_hash,
        broken_seq=result.broken_seq,
        broken_what=broken.what if broken else "",
        broken_expected=broken.expected[:200] if broken else "",
        broken_found=broken.found[:200] if broken else "",
        hash_mismatch_steps=result.compromised,
    )
    if broken is not None and not locked.chain_is_broken:
        locked.chain_broken_seq = broken.seq
        locked.is_compromised = True
        locked.save(update_fields=["chain_broken_seq", "is_compromised", "updated_at"])
        events.chain_broken(locked, record, by)
        alerts.chain_broken(locked, record, by)
    _refresh(evidence, locked)
    return record, result


def attach_file(evidence, by, upload):
    """Store the file of an item logged by hash alone; it must match the item's SHA-256."""
    rights = incident_actions(by, evidence.incident)
    _require_contribute(by, evidence.incident, rights)
    if evidence.is_replica:
        upload.close()
        raise ValidationError(
            {
                "file": _(
                    "This item was logged on node %(node)s: its file is stored there alone, "
                    "and files do not travel between nodes."
                )
                % {"node": evidence.origin_node}
            }
        )
    if evidence.has_file:
        upload.close()
        raise ValidationError({"file": _("A file is already stored for this item.")})
    stored = storage.store(upload, evidence.sha256)
    try:
        with transaction.atomic():
            # The file counts against the agency that logged the item.
            creator_agency = evidence.created_by.agency_id
            charge_quota(creator_agency, stored.size)
            updated = Evidence.objects.filter(pk=evidence.pk, file_path="").update(
                file_path=stored.path,
                file_name=(upload.name or "")[:255],
                size=stored.size,
                updated_at=timezone.now(),
            )
            if not updated:
                raise ValidationError({"file": _("A file is already stored for this item.")})
    except BaseException:
        stored.discard()
        raise
    evidence.file_path, evidence.file_name, evidence.size = (
        stored.path,
        (upload.name or "")[:255],
        stored.size,
    )
    return evidence


# TLP labels whose readers are fewer than the incident's: an evidence item has no TLP of
# its own and is seen by every participant, so their files stay attachments.
NOT_PROMOTABLE_TLP = (TLP.AMBER_STRICT, TLP.RED)


def promote_attachment(attachment, by, **fields):
    """Log a timeline entry's attachment as an evidence item: the same stored content,
    hashed again on the way (it must still match), custody starting with ``acquired``.

    The attachment keeps a link to the item (``attachment.evidence``, and
    ``evidence.source_attachment`` back); a timeline entry records the promotion.
    ``fields`` as for ``create_evidence`` (title, kind, acquired_at, ...).
    """
    entry = attachment.entry
    incident = entry.incident
    _require_contribute(by, incident)
    if not by.agency_id:
        raise PermissionDenied(_("Only members of an agency log evidence."))
    if entry.tlp in NOT_PROMOTABLE_TLP:
        raise ValidationError(
            _(
                "This attachment is %(tlp)s. As evidence every agency of the case would see "
                "it: log the item yourself with the readers' agreement instead."
            )
            % {"tlp": TLP(entry.tlp).label}
        )
    with transaction.atomic():
        locked = EntryAttachment.objects.select_for_update().get(pk=attachment.pk)
        if locked.evidence_id is not None:
            raise ValidationError(
                _("This attachment was already promoted to evidence %(reference)s.")
                % {"reference": locked.evidence.reference}
            )
        with open(storage.absolute(locked.file_path), "rb") as handle:
            evidence = create_evidence(
                incident,
                by,
                upload=File(handle, name=locked.file_name),
                sha256=locked.sha256,
                **fields,
            )
        EntryAttachment.objects.filter(pk=locked.pk).update(evidence=evidence)
        attachment.evidence = evidence
        events.attachment_promoted(evidence, attachment, by)
    return evidence
