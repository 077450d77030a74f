"""Who hears about a request's transitions: built here, delivered by notifications.

Called from ``transitions`` inside the transition's transaction (the outbox rows commit
or roll back with it). Mail about one request threads together; confidential material
(a TLP:AMBER+STRICT or RED incident, or a request whose confidentiality was asked) never
travels in an email body, only a link that needs sign-in.

- submitted: the liaison officers of the requesting agency (someone must approve); where
  judicial validation is needed, the liaison officers, supervisors and mailboxes of the
  judicial agencies of the issuing State that may give it, the requesting agency's liaison
  officers only learn that it waits for validation;
- validated and sent: the requested side as for any sent request, and the requesting
  agency's liaison officers and drafter;
- sent: the liaison officers of the requested country's receiving agency and its
  functional mailbox;
- every later transition: the other side's liaison officers and the drafter; a forward
  also reaches the new executing agency and its mailbox; questions, answers, refusals and
  fulfilment carry the comment;
- an order to a service provider: when sent, the notified enforcing authority's liaison
  officers, supervisors and mailbox (Regulation (EU) 2023/1543 Art. 8), with the end of its
  refusal window (Art. 12(1)); its decision reaches the issuing side's officers; a
  withdrawal reaches it too.
"""

import copy

from django.utils.translation import gettext_lazy as _

from accounts.choices import Role, lazy_country_name
from accounts.models import Agency, User
from coordination.assistance import provider_orders
from coordination.assistance.choices import (
    TRANSITIONS,
    ActionName,
    DeadlineKind,
    LegalBasis,
    Side,
    Status,
    Urgency,
)
from coordination.assistance.validation_rules import (
    VALIDATE_LABEL,
    VALIDATOR_ROLES,
    lazy_who_must_validate,
    validation_needed,
)
from coordination.notifications.choices import Event
from coordination.notifications.services import Message, notify
from incidents.alerts import CONFIDENTIAL_TLP, mailbox_of
from incidents.choices import TLP

# The subject line of each transition, as the recipient reads it (lazy: their language).
HEADLINES = {
    ActionName.SUBMIT: _("Request awaiting your approval"),
    ActionName.APPROVE: _("Request for assistance received"),
    ActionName.RETURN: _("Request returned to the drafter"),
    ActionName.ACKNOWLEDGE: _("Receipt acknowledged"),
    ActionName.ACCEPT: _("Request accepted for execution"),
    ActionName.FORWARD: _("Request forwarded to the competent agency"),
    ActionName.EXTEND: _("Decision deadline extended"),
    ActionName.DECIDE_PROVISIONAL: _("Provisional measures decided"),
    ActionName.ASK_INFORMATION: _("Information requested"),
    ActionName.ANSWER: _("Information answered"),
    ActionName.CONFIRM_PRESERVATION: _("Preservation confirmed"),
    ActionName.EXTEND_PRESERVATION: _("Preservation extended"),
    ActionName.LINK_FOLLOW_UP: _("Follow-up request linked: data held"),
    ActionName.FULFIL: _("Request fulfilled"),
    ActionName.FULFIL_PARTLY: _("Request partly fulfilled"),
    ActionName.REFUSE: _("Request refused"),
    ActionName.WITHDRAW: _("Request withdrawn"),
    ActionName.CLOSE: _("Request closed"),
    ActionName.RECORD_RECEIPT: _("Receipt by the provider recorded"),
    ActionName.RECORD_CLARIFICATION_REQUEST: _("The provider asks for clarification"),
    ActionName.RECORD_PRESERVATION: _("Preservation by the provider recorded"),
    ActionName.RECORD_DATA: _("Data received from the provider"),
    ActionName.RECORD_DATA_PARTLY: _("Data received in part from the provider"),
    ActionName.RECORD_IMPOSSIBILITY: _("The provider cannot execute the order"),
    ActionName.CONFIRM_NO_GROUNDS: _("The enforcing authority raises no ground for refusal"),
    ActionName.RAISE_REFUSAL_GROUNDS: _("The enforcing authority raises grounds for refusal"),
}
# Subject line of the notification of an order to the enforcing authority (Art. 8(1)).
NOTIFIED_HEADLINE = _(
    "European Production Order notified to you (Regulation (EU) 2023/1543 Art. 8)"
)

