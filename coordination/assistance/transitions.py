"""``transition_request(request, action, by, **data)``: the only way a request changes state.

Each action of the table in ``choices.TRANSITIONS``:
1. is allowed from the request's status (else ``TransitionNotAllowed``, 409, listing the
   actions the caller may take now);
2. is taken by the right side (requesting / requested agency) and role, and never by the
   drafter approving their own request (four eyes) — else ``PermissionDenied``; where the
   law asks for judicial validation (``validation_rules``), ``approve`` is the validation
   and only a judicial authority of the issuing State takes it (or returns the request);
3. gets the comment / answer it needs (else ``ValidationError`` on ``comment``);
4. is written by compare-and-swap on ``version``: of two officers acting at once exactly
   one wins, the other gets ``ConcurrentChange`` (409);
5. recomputes the running deadline (``due_at`` / ``due_kind`` / ``due_clock_started_at``)
   and ``preserved_until``, writes a status-history row, a timeline entry on the linked
   incident and the notifications, all in the same transaction.

A request between nodes (``federated``): each side's steps are taken on its own node
(``other_node_refusal`` names the other node otherwise) and sent there, where
``apply_step`` takes them through the same code at the time they were taken.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency
from coordination.assistance import (
    deadlines,
    events,
    federated,
    provider_orders,
    validation_rules,
)
from coordination.assistance.choices import (
    BETWEEN_NODES,
    FOLLOW_UP_BASES,
    INTERNAL_STATUSES,
    TRANSITIONS,
    ActionName,
    DeadlineKind,
    Side,
    Status,
)
from coordination.assistance.models import AssistanceRequest
from coordination.assistance.validation import missing_essentials
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed
from incidents.markdown import check_markdown

VALIDATOR_ACTIONS = (ActionName.APPROVE, ActionName.RETURN)


def side_of(user, request):
    """Which side ``user`` acts for on ``request``, or None."""
    if not (user and user.is_authenticated and user.is_active and user.agency_id):
        return None
    if user.agency_id == request.requesting_agency_id:
        return Side.REQUESTING
    if request.status not in INTERNAL_STATUSES and user.agency_id == request.acting_agency_id:
        return Side.REQUESTED
    if (
        user.agency_id == request.enforcing_agency_id
        and request.notification_required
        and request.enforcing_notified_at
    ):
        return Side.ENFORCING
    if validation_rules.awaits_validation_by(user, request):
        return Side.VALIDATING
    return None


def other_node_refusal(transition, request):
    """Why ``transition`` is not taken on this node for a request between nodes (None when
    it is, or when the request stays on this node): each side's steps are taken on its node."""
    node = request.counterpart_node
    if not node:
        return None
    if transition.name not in BETWEEN_NODES:
        return _(
            "This request is between this node and %(node)s: this step is not taken on a "
            "request between nodes."
        ) % {"node": node}
    if request.origin_node and transition.side != Side.REQUESTED:
        return _(
            "This request comes from %(agency)s on the node %(node)s: the requesting side's "
            "steps are taken there."
        ) % {"agency": request.requesting_agency.name, "node": node}
    if not request.origin_node and transition.side != Side.REQUESTING:
        return _(
            "This request was sent to %(agency)s on the node %(node)s: the requested side's "
            "steps are taken there."
        ) % {"agency": request.receiving_agency.name, "node": node}
    return None


def _permitted(transition, request, user):
    """None when ``user`` may take ``transition`` now, else the reason why not."""
    if reason := other_node_refusal(transition, request):
        return reason
    if (
        transition.name == ActionName.APPROVE
        and validation_rules.validation_needed(request) is not None
    ):
        # Approval is the judicial validation: only the authority the law names gives it.
        return validation_rules.may_validate(user, request)
    side = side_of(user, request)
    if side == Side.VALIDATING:
        # The judicial authority validates (approve) or sends the request back (return).
        if transition.name not in VALIDATOR_ACTIONS:
            return _("Only the requesting agency may do this.")
        return validation_rules.may_validate(user, request)
    if side != transition.side:
        if transition.side == Side.REQUESTING:
            return _("Only the requesting agency may do this.")
        if transition.side == Side.ENFORCING:
            return _("Only the enforcing authority notified of this order may do this.")
        return _("Only the requested agency acting on this request may do this.")
    if user.role not in transition.roles:
        drafter_discards = (
            transition.name == ActionName.WITHDRAW
            and request.status in INTERNAL_STATUSES
            and user.pk == request.created_by_id
        )
        if not drafter_discards:
            return _("Your role (%(role)s) may not do this.") % {"role": user.get_role_display()}
    if transition.name == ActionName.APPROVE and user.pk in (
        request.created_by_id,
        request.submitted_by_id,
    ):
        return _("Four eyes: another liaison officer must approve a request you drafted.")
    return None


