"""Exercise operations: one function per verb, atomic, the only writers of exercises."""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.exercises import alerts, performers, scenarios
from coordination.exercises.choices import (
    EXERCISE_TRANSITIONS,
    ExerciseStatus,
    InjectKind,
    InjectStatus,
    LogKind,
)
from coordination.exercises.models import (
    Exercise,
    ExerciseIncident,
    Inject,
    Lesson,
    LogEntry,
    RoleAssignment,
)
from coordination.exercises.permissions import may_control, may_organise, plays_in
from incidents.choices import ParticipationRole


class ExerciseConflict(Exception):
    """The exercise or inject moved meanwhile, or the step does not apply now (409)."""


def log(exercise, kind, *, by=None, inject=None, text="", at=None):
    return LogEntry.objects.create(
        exercise=exercise,
        inject=inject,
        kind=kind,
        at=at or timezone.now(),
        actor_name=by.display_name if by is not None else "",
        agency_name=(by.agency.short_name if by is not None and by.agency_id else ""),
        text=text,
    )


@transaction.atomic
def create_exercise(by, *, scenario, starts_at, agencies, title=""):
    """Set up ``scenario`` (a ``scenarios.Scenario``) with ``agencies`` ``{role key: Agency}``."""
    if not may_organise(by) or not by.agency_id:
        raise PermissionDenied(_("Only exercise controllers of an agency set up exercises."))
    errors = {}
    for role in scenario.roles:
        agency = agencies.get(role["key"])
        if agency is None:
            errors[f"role_{role['key']}"] = _("Choose the agency that plays this role.")
        elif not agency.is_active:
            errors[f"role_{role['key']}"] = _("%(agency)s is no longer active.") % {
                "agency": agency.short_name
            }
    if starts_at is None:
        errors["starts_at"] = _("When does the exercise start?")
    if errors:
        raise ValidationError(errors)
    exercise = Exercise.objects.create(
        title=(title or scenario.title).strip()[:200],
        scenario_id=scenario.id,
        scenario=scenario.data,
        organiser=by.agency,
        created_by=by,
        starts_at=starts_at,
    )
    RoleAssignment.objects.bulk_create(
        RoleAssignment(exercise=exercise, role_key=role["key"], agency=agencies[role["key"]])
        for role in scenario.roles
    )
    rows = []
    for seq, spec in enumerate(scenario.injects, start=1):
        offset = scenarios.parse_duration(spec["at"])
        target = spec["to"]
        payload = {k: v for k, v in spec.items() if k not in ("key", "at", "to", "do", "title")}
        rows.append(
            Inject(
                exercise=exercise,
                seq=seq,
                key=spec["key"],
                title=spec["title"],
                kind=spec["do"],
                role_key=target,
                agency=agencies.get(target),
                offset=offset,
                due_at=starts_at + offset,
                payload=payload,
            )
        )
    Inject.objects.bulk_create(rows)
    log(exercise, LogKind.CREATED, by=by)
    return exercise


def _require_control(by, exercise):
    if not may_control(by, exercise):
        raise PermissionDenied(_("Only the exercise's controllers may do this."))


def _move(exercise, by, new_status, **fields):
    old = ExerciseStatus(exercise.status)
    if new_status not in EXERCISE_TRANSITIONS[old]:
        raise ExerciseConflict(
            _("An exercise that is %(old)s cannot be %(new)s.")
            % {"old": old.label.lower(), "new": ExerciseStatus(new_status).label.lower()}
        )
    updated = Exercise.objects.filter(pk=exercise.pk, status=old).update(
        status=new_status, **fields
    )
    if not updated:
        raise ExerciseConflict(_("Someone else changed the exercise meanwhile. Reload it."))
    exercise.status = new_status
    for name, value in fields.items():
        setattr(exercise, name, value)


@transaction.atomic
def start(exercise, by):
    """Start now, whatever the planned time: every inject falls due at its offset from now."""
    _require_control(by, exercise)
    now = timezone.now()
    _move(exercise, by, ExerciseStatus.RUNNING, started_at=now)
    for inject in exercise.injects.filter(status__in=(InjectStatus.PENDING, InjectStatus.HELD)):
        Inject.objects.filter(pk=inject.pk).update(due_at=now + inject.offset)
    log(exercise, LogKind.STARTED, by=by, at=now)
    transaction.on_commit(_queue_release)