# Transitions whose comment is the message itself (questions, answers, grounds, results).
COMMENT_CARRIED = {
    ActionName.RETURN,
    ActionName.EXTEND,
    ActionName.DECIDE_PROVISIONAL,
    ActionName.ASK_INFORMATION,
    ActionName.ANSWER,
    ActionName.FULFIL,
    ActionName.FULFIL_PARTLY,
    ActionName.REFUSE,
    ActionName.WITHDRAW,
    ActionName.RECORD_CLARIFICATION_REQUEST,
    ActionName.RECORD_DATA_PARTLY,
    ActionName.RECORD_IMPOSSIBILITY,
    ActionName.CONFIRM_NO_GROUNDS,
    ActionName.RAISE_REFUSAL_GROUNDS,
}


def request_thread(request):
    """All mail about one request threads together in the recipient's mail client."""
    return f"request.{request.reference}"


def liaison_officers(agency_id):
    if not agency_id:
        return User.objects.none()
    return User.objects.filter(agency_id=agency_id, role=Role.LIAISON_OFFICER, is_active=True)


def is_exercise(request):
    """A request of an exercise case: its emails say so."""
    return bool(request.incident_id and request.incident.is_exercise)


def is_confidential(request):
    """No details by email: the request is TLP:AMBER+STRICT or RED, confidentiality was
    asked, or its incident is marked so (DESIGN.md section 3)."""
    return bool(
        request.tlp in CONFIDENTIAL_TLP
        or request.confidentiality_requested
        or (request.incident_id and request.incident.tlp in CONFIDENTIAL_TLP)
    )


def _message(request, event, action, by, comment, row):
    return Message(
        event=event,
        key=f"request:{request.pk}:{row.pk}",
        link=request.get_absolute_url(),
        thread=request_thread(request),
        confidential=is_confidential(request),
        exercise=is_exercise(request),
        context={
            "reference": request.reference,
            "tlp": TLP(request.tlp).label,
            "headline": HEADLINES[action],
            "action": ActionName(action).label,
            # Lazy labels: each recipient reads them in their own language.
            "status": Status(request.status).label,
            "basis": LegalBasis(request.legal_basis).label,
            "urgency": Urgency(request.urgency).label,
            "requesting_agency": request.requesting_agency.name,
            "requested_country": lazy_country_name(request.requested_country.code),
            # From the history row: a step taken on another node has no user here.
            "actor_name": row.actor_name,
            "actor_agency": row.actor_agency_name,
            "comment": comment if action in COMMENT_CARRIED else "",
            "due_at": request.due_at,
            "due_kind": DeadlineKind(request.due_kind).label if request.due_kind else "",
            "is_emergency": request.urgency == "emergency",
            "refusal_until": provider_orders.refusal_window_end(request)
            if event == Event.REQUEST_SENT
            else None,
        },
    )


def _order_sent(request, action, by, comment, row):
    """An order leaves for the provider: the enforcing authority hears of it when Art. 8(1)
    asks for the notification; nobody else outside the issuing agency does."""
    if not (request.notification_required and request.enforcing_agency_id):
        return []
    agency = request.enforcing_agency
    message = _message(request, Event.REQUEST_SENT, action, by, comment, row)
    message.context["headline"] = NOTIFIED_HEADLINE
    return notify(
        message,
        users=User.objects.filter(
            agency_id=agency.pk,
            role__in=[Role.LIAISON_OFFICER, Role.SUPERVISOR],
            is_active=True,
        ),
        mailboxes=[mailbox_of(agency)],
    )


HEADLINE_AWAITING_VALIDATION = _("Order awaiting your judicial validation")
HEADLINE_VALIDATION_ASKED = _("Request awaiting judicial validation")
HEADLINE_VALIDATED = _("Request validated and sent")


def validators(request, requirement):
    """The judicial agencies of the issuing State whose kind may validate ``request``."""
    return (
        Agency.objects.active()
        .filter(country=request.requesting_agency.country.code, kind__in=requirement.kinds)
        .exclude(pk=request.requesting_agency_id)
    )


