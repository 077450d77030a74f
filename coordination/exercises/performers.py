"""What each kind of inject does in Concord, through the other apps' own actions.

An inject acts as a user of the agency it concerns (the first active one whose role may
do it), so every rule of the case holds for exercise content as for real content: the
append-only timeline, the custody chain, TLP, the request workflow. A missing player
(no investigator, no liaison officer) fails the inject with a reason the controller sees.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.models import User
from coordination.exercises.choices import InjectKind
from coordination.exercises.models import ExerciseIncident
from incidents.choices import Action


class InjectFailed(Exception):
    """The inject could not run; the message says why, for the controller."""


@dataclass
class Result:
    label: str = ""
    url: str = ""
    refs: dict = field(default_factory=dict)


def player(agency, roles, *, exclude=None):
    users = User.objects.filter(agency=agency, is_active=True, role__in=roles)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    order = {role: index for index, role in enumerate(roles)}
    found = sorted(users.select_related("agency"), key=lambda u: (order[u.role], u.pk))
    if not found:
        names = ", ".join(str(Role(r).label) for r in roles)
        raise InjectFailed(
            _("%(agency)s has no active user who may do this (%(roles)s).")
            % {"agency": agency.short_name, "roles": names}
        )
    return found[0]


def _incident(inject):
    key = inject.payload.get("incident")
    link = (
        ExerciseIncident.objects.filter(exercise=inject.exercise, key=key)
        .select_related("incident__lead_agency")
        .first()
    )
    if link is None:
        raise InjectFailed(
            _("Incident '%(key)s' has not been filed yet: release its inject first.") % {"key": key}
        )
    return link.incident


def _contributor(inject, incident):
    """A user of the inject's agency who may add to the case, else one of the lead agency."""
    from incidents.models import Incident

    roles = (Role.INVESTIGATOR, Role.SUPERVISOR, Role.LIAISON_OFFICER)
    for agency in (inject.agency, incident.lead_agency):
        try:
            user = player(agency, roles)
        except InjectFailed:
            continue
        if Incident.objects.restrict(user, Action.CONTRIBUTE).filter(pk=incident.pk).exists():
            return user
    raise InjectFailed(
        _("No one of %(agency)s or of the lead agency may add to %(reference)s.")
        % {"agency": inject.agency.short_name, "reference": incident.reference}
    )


def _file_incident(inject):
    from incidents import actions

    payload = inject.payload
    if ExerciseIncident.objects.filter(exercise=inject.exercise, key=payload["incident"]).exists():
        return _replayed_incident(inject)
    by = player(inject.agency, (Role.INVESTIGATOR, Role.SUPERVISOR))
    incident = actions.create_incident(
        by,
        title=inject.title,
        summary=payload.get("summary", ""),
        category=payload.get("category", "other"),
        severity=payload.get("severity", "medium"),
        tlp=payload.get("tlp", "amber"),
        is_exercise=True,
        detected_at=timezone.now(),
    )
    ExerciseIncident.objects.create(
        exercise=inject.exercise, key=payload["incident"], incident=incident
    )
    return Result(label=incident.reference, url=incident.get_absolute_url())


def _replayed_incident(inject):
    """An incident is filed once: replaying its inject notes the report again instead."""
    incident = _incident(inject)
    _add_entry(inject, incident, inject.payload.get("summary", inject.title))
    return Result(label=incident.reference, url=incident.get_absolute_url())


def _add_entry(inject, incident, text):
    from incidents import actions

    by = _contributor(inject, incident)
    body = f"**{_('Exercise inject')}: {inject.title}**\n\n{text}"
    entry = actions.add_timeline_entry(incident, by, body)
    return entry


def _timeline(inject):
    incident = _incident(inject)
    _add_entry(inject, incident, inject.payload["text"])
    return Result(label=incident.reference, url=incident.get_absolute_url() + "#timeline")


