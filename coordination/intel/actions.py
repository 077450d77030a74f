"""Business operations on indicators: one function per verb, atomic, the only writers.

Views, API and the demo loader call these. They raise ``ValidationError`` (field
messages) for bad input and ``PermissionDenied`` when the actor may not contribute to
the incident; the caller has already checked that the actor may see it.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.federation import replication
from coordination.intel import alerts, events
from coordination.intel.choices import IndicatorType
from coordination.intel.correlation import hidden_owner_incidents
from coordination.intel.models import ContactRequest, Indicator
from coordination.intel.normalise import detect_type, normalise
from coordination.intel.warninglists import warning_lists
from incidents.choices import TLP, Action
from incidents.models import Incident
from incidents.permissions import allowed_actions

MAX_PASTE_LINES = 2000
FUTURE_TOLERANCE = timezone.timedelta(minutes=5)


class Outcome:
    ADDED = "added"
    MERGED = "merged"
    REFUSED = "refused"


@dataclass
class LineResult:
    """What became of one pasted line."""

    line: int
    raw: str
    outcome: str
    type: str = ""
    value: str = ""
    reason: str = ""
    duplicate_of_line: int | None = None
    # Names of the MISP warning lists the value is on: it stays out of blocklists.
    warning_lists: list = field(default_factory=list)

    @property
    def type_label(self):
        return IndicatorType(self.type).label if self.type else ""


@dataclass
class PasteReport:
    lines: list = field(default_factory=list)
    stored: bool = False  # False: nothing was written (refused lines, or a preview)

    def _count(self, outcome):
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def added(self):
        return self._count(Outcome.ADDED)

    @property
    def merged(self):
        return self._count(Outcome.MERGED)

    @property
    def refused(self):
        return self._count(Outcome.REFUSED)

    @property
    def accepted(self):
        return self.added + self.merged

    @property
    def warned(self):
        """Accepted lines on a MISP warning list: kept, but out of blocklists."""
        return sum(1 for line in self.lines if line.warning_lists and line.outcome != "refused")


def _require_contribute(by, incident):
    if Action.CONTRIBUTE not in allowed_actions(by, incident):
        raise PermissionDenied(_("You may not add indicators to this incident."))


def _check_common(incident, *, tlp, first_seen, last_seen, confidence):
    """Field errors of what a single add and a bulk paste share."""
    errors = {}
    if tlp not in TLP.values:
        errors["tlp"] = _("Choose a TLP label.")
    elif TLP.rank(tlp) < TLP.rank(incident.tlp):
        errors["tlp"] = _(
            "This incident is %(incident_tlp)s: an indicator cannot be marked lower."
        ) % {"incident_tlp": TLP(incident.tlp).label}
    now = timezone.now()
    for name, moment in (("first_seen", first_seen), ("last_seen", last_seen)):
        if moment and moment > now + FUTURE_TOLERANCE:
            errors[name] = _("This time is in the future.")
    if first_seen and last_seen and last_seen < first_seen and "last_seen" not in errors:
        errors["last_seen"] = _("Last seen cannot be before first seen.")
    if confidence is not None and not (0 <= confidence <= 100):
        errors["confidence"] = _("Confidence goes from 0 to 100.")
    return errors


def _check_audience(incident, *, tlp, audience):
    """Field errors of the named recipients: TLP:RED only, people of the case's agencies."""
    if not audience:
        return {}
    if tlp != TLP.RED:
        return {"audience": _("Named recipients are only for TLP:RED indicators.")}
    participating = set(incident.participations.values_list("agency_id", flat=True))
    if any(not u.may_be_named or u.agency_id not in participating for u in audience):
        return {"audience": _("Named recipients must belong to a participating agency.")}
    return {}


def check_indicator(
    incident, *, tlp, first_seen=None, last_seen=None, confidence=None, audience=()
):
    """Raise the field errors a single add would raise for these attributes."""
    errors = _check_common(
        incident, tlp=tlp, first_seen=first_seen, last_seen=last_seen, confidence=confidence
    )
    errors.update(_check_audience(incident, tlp=tlp, audience=list(audience)))
    if errors:
        raise ValidationError(errors)


