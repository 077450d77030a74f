"""Incident pages: dashboard, list, create/edit, detail with timeline and participants.

Every view reads incidents through ``Incident.objects.restrict(user)`` (what the
user may not see answers 404) and takes the user's rights on one incident from
``allowed_actions`` once per request (may see but not do: 403). Writes go
through ``incidents.actions`` only.
"""

import copy
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from incidents import actions, rendering
from incidents.choices import (
    OPEN_STATUSES,
    REOPENING,
    ROLES_THAT_FILE_INCIDENTS,
    STATUS_TRANSITIONS,
    TLP,
    Action,
    ParticipationRole,
    Status,
    TimelineKind,
)
from incidents.evidence import storage
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed
from incidents.forms import (
    IncidentForm,
    IncidentListFilterSet,
    InviteForm,
    ParticipationRoleForm,
    RemoveParticipationForm,
    StatusChangeForm,
    TagForm,
    TimelineEntryForm,
    apply_validation_error,
    invitable_agencies,
    validation_message,
)
from incidents.markdown import removed_links
from incidents.models import EntryAttachment, Incident, IncidentTag, Participation, TimelineEntry
from incidents.pagination import LookaheadPaginator
from incidents.permissions import allowed_actions, held_actions_annotations, lead_node_removed
from incidents.querysets import permission_exists
from incidents.tags import TAGS_PREFETCH, shown_tags, suggestions_for

LIST_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 20
DASHBOARD_ROWS = 10
RECENTLY_SHARED = timedelta(days=30)


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _visible_incident(request, reference, *, count_entries=False):
    """The incident if the user may see it; 404 otherwise (never 403 for the invisible).

    The user's rights on it come in the same query (``allowed_actions`` reads them).
    ``count_entries`` annotates ``visible_entries``, the number of timeline entries the
    user may read, in the same query (the detail page shows it beside the timeline).
    """
    incidents = (
        Incident.objects.restrict(request.user)
        .select_related("lead_agency", "created_by")
        .annotate(**held_actions_annotations(request.user))
    )
    if count_entries:
        # The incident page reads the tags only of an incident that has some.
        incidents = incidents.annotate(
            has_tags=Exists(IncidentTag.objects.filter(incident=OuterRef("pk")))
        )
        entries = (
            TimelineEntry.objects.filter(incident=OuterRef("pk"))
            .visible_to(request.user)
            .order_by()
            .values("incident")
            .annotate(n=Count("pk"))
            .values("n")
        )
        incidents = incidents.annotate(visible_entries=Coalesce(Subquery(entries), 0))
    try:
        return incidents.get(reference=reference)
    except Incident.DoesNotExist as exc:
        raise Http404(_("No such incident.")) from exc


def _require(allowed, action, incident=None):
    if action not in allowed:
        if incident is not None and action in (Action.CHANGE, Action.SHARE):
            actions.require_lead_node(incident)  # a replica: say where it is decided
        raise PermissionDenied(_("You may not do this on this incident."))


def may_file(user):
    return bool(user.agency_id) and user.has_role(*ROLES_THAT_FILE_INCIDENTS)


# Dashboard ---------------------------------------------------------------------------

# What the dashboard shows of an incident: fewer columns to compile and to read.
_ROW_FIELDS = (
    "reference",
    "title",
    "status",
    "severity",
    "tlp",
    "is_exercise",
    "updated_at",
    "lead_agency__short_name",
    "lead_agency__country",
)