def _indicators(inject):
    from coordination.intel.actions import paste_indicators
    from coordination.intel.models import Indicator

    incident = _incident(inject)
    by = _contributor(inject, incident)
    before = set(Indicator.objects.filter(incident=incident).values_list("pk", flat=True))
    report = paste_indicators(
        incident,
        by,
        "\n".join(inject.payload["indicators"]),
        note=_("Exercise inject: %(title)s") % {"title": inject.title},
        skip_refused=True,
    )
    return Result(
        label=_("%(reference)s: %(n)d indicators")
        % {"reference": incident.reference, "n": report.accepted},
        url=incident.get_absolute_url(),
        refs={
            "indicators": sorted(
                set(Indicator.objects.filter(incident=incident).values_list("pk", flat=True))
                - before
            )
        },
    )


def _evidence(inject):
    from incidents.evidence.actions import create_evidence

    incident = _incident(inject)
    by = _contributor(inject, incident)
    item = inject.payload["evidence"]
    evidence = create_evidence(
        incident,
        by,
        title=inject.title,
        description=item.get("description", ""),
        kind=item["kind"],
        sha256=item["sha256"],
        acquired_at=timezone.now(),
        acquired_by_name=item["acquired_by"],
        acquired_where=item["acquired_where"],
    )
    return Result(label=evidence.reference, url=evidence.get_absolute_url())


def _request(inject):
    from coordination.assistance.actions import create_request
    from coordination.assistance.transitions import transition_request

    payload = inject.payload
    requesting = inject.exercise.assignments.get(role_key=payload["from"]).agency
    if requesting.pk == inject.agency_id:
        raise InjectFailed(_("A request goes to another agency than the one that sends it."))
    from incidents.models import Incident

    incident = _incident(inject)
    drafter = player(requesting, (Role.INVESTIGATOR, Role.SUPERVISOR, Role.LIAISON_OFFICER))
    approver = player(requesting, (Role.LIAISON_OFFICER,), exclude=drafter)
    spec = payload["request"]
    if not Incident.objects.restrict(drafter, Action.CONTRIBUTE).filter(pk=incident.pk).exists():
        raise InjectFailed(
            _(
                "%(agency)s does not work on %(reference)s: a request of the exercise is sent "
                "from one of its cases."
            )
            % {"agency": requesting.short_name, "reference": incident.reference}
        )
    request = create_request(
        drafter,
        incident=incident,
        legal_basis=spec["legal_basis"],
        measures=spec["measures"],
        urgency=spec.get("urgency", "routine"),
        urgency_reason=spec.get("urgency_reason", ""),
        facts=spec["facts"],
        offences=spec.get("offences", ""),
        dual_criminality=spec.get("dual_criminality", ""),
        receiving_agency=inject.agency,
        data_sought=[_data_item(item) for item in spec.get("data_sought", ())],
    )
    transition_request(request, "submit", drafter)
    transition_request(request, "approve", approver, confirm_addressee=True)
    return Result(
        label=request.reference, url=request.get_absolute_url(), refs={"requests": [request.pk]}
    )


def _data_item(item):
    """A scenario's item of data sought; an IP address is seen some time before the release."""
    from coordination.exercises.scenarios import parse_duration

    item = dict(item)
    before = item.pop("observed_before", None)
    if item.get("kind") == "ip_time":
        item["observed_at"] = timezone.now() - parse_duration(before or "6h")
    return item


def _email(inject):
    from coordination.exercises import alerts

    alerts.inject_email(inject, inject.payload["subject"], inject.payload["text"])
    return Result(label=inject.payload["subject"])


def _note(inject):
    return Result(label=_("Facilitator note"))


PERFORMERS = {
    InjectKind.INCIDENT: _file_incident,
    InjectKind.TIMELINE: _timeline,
    InjectKind.INDICATORS: _indicators,
    InjectKind.EVIDENCE: _evidence,
    InjectKind.REQUEST: _request,
    InjectKind.EMAIL: _email,
    InjectKind.NOTE: _note,
}


def perform(inject):
    """Do what ``inject`` says; ``InjectFailed`` names why it could not."""
    try:
        return PERFORMERS[inject.kind](inject)
    except ValidationError as exc:
        raise InjectFailed(" ".join(exc.messages)) from exc