def _merge_refusal(existing, by, *, tlp, audience, readable):
    """Why ``by`` may not fold a sighting into ``existing`` on the same incident, or None.

    The incident holds one row per observable, so a hidden row cannot be shown nor
    doubled: adding it is refused (the adder learns only that the value they hold is
    recorded here under a label not shared with them). Nobody may mark someone else's
    indicator so that they lose sight of it, and only the person who added a TLP:RED
    indicator names its recipients (TLP:RED is not passed on by its recipients).
    """
    if not readable:
        return _(
            "This value is already recorded on this incident under a TLP label that is not "
            "shared with you."
        )
    raises_to_strict = tlp == TLP.AMBER_STRICT and TLP.rank(existing.tlp) < TLP.rank(tlp)
    if raises_to_strict and existing.owner_agency_id != by.agency_id:
        return _(
            "This indicator belongs to another agency: only that agency may mark it "
            "TLP:AMBER+STRICT. Mark it TLP:RED and name its recipients instead."
        )
    if audience and existing.tlp == TLP.RED and existing.added_by_id != by.pk:
        return _("Only the person who added a TLP:RED indicator names its recipients.")
    return None


def _widen_audience(indicator, by, audience):
    """After a merge left ``indicator`` TLP:RED: who merged it and whom they named read it.

    Returns the ids of its readers. ``audience`` of the indicator must be prefetched.
    """
    readers = indicator.readers()
    if indicator.tlp != TLP.RED:
        return readers
    joining = {user.pk for user in audience} | {by.pk}
    joining -= readers
    if joining:
        indicator.audience.add(*joining)
    return readers | joining


def _merge(existing, *, tlp, first_seen, last_seen, confidence, note):
    """Fold a new sighting into the stored indicator; returns the changed field names."""
    changed = []
    if TLP.rank(tlp) > TLP.rank(existing.tlp):
        existing.tlp = tlp
        changed.append("tlp")
    if first_seen and (existing.first_seen is None or first_seen < existing.first_seen):
        existing.first_seen = first_seen
        changed.append("first_seen")
    if last_seen and (existing.last_seen is None or last_seen > existing.last_seen):
        existing.last_seen = last_seen
        changed.append("last_seen")
    if confidence is not None and (existing.confidence is None or confidence > existing.confidence):
        existing.confidence = confidence
        changed.append("confidence")
    note = (note or "").strip()
    if note and note not in existing.note:
        existing.note = f"{existing.note}\n\n{note}".strip()
        changed.append("note")
    return changed


def _lock(incident):
    """Serialise indicator writes to one incident (two pastes of the same value at once)."""
    Incident.objects.select_for_update().filter(pk=incident.pk).values_list("pk").first()


def _touch(incident):
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())


@transaction.atomic
def add_indicator(
    incident,
    by,
    *,
    value,
    type="",
    tlp=None,
    first_seen=None,
    last_seen=None,
    confidence=None,
    note="",
    audience=(),
):
    """Add one indicator, or merge it into the same one already on the incident.

    ``audience``: the named recipients of a TLP:RED indicator (users of the case's
    agencies). Returns ``(indicator, created)``.
    """
    _require_contribute(by, incident)
    tlp = tlp or incident.tlp
    audience = list(audience)
    errors = _check_common(
        incident, tlp=tlp, first_seen=first_seen, last_seen=last_seen, confidence=confidence
    )
    errors.update(_check_audience(incident, tlp=tlp, audience=audience))
    try:
        type = type or detect_type(value)
        value = normalise(type, value)
    except ValidationError as exc:
        errors["value"] = exc.messages
    if errors:
        raise ValidationError(errors)
    _lock(incident)
    existing = (
        Indicator.objects.filter(incident=incident, type=type, value=value)
        .prefetch_related("audience")
        .first()
    )
    if existing is not None:
        existing.incident = incident
        readable = Indicator.objects.filter(pk=existing.pk).visible_to(by).exists()
        refusal = _merge_refusal(existing, by, tlp=tlp, audience=audience, readable=readable)
        if refusal:
            field = "value" if not readable else "audience" if audience else "tlp"
            raise ValidationError({field: refusal})
        changed = _merge(
            existing,
            tlp=tlp,
            first_seen=first_seen,
            last_seen=last_seen,
            confidence=confidence,
            note=note,
        )
        if changed:
            existing.save(update_fields=[*changed, "updated_at"])
        readers = _widen_audience(existing, by, audience)
        if changed or audience:
            replication.publish_indicator_change(existing, label_raised="tlp" in changed)
        events.indicator_merged(incident, by, existing, readers=readers)
        _touch(incident)
        return existing, False
    indicator = Indicator.objects.create(
        incident=incident,
        type=type,
        value=value,
        tlp=tlp,
        first_seen=first_seen,
        last_seen=last_seen,
        confidence=confidence,
        note=(note or "").strip(),
        added_by=by,
        added_by_agency_id=by.agency_id,
    )
    if audience:
        indicator.audience.set(audience)
    replication.publish_indicator(indicator)
    events.indicator_added(incident, by, indicator, readers={by.pk, *(u.pk for u in audience)})
    _touch(incident)
    return indicator, True