@login_required
def dashboard(request):
    user = request.user
    visible = Incident.objects.restrict(user).filter(is_exercise=False)  # real cases only
    my_open = Incident.objects.none()
    shared = Participation.objects.none()
    if user.agency_id:
        my_role = Participation.objects.filter(
            incident=OuterRef("pk"), agency_id=user.agency_id
        ).values("role")[:1]
        my_open = (
            visible.filter(status__in=OPEN_STATUSES)
            .annotate(my_role=Subquery(my_role))
            .filter(my_role__isnull=False)
            .select_related("lead_agency")
            .only(*_ROW_FIELDS)
            .order_by("-updated_at", "-pk")
        )
        shared = (
            Participation.objects.filter(
                permission_exists(user, Action.VIEW, "incident_id"),  # probed per row
                agency_id=user.agency_id,
                created_at__gte=timezone.now() - RECENTLY_SHARED,
                incident__is_exercise=False,
            )
            .exclude(role=ParticipationRole.LEAD)
            .exclude(incident__lead_agency_id=user.agency_id)
            .select_related("incident", "incident__lead_agency", "invited_by")
            .only(
                "role",
                "created_at",
                *(f"incident__{name}" for name in _ROW_FIELDS),
                "invited_by__first_name",
                "invited_by__last_name",
                "invited_by__username",
            )
            .order_by("-created_at", "-pk")
        )
    activity = (
        TimelineEntry.objects.restrict(user)
        .filter(incident__is_exercise=False)
        .select_related("incident", "author__agency", "author_agency")
        .defer("body", "body_html")  # the excerpt is shown
        .order_by("-recorded_at", "-pk")[:DASHBOARD_ROWS]
    )
    open_incidents = list(my_open[: DASHBOARD_ROWS + 1])
    activity = list(activity)
    return render(
        request,
        "incidents/dashboard.html",
        {
            "my_open": open_incidents[:DASHBOARD_ROWS],
            "my_open_rows": rendering.my_open_rows(open_incidents[:DASHBOARD_ROWS]),
            "my_open_more": len(open_incidents) > DASHBOARD_ROWS,
            "shared": list(shared[:DASHBOARD_ROWS]),
            "activity": activity,
            "activity_items": rendering.activity_items(activity),
            "may_file": may_file(user),
            "open_statuses": OPEN_STATUSES,
        },
    )


# List --------------------------------------------------------------------------------


@login_required
@require_GET
def incident_list(request):
    incidents = (
        Incident.objects.restrict(request.user)
        .select_related("lead_agency")
        .prefetch_related(TAGS_PREFETCH)  # one query a page, whatever the rows' tags
    )
    filterset = IncidentListFilterSet(request.GET or None, queryset=incidents)
    results = filterset.qs
    if results.query.order_by:  # a stable order for pagination when sorting by a column
        results = results.order_by(*results.query.order_by, "-pk")
    paginator = LookaheadPaginator(results, LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"), after=request.GET.get("after"))
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "rows": rendering.incident_list_rows(page.object_list),
        "paginator": paginator,
        "is_filtered": filterset.is_filtered(),
        "may_file": may_file(request.user),
        "sort": request.GET.get("sort", ""),
        "tag_suggestions": suggestions_for(request.user),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "incidents/_incident_results.html", context)
    return render(request, "incidents/incident_list.html", context)


# Create / edit -----------------------------------------------------------------------


@login_required
def incident_create(request):
    user = request.user
    if not may_file(user):
        raise PermissionDenied(_("Only investigators and supervisors of an agency file incidents."))
    form = IncidentForm(request.POST or None, initial={"tlp": TLP.AMBER})
    if request.method == "POST" and form.is_valid():
        try:
            incident = actions.create_incident(user, **form.changes())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request, _("Incident %(reference)s filed.") % {"reference": incident.reference}
            )
            return redirect(incident)
    return render(
        request,
        "incidents/incident_form.html",
        {"form": form, "incident": None},
        status=400 if form.errors else 200,
    )


def _same_minute(a, b):
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


@login_required
def incident_edit(request, reference):
    incident = _visible_incident(request, reference)
    _require(allowed_actions(request.user, incident), Action.CHANGE)
    # The form works on a copy: validating a ModelForm writes into its instance,
    # and the action compares the incident as stored with the changes.
    form = IncidentForm(request.POST or None, instance=copy.copy(incident))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        # The input has minutes only: an untouched detection time is not a change.
        if _same_minute(changes["detected_at"], incident.detected_at):
            changes["detected_at"] = incident.detected_at
        try:
            actions.update_incident(incident, request.user, **changes)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Incident details saved."))
            return redirect(incident)
    return render(
        request,
        "incidents/incident_form.html",
        {"form": form, "incident": incident},
        status=400 if form.errors else 200,
    )


