"""Delay notices: the requested side tells the requesting side a deadline will be missed.

Offered once a running deadline the requested side owes reached its reminder (the one due
first when several did);
prefilled with the deadline and a new estimate, sent to the requesting side's liaison
officers, the drafter and the requesting agency's mailbox, and written on the incident's
timeline.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from coordination.assistance import alerts, events
from coordination.assistance.choices import OPEN_STATUSES, DeadlineKind, Party, Side
from coordination.assistance.escalation import level_reached
from coordination.assistance.models import AssistanceRequest, DelayNotice, RequestDeadline
from coordination.assistance.transitions import side_of

SENDER_ROLES = (Role.LIAISON_OFFICER, Role.SUPERVISOR)


def late_deadline(request, now=None):
    """The requested side's running deadline, due first, that reached its reminder."""
    now = now or timezone.now()
    rows = RequestDeadline.objects.filter(
        request=request,
        party=Party.REQUESTED,
        met_at__isnull=True,
        ended_at__isnull=True,
        paused_at__isnull=True,
        due_at__isnull=False,
    ).order_by("due_at")
    return next((row for row in rows if level_reached(row, now) is not None), None)


def refusal(request, user, now=None):
    """Why ``user`` may not send a delay notice on ``request`` now (None when they may)."""
    now = now or timezone.now()
    if side_of(user, request) != Side.REQUESTED or user.role not in SENDER_ROLES:
        return _("Only a liaison officer of the requested agency may announce a delay.")
    if request.counterpart_node:
        return _(
            "A delay notice does not reach the node %(node)s: tell %(agency)s there through a "
            "question (ask for information) or directly."
        ) % {"node": request.counterpart_node, "agency": request.requesting_agency.name}
    if request.status not in OPEN_STATUSES or request.due_at is None:
        return _("No deadline is running on this request.")
    if late_deadline(request, now) is None:
        return _("A delay can be announced once a deadline of yours is near.")
    return None


def prefill(request, now=None):
    """What the form starts with: the deadline named, a new estimate a quarter-window on."""
    now = now or timezone.now()
    row = late_deadline(request, now)
    window = row.due_at - (row.clock_started_at or row.due_at)
    later = max(window / 4, timedelta(days=1))
    estimate = max(now, row.due_at) + later
    reasons = _(
        "We cannot meet the deadline “%(kind)s” of %(due)s for request %(reference)s.\n\n"
        "Reasons: \n\nWhat we have done so far: \n\nWhat we need, if anything: "
    ) % {
        "kind": DeadlineKind(row.kind).label,
        "due": timezone.localtime(row.due_at).strftime("%Y-%m-%d %H:%M %Z"),
        "reference": request.reference,
    }
    return {"reasons": reasons, "new_estimate": estimate.replace(second=0, microsecond=0)}


def send_delay_notice(request, by, *, reasons, new_estimate, now=None):
    now = now or timezone.now()
    with transaction.atomic():
        request = (
            AssistanceRequest.objects.select_for_update(of=("self",))
            .select_related("requesting_agency", "incident", "created_by")
            .get(pk=request.pk)
        )
        reason = refusal(request, by, now)
        if reason:
            raise PermissionDenied(reason)
        late = late_deadline(request, now)
        errors = {}
        reasons = (reasons or "").strip()
        if not reasons:
            errors["reasons"] = _("Say why the deadline cannot be met.")
        if new_estimate is None:
            errors["new_estimate"] = _("Give the date you now expect to meet it.")
        elif new_estimate <= max(now, late.due_at):
            errors["new_estimate"] = _(
                "The new estimate must be later than the deadline and than now."
            )
        if errors:
            raise ValidationError(errors)
        notice = DelayNotice.objects.create(
            request=request,
            due_kind=late.kind,
            due_at=late.due_at,
            reasons=reasons,
            new_estimate=new_estimate,
            sent_by=by,
            sent_by_name=by.display_name,
            agency_id=by.agency_id,
            sent_at=now,
        )
        events.delay_announced(request, notice)
        alerts.delay_announced(request, notice)
        return notice