def start_scheduled(now=None):
    """Start the exercises whose planned start has come (the sweep, before releasing)."""
    now = now or timezone.now()
    started = 0
    for exercise in Exercise.objects.filter(status=ExerciseStatus.SCHEDULED, starts_at__lte=now):
        with transaction.atomic():
            moved = Exercise.objects.filter(pk=exercise.pk, status=ExerciseStatus.SCHEDULED).update(
                status=ExerciseStatus.RUNNING, started_at=exercise.starts_at
            )
            if moved:
                log(exercise, LogKind.STARTED, at=exercise.starts_at, text="planned start")
                started += 1
    return started


@transaction.atomic
def pause(exercise, by):
    _require_control(by, exercise)
    now = timezone.now()
    _move(exercise, by, ExerciseStatus.PAUSED, paused_at=now)
    log(exercise, LogKind.PAUSED, by=by, at=now)


@transaction.atomic
def resume(exercise, by):
    """Carry on where it stopped: every inject still to come moves by the pause's length."""
    _require_control(by, exercise)
    now = timezone.now()
    paused_for = now - exercise.paused_at if exercise.paused_at else None
    _move(exercise, by, ExerciseStatus.RUNNING, paused_at=None)
    if paused_for:
        for inject in exercise.injects.filter(status__in=(InjectStatus.PENDING, InjectStatus.HELD)):
            Inject.objects.filter(pk=inject.pk).update(due_at=inject.due_at + paused_for)
    log(exercise, LogKind.RESUMED, by=by, at=now)
    transaction.on_commit(_queue_release)


@transaction.atomic
def end(exercise, by):
    """End and archive: injects still to come are cancelled; the exercise's incidents
    leave the everyday pages and become read-only for everyone (observers; requests and
    custody refuse every step), kept for the after-action report."""
    from incidents.models import Incident
    from incidents.permissions import grant_participation

    _require_control(by, exercise)
    now = timezone.now()
    _move(exercise, by, ExerciseStatus.ENDED, ended_at=now, paused_at=None)
    exercise.injects.filter(status__in=(InjectStatus.PENDING, InjectStatus.HELD)).update(
        status=InjectStatus.CANCELLED
    )
    links = ExerciseIncident.objects.filter(exercise=exercise).select_related("incident")
    Incident.objects.filter(exercise_link__exercise=exercise).update(archived_at=now)
    for link in links:
        for participation in link.incident.participations.select_related("agency"):
            grant_participation(link.incident, participation.agency, ParticipationRole.OBSERVER)
    log(exercise, LogKind.ENDED, by=by, at=now)


def _queue_release():
    from coordination.exercises.tasks import release_due_injects

    try:
        release_due_injects.delay()
    except Exception:  # broker down: the beat sweep releases what is due
        logging.getLogger(__name__).warning("Could not queue the inject release.", exc_info=True)


def release(inject, *, by=None, replay=False):
    """Run ``inject`` now (by the sweep when due, or by hand); returns the inject.

    Claimed by compare-and-swap first: a second sweep or a second click does nothing.
    A failure is recorded on the inject (and in the log) and changes nothing else.
    """
    now = timezone.now()
    allowed = (
        (InjectStatus.RELEASED, InjectStatus.FAILED)
        if replay
        else (
            InjectStatus.PENDING,
            InjectStatus.HELD,
            InjectStatus.FAILED,
        )
    )
    with transaction.atomic():
        claimed = Inject.objects.filter(pk=inject.pk, status__in=allowed).update(
            status=InjectStatus.RELEASED,
            released_at=now,
            release_count=inject.release_count + 1,
            failure="",
        )
        if not claimed:
            raise ExerciseConflict(_("This inject was released or changed meanwhile."))
        inject.refresh_from_db()
        try:
            with transaction.atomic():
                result = performers.perform(inject)
                if inject.kind != InjectKind.EMAIL and inject.agency_id:
                    alerts.inject_email(inject, inject.title, _inject_text(inject))
        except performers.InjectFailed as exc:
            Inject.objects.filter(pk=inject.pk).update(status=InjectStatus.FAILED, failure=str(exc))
            inject.status, inject.failure = InjectStatus.FAILED, str(exc)
            log(inject.exercise, LogKind.FAILED, by=by, inject=inject, text=str(exc), at=now)
            return inject
        Inject.objects.filter(pk=inject.pk).update(
            result_label=result.label[:200],
            result_url=result.url[:300],
            refs=_merged(inject, result),
        )
        inject.result_label, inject.result_url = result.label, result.url
        kind = LogKind.REPLAYED if replay else LogKind.RELEASED
        log(inject.exercise, kind, by=by, inject=inject, text=result.label, at=now)
    return inject


def _merged(inject, result):
    """Rows of every release of the inject (a replay adds to them)."""
    refs = {key: set(values) for key, values in (inject.refs or {}).items()}
    for key, values in result.refs.items():
        refs.setdefault(key, set()).update(values)
    return {key: sorted(values) for key, values in refs.items()}