# Detail ------------------------------------------------------------------------------


def _timeline_entries(incident, user):
    """The entries of ``incident`` the user may read (TLP rule), newest first.

    Each says whether it has attachments or corrections (``EXISTS``), so that
    ``_attach_related`` asks for those of the entries that have some, and no more.
    """
    return (
        TimelineEntry.objects.filter(incident=incident)
        .visible_to(user)
        .select_related("author__agency", "author_agency")
        .annotate(
            has_attachments=Exists(EntryAttachment.objects.filter(entry=OuterRef("pk"))),
            has_corrections=Exists(TimelineEntry.objects.filter(corrects=OuterRef("pk"))),
        )
        .order_by("-occurred_at", "-pk")
    )


def _attach_related(entries, user):
    """Fill what ``_timeline_entry.html`` reads: audience (TLP:RED entries), attachments,
    and the reader's ``visible_corrections``. A query only for a kind some entry needs."""
    red = [e for e in entries if e.tlp == TLP.RED]
    if red:
        prefetch_related_objects(red, "audience")
    with_files = [e for e in entries if e.has_attachments]
    if with_files:
        prefetch_related_objects(
            with_files,
            Prefetch("attachments", queryset=EntryAttachment.objects.select_related("evidence")),
        )
    for entry in entries:
        if not entry.has_attachments:
            _prefetched_empty(entry, "attachments")
        if not entry.has_corrections:
            entry.visible_corrections = []
    corrected = [e for e in entries if e.has_corrections]
    if corrected:
        prefetch_related_objects(
            corrected,
            Prefetch(
                "corrections",
                queryset=TimelineEntry.objects.visible_to(user)
                .select_related("author__agency", "author_agency")
                .order_by("recorded_at", "pk"),
                to_attr="visible_corrections",
            ),
        )
    return entries


def _prefetched_empty(instance, related_name):
    """``instance.<related_name>.all()`` answers an empty list without a query or a compiled
    statement, as if prefetched (what ``prefetch_related`` stores for an object without rows)."""
    queryset = getattr(instance, related_name).all()
    queryset._result_cache, queryset._prefetch_done = [], True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[related_name] = queryset


def _timeline_context(request, incident, may_contribute):
    """The requested page of the timeline and its entries drawn (``_timeline_items.html``)."""
    paginator = Paginator(_timeline_entries(incident, request.user), TIMELINE_PAGE_SIZE)
    if hasattr(incident, "visible_entries"):  # counted with the incident: no COUNT query
        paginator.count = incident.visible_entries
    page = paginator.get_page(request.GET.get("page"))
    entries = _attach_related(list(page.object_list), request.user)
    return {
        "timeline": page,
        "timeline_entries": rendering.timeline_entries(
            entries, incident=incident, may_contribute=may_contribute
        ),
    }