def _awaiting_validation(request, requirement, message, requesting_officers):
    """Submitted for validation: the validators hear it; the requesting agency learns who."""
    agencies = list(validators(request, requirement))
    message.context["validation"] = lazy_who_must_validate(request, requirement)
    users = User.objects.filter(
        agency__in=agencies, role__in=VALIDATOR_ROLES, is_active=True
    ).select_related("agency")
    to_validators = copy.copy(message)
    to_validators.context = {**message.context, "headline": HEADLINE_AWAITING_VALIDATION}
    rows = notify(
        to_validators,
        users=users,
        mailboxes=[mailbox_of(agency) for agency in agencies if agency.mailbox],
    )
    to_requesting = copy.copy(message)
    to_requesting.context = {**message.context, "headline": HEADLINE_VALIDATION_ASKED}
    return rows + notify(to_requesting, users=requesting_officers)


def _here(users, by):
    """The people of this node's agencies, but the actor: someone of another node's agency
    known here hears of a request from their own node (a link here they cannot open)."""
    return [
        u
        for u in users
        if u.is_active and (by is None or u.pk != by.pk) and not (u.agency_id and u.agency.node_id)
    ]


def _local_mailboxes(agencies):
    """The functional mailboxes of this node's agencies among ``agencies``."""
    return [mailbox_of(a) for a in agencies if a is not None and not a.node_id and a.mailbox]


def request_transitioned(request, action, from_status, by, comment, row):
    """Write the notifications of one transition (see the module docstring for who).

    ``by`` is None for a step taken on another node (``row`` names its actor). An agency of
    another node hears of a request from its own node, never from this one."""
    action = ActionName(action)
    requirement = validation_needed(request)
    if action == ActionName.SUBMIT:
        users = liaison_officers(request.requesting_agency_id).exclude(pk=by.pk)
        message = _message(request, Event.REQUEST_SUBMITTED, action, by, comment, row)
        if requirement is None:
            return notify(message, users=users)
        return _awaiting_validation(request, requirement, message, users)
    if action == ActionName.APPROVE:
        if request.is_provider_order:
            sent = _order_sent(request, action, by, comment, row)
        elif request.receiving_agency.node_id:
            sent = []  # it arrives on the addressee's node, which tells its people
        else:
            agency = request.receiving_agency
            sent = notify(
                _message(request, Event.REQUEST_SENT, action, by, comment, row),
                users=liaison_officers(agency.pk),
                mailboxes=[mailbox_of(agency)],
            )
        if request.validated_by_id is None:
            return sent
        # The requesting agency did not send it itself: it learns that it was validated.
        message = _message(request, Event.REQUEST_UPDATED, action, by, "", row)
        message.context |= {
            "headline": HEADLINE_VALIDATED,
            "action": VALIDATE_LABEL,
            "validation": lazy_who_must_validate(request, requirement),
        }
        users = [*liaison_officers(request.requesting_agency_id), request.created_by]
        return sent + notify(message, users=[u for u in users if u.pk != by.pk])
    message = _message(request, Event.REQUEST_UPDATED, action, by, comment, row)
    if action == ActionName.RETURN:
        return notify(message, users=_here([request.created_by], by))
    if TRANSITIONS[action].side == Side.REQUESTING:
        other = {request.acting_agency_id}
    else:
        other = {request.requesting_agency_id}
    mailboxes = []
    if (
        action == ActionName.WITHDRAW
        and request.notification_required
        and request.enforcing_agency_id
    ):
        # The notified enforcing authority need no longer assess the order.
        other.add(request.enforcing_agency_id)
        mailboxes += _local_mailboxes([request.enforcing_agency])
    if action == ActionName.FORWARD:
        # The agency it now rests with learns of it like a newly sent request.
        other.add(request.executing_agency_id)
        mailboxes += _local_mailboxes([request.executing_agency])
    users = list(
        User.objects.filter(
            agency_id__in=other - {None}, role=Role.LIAISON_OFFICER, is_active=True
        ).select_related("agency")
    )
    users.append(request.created_by)
    return notify(message, users=_here(users, by), mailboxes=mailboxes)


