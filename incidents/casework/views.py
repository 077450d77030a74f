"""Task pages: the incident's task panel (htmx), "My tasks", owners, case templates.

Incidents are reached through ``Incident.objects.restrict(user)`` (invisible: 404), tasks
only through a visible incident; rights on the incident are read once per request (may
see but not contribute: 403). Writes go through ``incidents.casework.actions``.

htmx swaps only 2xx responses: a form with errors answers 400 to a plain browser and
200 (errors beside the fields) to htmx.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.views import agency_admin_required
from incidents.casework import actions
from incidents.casework.forms import (
    AssignForm,
    CaseTemplateForm,
    MoveForm,
    OwnerForm,
    StepFormSet,
    TaskEditForm,
    TaskForm,
    TaskStatusForm,
)
from incidents.choices import ACTIVE_TASK_STATUSES, TASK_TRANSITIONS, Action, TaskStatus
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed
from incidents.forms import apply_validation_error, validation_message
from incidents.models import CaseTemplate, Task
from incidents.permissions import allowed_actions
from incidents.views import _is_htmx, _require, _visible_incident

MY_TASKS_ROWS = 10
MY_TASKS_PAGE_ROWS = 200


def _panel_url(incident):
    return reverse("casework:panel", args=[incident.reference])


def _task_rows(incident, row_errors):
    tasks = list(
        Task.objects.filter(incident=incident)
        .select_related("assignee", "assignee__agency")
        .order_by("position", "pk")
    )
    for index, task in enumerate(tasks):
        task.next_statuses = [TaskStatus(s) for s in TASK_TRANSITIONS[TaskStatus(task.status)]]
        task.is_first, task.is_last = index == 0, index == len(tasks) - 1
        task.errors = row_errors.get(task.pk, {})
    return tasks


def _across_nodes(incident):
    """Whether the case is worked on other nodes too, whose people cannot be assigned here."""
    if not settings.FEDERATION_NODE_NAME:
        return False
    return (
        incident.is_replica or incident.participations.filter(agency__node__isnull=False).exists()
    )


def _render_panel(
    request, incident, allowed, *, add_form=None, row_errors=None, focus=None, status=200
):
    user = request.user
    may_contribute = Action.CONTRIBUTE in allowed
    if may_contribute:
        add_form = add_form or TaskForm(incident=incident)
    people = list(actions.assignable_users(incident))
    own_participation = None
    if actions.may_name_owner_role(user):
        own_participation = (
            incident.participations.filter(agency_id=user.agency_id).select_related("owner").first()
        )
    context = {
        "incident": incident,
        "may_contribute": may_contribute,
        "tasks": _task_rows(incident, row_errors or {}),
        "add_form": add_form,
        "assignees": people if may_contribute else [],
        "own_participation": own_participation,
        "own_people": [p for p in people if p.agency_id == user.agency_id],
        "focus": focus,
        "is_htmx": _is_htmx(request),
        "across_nodes": _across_nodes(incident),
    }
    if _is_htmx(request):
        return render(request, "casework/_tasks_panel.html", context)
    return render(request, "casework/tasks_page.html", context, status=status)


def _after_write(request, incident, allowed, task=None):
    if _is_htmx(request):
        return _render_panel(request, incident, allowed, focus=task and f"task-{task.pk}")
    anchor = f"#task-{task.pk}" if task else "#tasks"
    return redirect(_panel_url(incident) + anchor)


def _contributor_incident(request, reference):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CONTRIBUTE)
    return incident, allowed


def _task(incident, pk):
    task = get_object_or_404(
        Task.objects.filter(incident=incident).select_related("assignee"), pk=pk
    )
    task.incident = incident
    return task


@login_required
@require_GET
def panel(request, reference):
    """The incident's tasks: a fragment for htmx, a page of its own otherwise."""
    incident = _visible_incident(request, reference)
    return _render_panel(request, incident, allowed_actions(request.user, incident))