def parse_paste(text):
    """``(line number, raw text)`` of every line worth reading: blanks and ``#`` comments skipped."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            rows.append((number, stripped))
    return rows


@transaction.atomic
def paste_indicators(
    incident,
    by,
    text,
    *,
    tlp=None,
    first_seen=None,
    last_seen=None,
    confidence=None,
    note="",
    audience=(),
    skip_refused=False,
    preview=False,
):
    """Add many indicators, one per line, types detected and defanged forms refanged.

    Every line is reported as added, merged (with one on the incident or an earlier line)
    or refused with its reason. Nothing is half-imported: if a line is refused and
    ``skip_refused`` is false, nothing is stored; otherwise every accepted line is stored in
    this one transaction, or none is. ``preview`` reports without storing. ``audience``
    names the recipients of TLP:RED lines, as for a single add.
    """
    _require_contribute(by, incident)
    tlp = tlp or incident.tlp
    audience = list(audience)
    errors = _check_common(
        incident, tlp=tlp, first_seen=first_seen, last_seen=last_seen, confidence=confidence
    )
    errors.update(_check_audience(incident, tlp=tlp, audience=audience))
    rows = parse_paste(text)
    if not rows:
        errors["text"] = _("Paste at least one indicator, one per line.")
    elif len(rows) > MAX_PASTE_LINES:
        errors["text"] = _("Paste at most %(max)d lines at a time (you pasted %(n)d).") % {
            "max": MAX_PASTE_LINES,
            "n": len(rows),
        }
    if errors:
        raise ValidationError(errors)

    report = PasteReport()
    seen = {}  # (type, value) -> first line number
    for number, raw in rows:
        try:
            type_ = detect_type(raw)
            value = normalise(type_, raw)
        except ValidationError as exc:
            report.lines.append(
                LineResult(number, raw, Outcome.REFUSED, reason=" ".join(exc.messages))
            )
            continue
        key = (type_, value)
        if key in seen:
            report.lines.append(
                LineResult(number, raw, Outcome.MERGED, type_, value, duplicate_of_line=seen[key])
            )
            continue
        seen[key] = number
        report.lines.append(
            LineResult(number, raw, Outcome.ADDED, type_, value, warning_lists=warning_lists(*key))
        )

    marking = {"tlp": tlp, "audience": audience}
    _mark_existing(incident, by, report, seen, **marking)
    if preview or (report.refused and not skip_refused) or not report.accepted:
        return report

    _lock(incident)
    existing = _mark_existing(incident, by, report, seen, **marking)
    to_create = []
    for line in report.lines:
        if line.outcome != Outcome.ADDED:
            continue
        indicator = Indicator(
            incident=incident,
            type=line.type,
            value=line.value,
            tlp=tlp,
            first_seen=first_seen,
            last_seen=last_seen,
            confidence=confidence,
            note=(note or "").strip(),
            added_by=by,
            added_by_agency_id=by.agency_id,
        )
        to_create.append(indicator)
    added = Indicator.objects.bulk_create(to_create)
    if audience and added:
        through = Indicator.audience.through
        through.objects.bulk_create(
            [through(indicator_id=i.pk, user_id=u.pk) for i in added for u in audience]
        )
    replication.publish_indicators(added)
    readers = {i.pk: {by.pk, *(u.pk for u in audience)} for i in added}
    merged, to_update, fields, raised = [], [], set(), set()
    for indicator in existing.values():
        changed = _merge(
            indicator,
            tlp=tlp,
            first_seen=first_seen,
            last_seen=last_seen,
            confidence=confidence,
            note=note,
        )
        merged.append(indicator)
        if changed:
            to_update.append(indicator)
            fields.update(changed)
        if "tlp" in changed:
            raised.add(indicator.pk)
        readers[indicator.pk] = _widen_audience(indicator, by, audience)
    if to_update:
        now = timezone.now()
        for indicator in to_update:
            indicator.updated_at = now
        Indicator.objects.bulk_update(to_update, [*sorted(fields), "updated_at"])
    for indicator in {i.pk: i for i in [*to_update, *(merged if audience else [])]}.values():
        replication.publish_indicator_change(indicator, label_raised=indicator.pk in raised)
    events.indicators_pasted(incident, by, added, merged, readers=readers)
    _touch(incident)
    report.stored = True
    return report


def _mark_existing(incident, by, report, seen, *, tlp, audience):
    """Turn lines whose observable the incident already holds into merges, or refuse them
    (``_merge_refusal``); returns the rows merged into, by ``(type, value)``."""
    if not seen:
        return {}
    by_type = {}
    for type_, value in seen:
        by_type.setdefault(type_, []).append(value)
    query = Q()
    for type_, values in by_type.items():
        query |= Q(type=type_, value__in=values)
    found = {}
    for indicator in Indicator.objects.filter(query, incident=incident).prefetch_related(
        "audience"
    ):
        indicator.incident = incident
        found[(indicator.type, indicator.value)] = indicator
    readable = set()
    if found:
        readable = set(
            Indicator.objects.filter(pk__in=[i.pk for i in found.values()])
            .visible_to(by)
            .values_list("pk", flat=True)
        )
    existing = {}
    for line in report.lines:
        indicator = found.get((line.type, line.value))
        if indicator is None or line.outcome == Outcome.REFUSED:
            continue
        refusal = _merge_refusal(
            indicator, by, tlp=tlp, audience=audience, readable=indicator.pk in readable
        )
        if refusal:
            line.outcome, line.reason, line.duplicate_of_line = Outcome.REFUSED, refusal, None
            if indicator.pk not in readable:
                line.type, line.value = "", ""  # the stored form is not the paster's to see
            continue
        if line.outcome == Outcome.ADDED:
            line.outcome = Outcome.MERGED
        existing[(indicator.type, indicator.value)] = indicator
    return existing


@transaction.atomic
def request_contact(indicator, by):
    """Ask the lead agencies of the cases hiding the same observable to get in touch.

    Each owning case's lead agency is notified once per asking agency; the asker learns
    nothing but how many cases were asked (which the sightings count already told).
    Returns the number of cases newly asked.
    """
    incident = indicator.incident
    _require_contribute(by, incident)
    if not by.agency_id:
        raise PermissionDenied(_("Only members of an agency may ask for contact."))
    owners = hidden_owner_incidents(by, indicator.type, indicator.value, exclude_incident=incident)
    if not owners:
        raise ValidationError(
            _("This indicator is not seen in any case hidden from you: nobody to contact.")
        )
    already = set(
        ContactRequest.objects.filter(
            requester_agency_id=by.agency_id,
            to_incident_id__in=owners,
            type=indicator.type,
            value=indicator.value,
        ).values_list("to_incident_id", flat=True)
    )
    new_owners = [pk for pk in owners if pk not in already]
    if not new_owners:
        raise ValidationError(_("Your agency has already asked for contact about this indicator."))
    ContactRequest.objects.bulk_create(
        [
            ContactRequest(
                from_incident=incident,
                to_incident_id=pk,
                requester_agency_id=by.agency_id,
                requested_by=by,
                requested_by_name=by.display_name,
                type=indicator.type,
                value=indicator.value,
            )
            for pk in new_owners
        ],
        ignore_conflicts=True,  # a colleague asked at the same moment: theirs stands
    )
    stored = ContactRequest.objects.filter(
        requester_agency_id=by.agency_id,
        to_incident_id__in=new_owners,
        type=indicator.type,
        value=indicator.value,
    ).select_related("to_incident", "to_incident__lead_agency", "requester_agency")
    for contact in stored:
        events.contact_requested_by_other(
            contact.to_incident, by, contact.requester_agency, contact.type, contact.value
        )
        alerts.contact_requested(contact, by)
    events.contact_requested(incident, by, indicator, len(new_owners))
    return len(new_owners)


def allow_in_blocklists(indicator, by):
    """Let a value on a MISP warning list into blocklists anyway, for this indicator.

    Recorded with who and when; the incident's timeline says which lists it is on.
    """
    incident = indicator.incident
    _require_contribute(by, incident)
    lists = warning_lists(indicator.type, indicator.value)
    if not lists:
        raise ValidationError(
            {"blocklist_allowed": _("This value is on no warning list: it is already listed.")}
        )
    with transaction.atomic():
        _lock(incident)
        updated = Indicator.objects.filter(
            pk=indicator.pk, blocklist_allowed_at__isnull=True
        ).update(
            blocklist_allowed_at=timezone.now(),
            blocklist_allowed_by=by,
            blocklist_allowed_by_name=by.get_full_name() or by.get_username(),
        )
        if updated:
            indicator.refresh_from_db()
            readers = indicator.readers() if indicator.tlp == TLP.RED else ()
            events.indicator_allowed_in_blocklists(incident, by, indicator, lists, readers=readers)
    return indicator