# Subject lines of the escalation levels (lazy: the recipient's language).
ESCALATION_HEADLINES = {
    "reminder": _("Deadline approaching"),
    "overdue": _("Deadline passed"),
    "long_overdue": _("Deadline long passed"),
}


def _escalation_recipients(request, level, row):
    """Who hears of a deadline: liaison officers of the agencies concerned; their
    supervisors once overdue. The requested side's deadlines concern both sides; the
    issuing side's and a provider's concern the issuing side; the enforcing authority's
    window concerns the enforcing authority."""
    from coordination.assistance.choices import EscalationLevel, Party

    roles = [Role.LIAISON_OFFICER]
    if level != EscalationLevel.REMINDER:
        roles.append(Role.SUPERVISOR)
    if row.party == Party.REQUESTED:
        agencies = {request.requesting_agency_id, request.acting_agency_id}
    elif row.party == Party.ENFORCING:
        agencies = {request.enforcing_agency_id}
    else:
        agencies = {request.requesting_agency_id}
    return User.objects.filter(
        agency_id__in=agencies - {None}, role__in=roles, is_active=True, agency__node__isnull=True
    )


def _central_authority_mailboxes(request, row):
    """Long overdue: the central authority of the country that owes the deadline."""
    from accounts.choices import AgencyKind
    from accounts.models import Agency
    from coordination.assistance.choices import Party

    if row.party in (Party.REQUESTED, Party.ENFORCING):
        country = request.requested_country
    else:
        country = request.requesting_agency.country
    authorities = Agency.objects.filter(
        country=country, kind=AgencyKind.CENTRAL_AUTHORITY, node__isnull=True
    )
    return [mailbox_of(agency) for agency in authorities if agency.mailbox]


def deadline_escalated(request, escalation, row):
    """A threshold of a running deadline passed: who must act hears it, once per level."""
    from coordination.assistance.choices import EscalationLevel, Party

    level = EscalationLevel(escalation.level)
    mailboxes = []
    if level == EscalationLevel.LONG_OVERDUE:
        mailboxes = _central_authority_mailboxes(request, row)
    message = Message(
        event=Event.REQUEST_DEADLINE,
        key=f"escalation:{escalation.pk}",
        link=request.get_absolute_url(),
        thread=request_thread(request),
        confidential=is_confidential(request),
        exercise=is_exercise(request),
        context={
            "reference": request.reference,
            "tlp": TLP(request.tlp).label,
            "headline": ESCALATION_HEADLINES[level],
            "level": level.value,
            "level_label": level.label,
            "basis": LegalBasis(request.legal_basis).label,
            "urgency": Urgency(request.urgency).label,
            "requesting_agency": request.requesting_agency.name,
            "requested_country": lazy_country_name(request.requested_country.code),
            "status": Status(request.status).label,
            "due_kind": DeadlineKind(escalation.due_kind).label,
            "due_at": escalation.due_at,
            "party": Party(row.party).label,
            "owed_by_requested_side": row.party == Party.REQUESTED,
            "is_emergency": request.urgency == "emergency",
        },
    )
    return notify(message, users=_escalation_recipients(request, level, row), mailboxes=mailboxes)


def delay_announced(request, notice):
    """The requested side's delay notice reaches the requesting side."""
    users = list(liaison_officers(request.requesting_agency_id))
    if request.created_by.is_active:
        users.append(request.created_by)
    agency = request.requesting_agency
    message = Message(
        event=Event.REQUEST_DELAY_NOTICE,
        key=f"delay-notice:{notice.pk}",
        link=request.get_absolute_url(),
        thread=request_thread(request),
        confidential=is_confidential(request),
        exercise=is_exercise(request),
        context={
            "reference": request.reference,
            "tlp": TLP(request.tlp).label,
            "headline": _("Delay announced"),
            "due_kind": DeadlineKind(notice.due_kind).label,
            "due_at": notice.due_at,
            "new_estimate": notice.new_estimate,
            "reasons": notice.reasons,
            "actor_name": notice.sent_by_name,
            "actor_agency": notice.agency.name,
            "basis": LegalBasis(request.legal_basis).label,
        },
    )
    return notify(
        message,
        users=[u for u in _here(users, None) if u.pk != notice.sent_by_id],
        mailboxes=_local_mailboxes([agency]),
    )
