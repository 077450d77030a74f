"""Exercise pages: list, set-up, the controller's board, the players' page, the report.

Every page reads exercises through ``permissions.visible_exercises`` (who neither
controls nor plays gets 404); controlling needs ``may_control`` (else 403).
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coordination.exercises import actions, report, report_pdf, scenarios
from coordination.exercises.choices import ExerciseStatus, InjectStatus
from coordination.exercises.forms import ExerciseForm, LessonForm
from coordination.exercises.models import Inject
from coordination.exercises.permissions import (
    may_control,
    may_organise,
    visible_exercises,
)
from incidents.forms import apply_validation_error

PAGE_SIZE = 25


def _exercise(request, pk):
    try:
        return visible_exercises(request.user).select_related("organiser").get(pk=pk)
    except visible_exercises(request.user).model.DoesNotExist as exc:
        raise Http404(_("No such exercise.")) from exc


def _conflict(request, exc):
    messages.error(request, str(exc))


@login_required
@require_GET
def exercise_list(request):
    exercises = visible_exercises(request.user).select_related("organiser")
    page = Paginator(exercises, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "exercises/exercise_list.html",
        {"page": page, "may_organise": may_organise(request.user)},
    )


@login_required
def exercise_new(request):
    if not may_organise(request.user) or not request.user.agency_id:
        raise PermissionDenied(_("Only exercise controllers of an agency set up exercises."))
    scenario = scenarios.get(request.GET.get("scenario") or request.POST.get("scenario") or "")
    if scenario is None:
        return render(
            request,
            "exercises/scenario_choice.html",
            {"scenarios": list(scenarios.shipped().values())},
        )
    form = ExerciseForm(request.POST or None, scenario=scenario)
    if request.method == "POST" and form.is_valid():
        try:
            exercise = actions.create_exercise(
                request.user,
                scenario=scenario,
                starts_at=form.cleaned_data["starts_at"],
                agencies=form.agencies(),
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Exercise set up. Start it when the players are ready."))
            return redirect(exercise)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "exercises/exercise_form.html", {"form": form, "scenario": scenario}, status=status
    )


def _board_context(request, exercise):
    injects = list(
        exercise.injects.select_related("agency", "acknowledged_by").order_by("due_at", "seq")
    )
    built = report.build(exercise)
    by_inject = {}
    for row in built.measurements:
        by_inject.setdefault(row.inject.pk, []).append(row)
    for inject in injects:
        inject.measurements = by_inject.get(inject.pk, [])
    return {
        "exercise": exercise,
        "injects": injects,
        "report": built,
        "may_control": may_control(request.user, exercise),
        "statuses": ExerciseStatus,
        "inject_statuses": InjectStatus,
    }


@login_required
@require_GET
def exercise_detail(request, pk):
    exercise = _exercise(request, pk)
    if not may_control(request.user, exercise):
        return redirect("exercises:play", pk=exercise.pk)
    return render(request, "exercises/exercise_detail.html", _board_context(request, exercise))


@login_required
@require_GET
def board(request, pk):
    """The live board alone (htmx polls it while the exercise runs)."""
    exercise = _exercise(request, pk)
    if not may_control(request.user, exercise):
        raise PermissionDenied(_("Only the exercise's controllers see the board."))
    return render(request, "exercises/_board.html", _board_context(request, exercise))


def _play_context(request, exercise, lesson_form=None):
    agency_id = request.user.agency_id
    injects = (
        exercise.injects.filter(agency_id=agency_id, status=InjectStatus.RELEASED)
        .select_related("acknowledged_by")
        .order_by("-released_at", "-seq")
        if agency_id
        else Inject.objects.none()
    )
    played = set(
        exercise.assignments.filter(agency_id=agency_id).values_list("role_key", flat=True)
    )
    return {
        "exercise": exercise,
        "injects": injects,
        "roles": [role for role in exercise.scenario["roles"] if role["key"] in played],
        "lesson_form": lesson_form or LessonForm(),
        "may_control": may_control(request.user, exercise),
        "plays": bool(played),
        **_exercise_content(request.user, exercise),
    }


@login_required
@require_GET
def play(request, pk):
    """The players' page: injects to their agency, the exercise's cases, lessons learned."""
    exercise = _exercise(request, pk)
    return render(request, "exercises/play.html", _play_context(request, exercise))


def _exercise_content(user, exercise):
    """The exercise's cases and requests the user may see: they are on no real list."""
    from coordination.assistance.models import AssistanceRequest
    from incidents.models import Incident

    return {
        "cases": Incident.objects.restrict(user)
        .filter(exercise_link__exercise=exercise)
        .select_related("lead_agency")
        .order_by("pk"),
        "requests": AssistanceRequest.objects.restrict(user)
        .filter(incident__exercise_link__exercise=exercise)
        .select_related("requesting_agency", "receiving_agency")
        .order_by("pk"),
    }