def _extension_allowed(transition, request):
    """Whether the action is available on this request beyond its status (once-only steps)."""
    if transition.name in provider_orders.ENFORCING_ACTIONS:
        return provider_orders.enforcing_unavailable(transition, request, timezone.now()) is None
    if transition.name == ActionName.EXTEND:
        return deadlines.can_extend_decision(request)
    if transition.name == ActionName.EXTEND_PRESERVATION:
        return deadlines.can_extend_preservation(request)
    if transition.name == ActionName.DECIDE_PROVISIONAL:
        return request.provisional_measures and request.provisional_decided_at is None
    return True


def archived_refusal(request):
    """Why a request of an ended exercise takes no step, or None."""
    if request.incident_id and request.incident.archived_at:
        return _(
            "This request belongs to an exercise that has ended: it is kept read-only for "
            "the after-action report."
        )
    return None


def allowed_actions(request, user):
    """The transitions ``user`` may take on ``request`` now (for buttons and 409 bodies)."""
    if archived_refusal(request):
        return []
    return [
        t
        for t in TRANSITIONS.values()
        if t.applies_to(request)
        and _extension_allowed(t, request)
        and _permitted(t, request, user) is None
    ]


def _not_allowed(request, action, user):
    allowed = [t.name.value for t in allowed_actions(request, user)]
    return TransitionNotAllowed(
        _("A request that is “%(status)s” cannot be %(action)s.")
        % {
            "status": request.get_status_display(),
            "action": ActionName(action).label.lower() if action in ActionName.values else action,
        },
        allowed=allowed,
    )


def _parse_received_at(value, request, now):
    if not value:
        return now
    if timezone.is_naive(value):
        raise ValidationError({"received_at": _("Give the time of receipt with its time zone.")})
    if value > now + timedelta(minutes=5):
        raise ValidationError({"received_at": _("Receipt cannot be in the future.")})
    if request.sent_at and value < request.sent_at:
        raise ValidationError({"received_at": _("Receipt cannot precede sending.")})
    return value


def _forward_target(agency, request, step=None):
    if step is not None:
        # Forwarded on the requested node, to an agency of that node.
        if agency is None or agency.node is None or agency.node.name != step.node:
            raise ValidationError(
                {"agency": _("Forwarded to an agency not on the requested node.")}
            )
        return agency
    if agency is None:
        raise ValidationError({"agency": _("Choose the agency to forward the request to.")})
    if not isinstance(agency, Agency):
        agency = Agency.objects.filter(pk=agency).first()
        if agency is None:
            raise ValidationError({"agency": _("Unknown agency.")})
    if not agency.is_active:
        raise ValidationError({"agency": _("%(agency)s is no longer active.") % {"agency": agency}})
    if agency.country.code != str(request.requested_country):
        raise ValidationError({"agency": _("Forward only to an agency of the requested country.")})
    if agency.node_id:
        raise ValidationError(
            {"agency": _("Forward only to an agency of this node: %(agency)s is on %(node)s.")
             % {"agency": agency.name, "node": agency.node.name}}
        )  # fmt: skip
    if agency.pk == request.acting_agency_id:
        raise ValidationError({"agency": _("The request is already with this agency.")})
    return agency


def _follow_up_target(follow_up, request):
    if follow_up is None:
        raise ValidationError({"follow_up": _("Choose the follow-up request.")})
    if not isinstance(follow_up, AssistanceRequest):
        follow_up = (
            AssistanceRequest.objects.filter(reference=str(follow_up).strip().upper()).first()
            if not str(follow_up).isdigit()
            else AssistanceRequest.objects.filter(pk=follow_up).first()
        )
    if (
        follow_up is None
        or follow_up.pk == request.pk
        or follow_up.requesting_agency_id != request.requesting_agency_id
    ):
        raise ValidationError({"follow_up": _("Choose a request of your agency.")})
    if follow_up.legal_basis not in FOLLOW_UP_BASES:
        raise ValidationError(
            {"follow_up": _("The follow-up must be a production or mutual assistance request.")}
        )
    if str(follow_up.requested_country) != str(request.requested_country):
        raise ValidationError({"follow_up": _("The follow-up must go to the same country.")})
    if follow_up.status in (*INTERNAL_STATUSES, Status.WITHDRAWN):
        raise ValidationError({"follow_up": _("The follow-up request must have been sent.")})
    return follow_up