@login_required
@require_POST
def add(request, reference):
    incident, allowed = _contributor_incident(request, reference)
    form = TaskForm(request.POST, incident=incident)
    if form.is_valid():
        data = form.cleaned_data
        try:
            task = actions.add_task(
                incident,
                request.user,
                title=data["title"],
                description=data["description"],
                assignee=data["assignee"],
                due_at=data["due_at"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
            return _after_write(request, incident, allowed, task)
    return _render_panel(request, incident, allowed, add_form=form, status=400)


def _row_error(request, incident, allowed, task, field, error):
    return _render_panel(
        request,
        incident,
        allowed,
        row_errors={task.pk: {field: error}},
        focus=f"task-{task.pk}-{field}",
        status=400,
    )


@login_required
@require_POST
def assign(request, reference, pk):
    incident, allowed = _contributor_incident(request, reference)
    task = _task(incident, pk)
    form = AssignForm(request.POST, incident=incident)
    if not form.is_valid():
        return _row_error(
            request, incident, allowed, task, "assignee", " ".join(form.errors["assignee"])
        )
    try:
        actions.assign_task(task, request.user, form.cleaned_data["assignee"])
    except ValidationError as exc:
        return _row_error(request, incident, allowed, task, "assignee", validation_message(exc))
    if task.assignee_id:
        text = _("“%(title)s” assigned to %(name)s.") % {
            "title": task.title,
            "name": task.assignee.display_name,
        }
    else:
        text = _("“%(title)s” is assigned to no one.") % {"title": task.title}
    messages.success(request, text)
    return _after_write(request, incident, allowed, task)


@login_required
def edit(request, reference, pk):
    """A task's title, description and due date, on a page of its own."""
    incident, _allowed = _contributor_incident(request, reference)
    task = _task(incident, pk)
    if request.method == "POST":
        form = TaskEditForm(request.POST)
        if form.is_valid():
            try:
                actions.update_task(task, request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("“%(title)s” saved.") % {"title": task.title})
                return redirect(f"{incident.get_absolute_url()}#task-{task.pk}")
    else:
        form = TaskEditForm(
            initial={"title": task.title, "description": task.description, "due_at": task.due_at}
        )
    return render(
        request, "casework/task_edit.html", {"incident": incident, "task": task, "form": form}
    )


@login_required
@require_POST
def change_status(request, reference, pk):
    incident, allowed = _contributor_incident(request, reference)
    task = _task(incident, pk)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        return _row_error(request, incident, allowed, task, "status", _("Choose a status."))
    try:
        actions.change_task_status(task, request.user, form.cleaned_data["status"])
    except (TransitionNotAllowed, ConcurrentChange) as exc:
        response = _row_error(request, incident, allowed, task, "status", exc.message)
        if not _is_htmx(request):
            response.status_code = 409
        return response
    messages.success(
        request,
        _("“%(title)s” is now %(status)s.")
        % {"title": task.title, "status": TaskStatus(task.status).label.lower()},
    )
    return _after_write(request, incident, allowed, task)


@login_required
@require_POST
def move(request, reference, pk):
    incident, allowed = _contributor_incident(request, reference)
    task = _task(incident, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _row_error(request, incident, allowed, task, "move", _("Move up or down."))
    actions.move_task(task, request.user, form.cleaned_data["offset"])
    return _after_write(request, incident, allowed, task)


@login_required
@require_POST
def set_owner(request, reference, pk):
    incident = _visible_incident(request, reference)
    participation = get_object_or_404(incident.participations.select_related("agency"), pk=pk)
    participation.incident = incident
    if participation.agency_id != request.user.agency_id:
        raise PermissionDenied(_("Only the agency's own participants name its owner."))
    form = OwnerForm(request.POST, agency=participation.agency)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["owner"]))
    else:
        try:
            actions.set_owner(participation, request.user, form.cleaned_data["owner"])
        except ValidationError as exc:
            messages.error(request, validation_message(exc))
        else:
            owner = form.cleaned_data["owner"]
            if owner:
                messages.success(
                    request,
                    _("%(name)s owns the case for %(agency)s.")
                    % {"name": owner.display_name, "agency": participation.agency.name},
                )
            else:
                messages.success(request, _("No owner named for your agency."))
    return redirect(f"{incident.get_absolute_url()}#participants")


# My tasks ---------------------------------------------------------------------------


@login_required
@require_GET
def my_tasks(request):
    """Active tasks assigned to me, soonest due first, on cases I may still see."""
    tasks = (
        Task.objects.restrict(request.user)
        .filter(assignee=request.user, status__in=ACTIVE_TASK_STATUSES)
        .filter(incident__is_exercise=False)
        .select_related("incident")
        .only(
            "title",
            "status",
            "due_at",
            "incident__reference",
            "incident__title",
            "incident__tlp",
        )
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )
    limit = MY_TASKS_ROWS if _is_htmx(request) else MY_TASKS_PAGE_ROWS
    rows = list(tasks[: limit + 1])
    context = {"my_tasks": rows[:limit], "more": len(rows) > limit, "now": timezone.now()}
    if _is_htmx(request):
        return render(request, "casework/_my_tasks_panel.html", context)
    return render(request, "casework/my_tasks_page.html", context)


# Case templates (agency admins) ----------------------------------------------------------


def _own_template(request, pk):
    return get_object_or_404(CaseTemplate.objects.filter(agency_id=request.user.agency_id), pk=pk)


@agency_admin_required
def templates_list(request):
    templates = (
        CaseTemplate.objects.filter(agency_id=request.user.agency_id)
        .prefetch_related("steps")
        .order_by("category", "name")
    )
    return render(
        request,
        "casework/case_templates.html",
        {"templates": templates, "agency": request.user.agency},
    )


@agency_admin_required
def template_edit(request, pk=None):
    template = _own_template(request, pk) if pk else CaseTemplate(agency_id=request.user.agency_id)
    form = CaseTemplateForm(request.POST or None, instance=template)
    formset = StepFormSet(request.POST or None, instance=template, prefix="steps")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
                formset.instance = saved
                formset.save()
        except IntegrityError:
            form.add_error(
                "category", _("Your agency already has an active template for this category.")
            )
        else:
            messages.success(request, _("Case template “%(name)s” saved.") % {"name": saved.name})
            return redirect("casework:templates")
    return render(
        request,
        "casework/case_template_form.html",
        {"form": form, "formset": formset, "template": template if pk else None},
        status=400 if request.method == "POST" else 200,
    )
