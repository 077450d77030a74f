"""Deadline escalation: a reminder, then overdue, then long overdue, each level once.

Thresholds scale with the deadline's window (clock start → due):

- reminder when a quarter of the window remains, and at least 1 hour before the due time;
- overdue at the due time;
- long overdue a quarter of the window after it, and at least 1 day after.

Every request keeps ``escalate_at``, the next threshold of its running deadline (set by
the transitions, advanced here), so the periodic sweep finds its work with one query on a
partial index and never loops over open requests. An ``Escalation`` row, unique per
(request, deadline, due date, level), records each level; two overlapping sweeps cannot
both fire one level (row lock, then the unique constraint).
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from coordination.assistance.choices import DeadlineKind, EscalationLevel
from coordination.assistance.models import AssistanceRequest, Escalation

logger = logging.getLogger(__name__)

REMINDER_MIN_LEAD = timedelta(hours=1)
LONG_OVERDUE_MIN_LAG = timedelta(days=1)
LEVELS = list(EscalationLevel)
# Deadlines the requesting side owes (the others are the requested side's to meet).
OWED_BY_REQUESTING_SIDE = {DeadlineKind.PRESERVE_UNTIL}


def thresholds(due_at, clock_started_at):
    """``[(level, when), ...]`` in order, for a deadline due at ``due_at``."""
    window = due_at - clock_started_at if clock_started_at else timedelta(0)
    quarter = max(window, timedelta(0)) / 4
    return [
        (EscalationLevel.REMINDER, due_at - max(quarter, REMINDER_MIN_LEAD)),
        (EscalationLevel.OVERDUE, due_at),
        (EscalationLevel.LONG_OVERDUE, due_at + max(quarter, LONG_OVERDUE_MIN_LAG)),
    ]


def first_threshold(due_at, clock_started_at):
    """``escalate_at`` for a deadline that has just started running (None without one)."""
    if due_at is None:
        return None
    return thresholds(due_at, clock_started_at)[0][1]


def threshold_after(due_at, clock_started_at, moment):
    """The first threshold later than ``moment`` (None once long overdue is behind)."""
    for _level, when in thresholds(due_at, clock_started_at):
        if when > moment:
            return when
    return None


def level_reached(request, now=None):
    """The highest level the running deadline has reached now (None if none)."""
    if request.due_at is None:
        return None
    now = now or timezone.now()
    reached = [
        lvl for lvl, when in thresholds(request.due_at, request.due_clock_started_at) if when <= now
    ]
    return reached[-1] if reached else None


def due_ids(now, limit):
    """The one query: requests whose next threshold has passed (``request_escalate_idx``)."""
    return list(
        AssistanceRequest.objects.filter(escalate_at__lte=now)
        .order_by("escalate_at")
        .values_list("pk", flat=True)[:limit]
    )


def sweep(now=None, batch=500):
    """Record and announce every threshold passed since the last sweep. Returns the rows."""
    now = now or timezone.now()
    fired = []
    while True:
        ids = due_ids(now, batch)
        for pk in ids:
            fired.extend(escalate(pk, now))
        if len(ids) < batch:
            return fired


def escalate(pk, now):
    """Escalate one request whose ``escalate_at`` has passed; safe under concurrent sweeps."""
    with transaction.atomic():
        request = (
            AssistanceRequest.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, escalate_at__lte=now)
            .first()
        )
        if request is None:  # another sweep holds it, or a transition moved it on
            return []
        if request.due_at is None:
            AssistanceRequest.objects.filter(pk=pk).update(escalate_at=None)
            return []
        created = []
        for level, when in thresholds(request.due_at, request.due_clock_started_at):
            if when > now:
                break
            row = _record(request, level, when, now)
            if row is not None:
                created.append(row)
        AssistanceRequest.objects.filter(pk=pk).update(
            escalate_at=threshold_after(request.due_at, request.due_clock_started_at, now)
        )
        if created:
            # A sweep that was down past several thresholds announces the highest only;
            # the lower levels are still recorded, so they never fire late.
            from coordination.assistance import alerts

            alerts.deadline_escalated(request, created[-1])
        return created


def _record(request, level, when, now):
    try:
        with transaction.atomic():
            return Escalation.objects.create(
                request=request,
                due_kind=request.due_kind,
                due_at=request.due_at,
                level=level,
                threshold_at=when,
                created_at=now,
            )
    except IntegrityError:  # recorded by an overlapping sweep: it announced it
        return None


def owed_by_requested_side(request):
    return bool(request.due_kind) and request.due_kind not in OWED_BY_REQUESTING_SIDE