def _changes_for(transition, request, by, now, comment, data, step=None):
    """The columns ``transition`` sets, and the status it leads to (``step``: as another
    node took it)."""
    name = transition.name
    target = transition.target or request.status
    changes = {}
    if name == ActionName.SUBMIT:
        missing = missing_essentials(request)
        if missing:
            raise ValidationError(missing)
        requirement = validation_rules.validation_needed(request)
        changes |= {
            "submitted_at": now,
            "submitted_by": by,
            "validation_kinds": requirement.stored if requirement else "",
        }
    elif name == ActionName.APPROVE:
        missing = missing_essentials(request)
        if missing:
            raise ValidationError(missing)
        if validation_rules.addressee_warning(request) and not data.get("confirm_addressee"):
            raise ValidationError(
                {
                    "confirm_addressee": _(
                        "Confirm that this EIO goes to a police authority, or return it to "
                        "the drafter to address it to the executing judicial authority."
                    )
                }
            )
        changes |= {"sent_at": now, "approved_by": by}
        if errors := federated.addressee_errors(request):
            raise ValidationError(errors)
        if federated.leaves_node(request):
            changes["policy_hours"] = deadlines.policy_snapshot(request)
        if request.is_provider_order:
            changes |= provider_orders.changes_on_sending(request, now, data)
        if validation_rules.validation_needed(request) is not None:
            changes |= {"validated_by": by, "validating_agency": by.agency, "validated_at": now}
    elif name == ActionName.RETURN:
        changes |= {"submitted_at": None, "submitted_by": None, "validation_kinds": ""}
    elif name == ActionName.ACKNOWLEDGE:
        changes |= {
            "received_at": _parse_received_at(data.get("received_at"), request, now),
            "executing_agency": step.actor_agency if step else by.agency,
        }
    elif name == ActionName.ACCEPT:
        changes["accepted_at"] = now
    elif name == ActionName.FORWARD:
        changes["executing_agency"] = _forward_target(data.get("agency"), request, step)
    elif name == ActionName.EXTEND:
        estimate = data.get("estimate")
        deadlines.extend(request, DeadlineKind.DECIDE, reason=comment, estimate=estimate, now=now)
        changes |= {
            "decision_extended_at": now,
            "extension_reason": comment,
            "extension_estimate": estimate,
        }
    elif name == ActionName.DECIDE_PROVISIONAL:
        changes |= {"provisional_decided_at": now, "provisional_decision": comment}
    elif name == ActionName.ASK_INFORMATION:
        changes |= {"information_asked_at": now, "resume_status": request.status}
    elif name == ActionName.ANSWER:
        target = request.resume_status or Status.RECEIVED
        changes |= {"information_answered_at": now, "resume_status": ""}
    elif name == ActionName.CONFIRM_PRESERVATION:
        changes["preserved_at"] = now
    elif name == ActionName.EXTEND_PRESERVATION:
        deadlines.extend(request, DeadlineKind.PRESERVE_UNTIL, reason=comment, now=now)
        changes |= {"preservation_extended_at": now, "preservation_extension_reason": comment}
    elif name == ActionName.LINK_FOLLOW_UP:
        changes["follow_up"] = _follow_up_target(data.get("follow_up"), request)
    elif name in (ActionName.FULFIL, ActionName.FULFIL_PARTLY):
        # Marks the execution deadlines as met; a refusal or withdrawal meets none.
        changes["fulfilled_at"] = now
    elif name == ActionName.CLOSE:
        changes["closed_at"] = now
    else:
        changes |= provider_orders.changes_for(
            name, request, now, comment, data, _parse_received_at
        )
    changes["status"] = target
    return changes