def _render_detail(
    request,
    incident,
    allowed,
    *,
    entry_form=None,
    status_form=None,
    invite_form=None,
    tag_form=None,
    status=200,
):
    user = request.user
    participations = list(
        incident.participations.select_related("agency", "invited_by", "owner").order_by(
            "created_at", "pk"
        )
    )
    context = {
        "incident": incident,
        "allowed": allowed,
        "may_change": Action.CHANGE in allowed,
        "may_contribute": Action.CONTRIBUTE in allowed,
        "may_share": Action.SHARE in allowed,
        "participations": participations,
        **_timeline_context(request, incident, Action.CONTRIBUTE in allowed),
        "status_form": status_form,
        "next_statuses": [
            (Status(s), (incident.status, s) in REOPENING)
            for s in STATUS_TRANSITIONS[Status(incident.status)]
        ],
        "tags": shown_tags(incident),  # one query, if the incident has tags
        "lead_node_removed": bool(incident.origin_node) and lead_node_removed(incident),
    }
    if Action.CHANGE in allowed:
        context.update(tag_form=tag_form or TagForm(), tag_suggestions=suggestions_for(user))
    if Action.CONTRIBUTE in allowed:
        correcting = None
        if entry_form is None:
            initial = {}
            corrects = request.GET.get("corrects", "")
            if corrects.isdigit():
                correcting = (
                    TimelineEntry.objects.filter(
                        incident=incident, pk=int(corrects), kind=TimelineKind.NOTE
                    )
                    .visible_to(user)
                    .select_related("author_agency")
                    .first()
                )
                if correcting is not None:
                    # A correction is marked no lower than the entry or the incident.
                    tlp = max(correcting.tlp, incident.tlp, key=TLP.rank)
                    initial = {"corrects": correcting.pk, "tlp": tlp}
            entry_form = TimelineEntryForm(initial=initial, incident=incident, user=user)
        else:
            correcting = getattr(entry_form, "cleaned_data", {}).get("corrects")
        context.update(entry_form=entry_form, correcting=correcting)
    if Action.SHARE in allowed:
        invite_form = invite_form or InviteForm(incident=incident)
        agencies = list(invite_form.fields["agency"].queryset)
        invite_form.set_country_choices(agencies)
        context.update(
            invite_form=invite_form,
            invite_agency_options=rendering.agency_options(
                agencies, one_country=False, selected=str(invite_form["agency"].value() or "")
            ),
            role_choices=ParticipationRoleForm.base_fields["role"].choices,
        )
    return render(request, "incidents/incident_detail.html", context, status=status)


@login_required
@require_GET
def incident_detail(request, reference):
    incident = _visible_incident(request, reference, count_entries=True)
    return _render_detail(request, incident, allowed_actions(request.user, incident))


@login_required
@require_GET
def timeline_more(request, reference):
    """The next page of the timeline, as list items (htmx "load more")."""
    incident = _visible_incident(request, reference)
    return render(
        request,
        "incidents/_timeline_items.html",
        {
            "incident": incident,
            **_timeline_context(
                request, incident, Action.CONTRIBUTE in allowed_actions(request.user, incident)
            ),
        },
    )


@login_required
@require_POST
def status_change(request, reference):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CHANGE, incident)
    form = StatusChangeForm(request.POST, incident=incident)
    if form.is_valid():
        try:
            actions.change_status(
                incident, request.user, form.cleaned_data["status"], form.cleaned_data["reason"]
            )
        except TransitionNotAllowed as exc:
            allowed_next = ", ".join(str(Status(s).label) for s in exc.allowed)
            messages.error(
                request,
                _("%(message)s Possible next status: %(allowed)s.")
                % {"message": exc.message, "allowed": allowed_next},
            )
            return _render_detail(request, incident, allowed, status=409)
        except ConcurrentChange as exc:
            messages.error(request, exc.message)
            incident.refresh_from_db(fields=["status", "updated_at"])
            return _render_detail(request, incident, allowed, status=409)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("Status changed to %(status)s.") % {"status": Status(incident.status).label},
            )
            return redirect(incident)
    if "status" in form.errors:
        messages.error(request, " ".join(form.errors["status"]))
    return _render_detail(request, incident, allowed, status_form=form, status=400)


@csrf_exempt
@login_required
@require_POST
def timeline_add(request, reference):
    # Attachments stream through the hashing handler, installed before anything reads
    # the body (CSRF included); CSRF is checked right after, by csrf_protect.
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CONTRIBUTE)
    if storage.declared_upload_size(request) > settings.EVIDENCE_MAX_UPLOAD_BYTES:
        # Refused before reading the body: nothing is written, so no CSRF token is needed.
        form = TimelineEntryForm(incident=incident, user=request.user)
        form.cleaned_data = {}  # unbound (the body is not read), yet it shows the error
        form.add_error("attachments", actions.attachments_too_large_message())
        return _render_detail(request, incident, allowed, entry_form=form, status=413)
    storage.install_handler(request)
    return _timeline_add(request, incident, allowed)


