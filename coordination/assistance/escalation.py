"""Deadline escalation: a reminder, then overdue, then long overdue, each level once.

Every running deadline of every request escalates on its own: each ``RequestDeadline`` row
keeps ``escalate_at``, its next threshold (``deadlines.thresholds``: scaled to the window),
set when its clock starts and advanced here. The periodic sweep finds its work with one
query on a partial index and never loops over open requests. An ``Escalation`` row, unique
per (request, deadline, due date, level), records each level; two overlapping sweeps cannot
both fire one level (row lock, then the unique constraint).
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from coordination.assistance import deadlines
from coordination.assistance.choices import Party
from coordination.assistance.models import Escalation, RequestDeadline

logger = logging.getLogger(__name__)

thresholds = deadlines.thresholds


def first_threshold(due_at, clock_started_at):
    """The reminder of a deadline that has just started running (None without one)."""
    if due_at is None:
        return None
    return thresholds(due_at, clock_started_at)[0][1]


def level_for(due_at, clock_started_at, now=None):
    """The highest level a deadline due at ``due_at`` has reached now (None if none)."""
    if due_at is None:
        return None
    now = now or timezone.now()
    reached = [lvl for lvl, when in thresholds(due_at, clock_started_at) if when <= now]
    return reached[-1] if reached else None


def level_reached(row, now=None):
    """The highest level the running deadline ``row`` has reached now (None if none)."""
    if row is None or row.state != "running":
        return None
    return level_for(row.due_at, row.clock_started_at, now)


def due_ids(now, limit):
    """The one query: deadlines whose next threshold has passed (``deadline_escalate_idx``)."""
    return list(
        RequestDeadline.objects.filter(escalate_at__lte=now)
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
    """Escalate one deadline whose ``escalate_at`` has passed; safe under concurrent sweeps."""
    with transaction.atomic():
        row = (
            RequestDeadline.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("request", "request__requesting_agency")
            .filter(pk=pk, escalate_at__lte=now)
            .first()
        )
        if row is None:  # another sweep holds it, or a transition moved it on
            return []
        request = row.request
        rule = deadlines.rule(request.legal_basis, row.kind)
        if rule is None or row.state != "running" or row.due_at is None:
            RequestDeadline.objects.filter(pk=pk).update(escalate_at=None)
            return []
        created = []
        for level, when in thresholds(row.due_at, row.clock_started_at, rule.levels):
            if when > now:
                break
            record = _record(row, level, when, now)
            if record is not None:
                created.append(record)
        RequestDeadline.objects.filter(pk=pk).update(
            escalate_at=deadlines.next_threshold(row, rule, after=now)
        )
        if created:
            # A sweep that was down past several thresholds announces the highest only;
            # the lower levels are still recorded, so they never fire late.
            from coordination.assistance import alerts

            alerts.deadline_escalated(request, created[-1], row)
        return created


def _record(row, level, when, now):
    try:
        with transaction.atomic():
            return Escalation.objects.create(
                request_id=row.request_id,
                due_kind=row.kind,
                due_at=row.due_at,
                level=level,
                threshold_at=when,
                created_at=now,
            )
    except IntegrityError:  # recorded by an overlapping sweep: it announced it
        return None


def owed_by_requested_side(row):
    """Whether the requested (executing) side owes the deadline ``row`` (delay notices)."""
    return row is not None and row.party == Party.REQUESTED