@transaction.atomic
def transition_request(request, action, by, *, comment="", **data):
    """Take ``action`` on ``request`` as ``by``; returns the status-history row.

    ``data`` carries what some actions need: ``received_at`` (acknowledge, when receipt
    came earlier than the acknowledgement; record_receipt, the provider's receipt),
    ``transmission_id`` (approve and record_receipt of an order to a provider), ``agency``
    (forward), ``follow_up`` (link), ``confirm_addressee`` (approve an EIO addressed to a
    police authority), ``estimate`` (extend an EIO's decision deadline).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise _not_allowed(request, action, by)
    if not transition.applies_to(request):
        raise _not_allowed(request, action, by)
    reason = archived_refusal(request) or _permitted(transition, request, by)
    if reason:
        raise PermissionDenied(reason)
    if not _extension_allowed(transition, request):
        if transition.name in provider_orders.ENFORCING_ACTIONS:
            message = provider_orders.enforcing_unavailable(transition, request, timezone.now())
        elif transition.name == ActionName.EXTEND_PRESERVATION:
            message = deadlines.extension_refusal(request, DeadlineKind.PRESERVE_UNTIL) or _(
                "The rule allows no (further) extension of preservation; link the follow-up "
                "request to hold the data."
            )
        elif transition.name == ActionName.EXTEND:
            message = deadlines.extension_refusal(request, DeadlineKind.DECIDE) or _(
                "The rule allows one extension of the decision deadline only."
            )
        else:
            message = _("This step was already taken or was not asked for.")
        raise TransitionNotAllowed(
            message, allowed=[t.name.value for t in allowed_actions(request, by)]
        )
    comment = (comment or "").strip()
    if transition.comment == "required" and not comment:
        raise ValidationError({"comment": _("This action needs a reason or an answer.")})
    if problems := check_markdown(comment):  # quoted in the case's timeline as Markdown
        raise ValidationError({"comment": problems})

    return _take(request, transition, by, timezone.now(), comment, data)


@dataclass(frozen=True)
class Step:
    """A step another node took on a request between nodes, as its message tells it."""

    node: str
    id: int
    at: datetime
    actor_name: str
    # This node's entry for the actor's agency (None: an agency this node does not know).
    actor_agency: Agency | None
    actor_agency_name: str


@transaction.atomic
def apply_step(request, action, step, *, comment="", **data):
    """Take ``action`` on ``request`` as another node took it (``step``): the same state
    checks and writes as ``transition_request``, at that node's time and with its actor.
    The caller (the message's handler) has checked the sending node's authority; nothing is
    sent back. Raises ``TransitionNotAllowed`` or ``ValidationError``."""
    transition = TRANSITIONS.get(action)
    if transition is None or not transition.applies_to(request):
        raise TransitionNotAllowed(
            _("A request that is “%(status)s” cannot be %(action)s.")
            % {"status": request.get_status_display(), "action": action},
            allowed=[],
        )
    # An extension's own check runs at the other node's time (deadlines.extend).
    once_only = transition.name not in (ActionName.EXTEND, ActionName.EXTEND_PRESERVATION)
    if once_only and not _extension_allowed(transition, request):
        raise TransitionNotAllowed(_("This step was already taken or was not asked for."), [])
    comment = (comment or "").strip()
    if problems := check_markdown(comment):
        raise ValidationError({"comment": problems})
    return _take(request, transition, None, step.at, comment, data, step)


def _take(request, transition, by, now, comment, data, step=None):
    from_status = request.status
    changes = _changes_for(transition, request, by, now, comment, data, step)

    updated = AssistanceRequest.objects.filter(
        pk=request.pk, version=request.version, status=from_status
    ).update(**changes, version=request.version + 1, updated_at=now)
    if not updated:
        raise ConcurrentChange(
            _("Someone else acted on this request meanwhile. Reload it and try again.")
        )
    for name, value in changes.items():
        setattr(request, name, value)
    request.version += 1
    request.updated_at = now

    sync_deadlines(request, now)

    row = events.history_row(request, transition.name, from_status, by, comment, now, step=step)
    if not request.origin_node:
        # The case's line is written on the requesting node only (a replica's case gets it
        # from there, with the case's own messages).
        events.timeline_entry(request, transition.name, from_status, by, comment, now, row=row)
    _notify(request, transition, from_status, by, comment, row)
    if step is None:
        federated.publish(request, transition.name, row)
    return row


def sync_deadlines(request, now):
    """Start, meet, pause or end the deadlines, then keep the nearest one on the request."""
    clocks = deadlines.sync_clocks(request, now)
    keep = next((c for c in clocks if c.kind == DeadlineKind.PRESERVE_UNTIL), None)
    derived = deadlines.request_due_fields(clocks)
    derived["preserved_until"] = keep.due_at if keep and keep.met_at is None else None
    if keep and request.follow_up_id:
        derived["preserved_until"] = None  # held until the follow-up request is decided
    AssistanceRequest.objects.filter(pk=request.pk).update(**derived)
    for name, value in derived.items():
        setattr(request, name, value)
    return clocks


def _notify(request, transition, from_status, by, comment, row):
    """Hand the event to ``alerts`` (the notifications it writes join this transaction)."""
    from coordination.assistance import alerts

    alerts.request_transitioned(request, transition.name, from_status, by, comment, row)