@csrf_protect
def _timeline_add(request, incident, allowed):
    form = TimelineEntryForm(request.POST, request.FILES, incident=incident, user=request.user)
    if storage.refusal(request):
        form.add_error("attachments", actions.attachments_too_large_message())
        return _render_detail(request, incident, allowed, entry_form=form, status=413)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = actions.add_timeline_entry(
                incident,
                request.user,
                data["body"],
                tlp=data["tlp"],
                occurred_at=data["occurred_at"],
                corrects=data["corrects"],
                audience=data["audience"],
                attachments=data["attachments"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Entry added to the timeline."))
            removed = removed_links(data["body"])
            if removed:
                messages.warning(
                    request,
                    _(
                        "Links kept as plain text: only http, https and mailto addresses "
                        "are linked. Removed: %(links)s"
                    )
                    % {"links": ", ".join(removed)},
                )
            return redirect(f"{incident.get_absolute_url()}#entry-{entry.pk}")
    return _render_detail(request, incident, allowed, entry_form=form, status=400)


@login_required
@require_POST
def tag_add(request, reference):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CHANGE, incident)
    form = TagForm(request.POST)
    if form.is_valid():
        try:
            tag = actions.add_tag(incident, request.user, form.cleaned_data["name"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("Tagged %(tag)s.") % {"tag": tag.name})
            return redirect(f"{incident.get_absolute_url()}#tags")
    return _render_detail(request, incident, allowed, tag_form=form, status=400)


@login_required
@require_POST
def tag_remove(request, reference, pk):
    incident = _visible_incident(request, reference)
    _require(allowed_actions(request.user, incident), Action.CHANGE)
    tag = get_object_or_404(IncidentTag.objects.filter(incident=incident), pk=pk)
    tag.incident = incident
    actions.remove_tag(tag, request.user)
    messages.success(request, _("Tag %(tag)s removed.") % {"tag": tag.name})
    return redirect(f"{incident.get_absolute_url()}#tags")


@login_required
@require_POST
def participant_invite(request, reference):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.SHARE, incident)
    form = InviteForm(request.POST, incident=incident)
    if form.is_valid():
        agency = form.cleaned_data["agency"]
        try:
            actions.share_incident(incident, agency, form.cleaned_data["role"], request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(
                request, _("%(agency)s invited to the incident.") % {"agency": agency.name}
            )
            return redirect(f"{incident.get_absolute_url()}#participants")
    return _render_detail(request, incident, allowed, invite_form=form, status=400)


def _participation(incident, pk):
    return get_object_or_404(incident.participations.select_related("agency"), pk=pk)


@login_required
@require_POST
def participant_remove(request, reference, pk):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.SHARE, incident)
    participation = _participation(incident, pk)
    form = RemoveParticipationForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        actions.remove_participation(participation, request.user, reason)
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
        return _render_detail(request, incident, allowed, status=400)
    messages.success(
        request,
        _("%(agency)s removed from the incident.") % {"agency": participation.agency.name},
    )
    return redirect(f"{incident.get_absolute_url()}#participants")


@login_required
@require_POST
def participant_role(request, reference, pk):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.SHARE, incident)
    participation = _participation(incident, pk)
    form = ParticipationRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose contributor or observer."))
        return _render_detail(request, incident, allowed, status=400)
    try:
        actions.change_participation_role(participation, form.cleaned_data["role"], request.user)
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
        return _render_detail(request, incident, allowed, status=400)
    messages.success(
        request,
        _("%(agency)s is now %(role)s.")
        % {"agency": participation.agency.name, "role": participation.get_role_display().lower()},
    )
    return redirect(f"{incident.get_absolute_url()}#participants")


@login_required
@require_GET
def agency_options(request, reference):
    """``<option>``s of the agencies of one country that may still be invited (htmx)."""
    incident = _visible_incident(request, reference)
    _require(allowed_actions(request.user, incident), Action.SHARE)
    country = request.GET.get("country", "").strip()[:2]
    agencies = list(invitable_agencies(incident, country or None))
    return HttpResponse(rendering.agency_options(agencies, one_country=bool(country)))