@login_required
@require_POST
def control(request, pk):
    exercise = _exercise(request, pk)
    verb = request.POST.get("action")
    operation = {
        "start": actions.start,
        "pause": actions.pause,
        "resume": actions.resume,
        "end": actions.end,
    }.get(verb)
    if operation is None:
        return HttpResponse(_("Unknown action."), status=400)
    try:
        operation(exercise, request.user)
    except actions.ExerciseConflict as exc:
        _conflict(request, exc)
    else:
        messages.success(
            request,
            {
                "start": _("Exercise started."),
                "pause": _("Exercise paused: no inject is released until you resume."),
                "resume": _("Exercise resumed."),
                "end": _("Exercise ended. Its content is archived, read-only, for the report."),
            }[verb],
        )
    return redirect(exercise)


@login_required
@require_POST
def inject_action(request, pk, inject_pk):
    exercise = _exercise(request, pk)
    inject = get_object_or_404(exercise.injects.select_related("agency", "exercise"), pk=inject_pk)
    verb = request.POST.get("action")
    try:
        if verb == "release":
            actions.release_by_hand(inject, request.user)
        elif verb == "replay":
            actions.release_by_hand(inject, request.user, replay=True)
        elif verb == "hold":
            actions.hold(inject, request.user)
        elif verb == "unhold":
            actions.unhold(inject, request.user)
        elif verb == "acknowledge":
            actions.acknowledge(inject, request.user)
            return redirect(f"{exercise.get_absolute_url()}play/#inject-{inject.pk}")
        else:
            return HttpResponse(_("Unknown action."), status=400)
    except actions.ExerciseConflict as exc:
        _conflict(request, exc)
    else:
        if inject.status == InjectStatus.FAILED:
            messages.error(request, _("The inject failed: %(why)s") % {"why": inject.failure})
    return redirect(f"{exercise.get_absolute_url()}#inject-{inject.pk}")


@login_required
@require_POST
def add_lesson(request, pk):
    exercise = _exercise(request, pk)
    form = LessonForm(request.POST)
    if form.is_valid():
        try:
            actions.add_lesson(exercise, request.user, form.cleaned_data["body"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Lesson added to the after-action report."))
            return redirect("exercises:play", pk=exercise.pk)
    return render(
        request, "exercises/play.html", _play_context(request, exercise, form), status=400
    )


@login_required
@require_GET
def report_page(request, pk):
    exercise = _exercise(request, pk)
    built = report.build(exercise)
    return render(
        request,
        "exercises/report.html",
        {
            "exercise": exercise,
            "report": built,
            "outcomes": report.outcome_chart(built),
            "times": report.times_chart(built),
            "may_control": may_control(request.user, exercise),
        },
    )


def _filename(exercise, extension):
    return f"exercise-{exercise.pk}-after-action-report.{extension}"


@login_required
@require_GET
def report_csv_download(request, pk):
    exercise = _exercise(request, pk)
    built = report.build(exercise)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "inject",
            "title",
            "role",
            "agency",
            "released_at",
            "measure",
            "target_minutes",
            "done_at",
            "taken_minutes",
            "outcome",
        ]
    )
    for row in built.measurements:
        writer.writerow(
            [
                row.inject.key,
                row.inject.title,
                row.inject.role_key,
                row.agency_name,
                row.inject.released_at.isoformat() if row.inject.released_at else "",
                row.measure,
                report.minutes(row.target) if row.target is not None else "",
                row.at.isoformat() if row.at else "",
                report.minutes(row.taken) if row.taken is not None else "",
                row.outcome,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(exercise, "csv")}"'
    return response


@login_required
@require_GET
def report_pdf_download(request, pk):
    exercise = _exercise(request, pk)
    content = report_pdf.render(report.build(exercise))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(exercise, "pdf")}"'
    return response