def _inject_text(inject):
    payload = inject.payload
    text = payload.get("text") or payload.get("summary") or ""
    if inject.kind == InjectKind.REQUEST:
        text = payload["request"]["facts"]
    return text


def release_by_hand(inject, by, *, replay=False):
    exercise = inject.exercise
    _require_control(by, exercise)
    if exercise.status == ExerciseStatus.ENDED:
        raise ExerciseConflict(_("The exercise has ended."))
    if exercise.status == ExerciseStatus.SCHEDULED:
        # Its times are measured from the start: an inject released before would have none.
        raise ExerciseConflict(_("Start the exercise before releasing an inject."))
    return release(inject, by=by, replay=replay)


@transaction.atomic
def hold(inject, by):
    _require_control(by, inject.exercise)
    if not Inject.objects.filter(pk=inject.pk, status=InjectStatus.PENDING).update(
        status=InjectStatus.HELD
    ):
        raise ExerciseConflict(_("Only an inject still to come can be held."))
    inject.status = InjectStatus.HELD
    log(inject.exercise, LogKind.HELD, by=by, inject=inject)


@transaction.atomic
def unhold(inject, by):
    _require_control(by, inject.exercise)
    if not Inject.objects.filter(pk=inject.pk, status=InjectStatus.HELD).update(
        status=InjectStatus.PENDING
    ):
        raise ExerciseConflict(_("This inject is not held."))
    inject.status = InjectStatus.PENDING
    log(inject.exercise, LogKind.UNHELD, by=by, inject=inject)
    transaction.on_commit(_queue_release)


@transaction.atomic
def acknowledge(inject, by):
    """A player of the inject's agency confirms it was seen; the first time counts."""
    if not (by.agency_id and by.agency_id == inject.agency_id):
        raise PermissionDenied(_("Only the agency this inject went to acknowledges it."))
    if inject.exercise.status == ExerciseStatus.ENDED:
        raise ExerciseConflict(_("The exercise has ended."))
    now = timezone.now()
    updated = Inject.objects.filter(
        pk=inject.pk, status=InjectStatus.RELEASED, acknowledged_at__isnull=True
    ).update(acknowledged_at=now, acknowledged_by=by)
    if not updated:
        raise ExerciseConflict(_("This inject is already acknowledged or not released yet."))
    inject.acknowledged_at, inject.acknowledged_by = now, by
    log(inject.exercise, LogKind.ACKNOWLEDGED, by=by, inject=inject, at=now)


@transaction.atomic
def add_lesson(exercise, by, body):
    if not (plays_in(by, exercise) or may_control(by, exercise)):
        raise PermissionDenied(_("Only the exercise's players and controllers add lessons."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the lesson learned.")})
    if len(body) > 4000:
        raise ValidationError({"body": _("At most 4,000 characters.")})
    lesson = Lesson.objects.create(
        exercise=exercise,
        author=by,
        author_name=by.display_name,
        agency_id=by.agency_id,
        agency_name=by.agency.short_name if by.agency_id else "",
        body=body,
    )
    log(exercise, LogKind.LESSON, by=by)
    return lesson


def due_injects(now=None):
    """Ids of injects to release now, in order: pending, due, of a running exercise."""
    now = now or timezone.now()
    return list(
        Inject.objects.filter(
            status=InjectStatus.PENDING,
            due_at__lte=now,
            exercise__status=ExerciseStatus.RUNNING,
        )
        .order_by("exercise_id", "due_at", "seq")
        .values_list("exercise_id", "pk")
    )


def release_due(now=None):
    """Release every due inject, exercise by exercise, in order; returns how many ran.

    The exercise row is locked (skip_locked) while its injects run: a second sweep
    running at the same time leaves that exercise to the first, so order holds.
    """
    start_scheduled(now)
    released = 0
    by_exercise = {}
    for exercise_id, pk in due_injects(now):
        by_exercise.setdefault(exercise_id, []).append(pk)
    for exercise_id, pks in by_exercise.items():
        with transaction.atomic():
            locked = (
                Exercise.objects.select_for_update(skip_locked=True)
                .filter(pk=exercise_id, status=ExerciseStatus.RUNNING)
                .first()
            )
            if locked is None:
                continue
            for pk in pks:
                inject = Inject.objects.select_related("exercise", "agency").get(pk=pk)
                if inject.status != InjectStatus.PENDING:
                    continue
                try:
                    release(inject)
                except ExerciseConflict:
                    continue
                released += 1
    return released
