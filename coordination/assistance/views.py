"""Request pages: the liaison desk, the list, drafting, the detail with its deadlines,
history and actions, the printable form, and the incident page's panel.

Every view reads requests through ``AssistanceRequest.objects.restrict(user)`` (what the
user may not see answers 404; what they see but may not do answers 403) and writes
through ``actions`` / ``transitions`` only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.forms.utils import ErrorDict
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.choices import Role
from coordination.assistance import actions, deadlines, escalation, printing, validation_rules
from coordination.assistance.choices import (
    DRAFTING_ROLES,
    TRANSITIONS,
    ActionName,
    DeadlineKind,
    EscalationLevel,
    LegalBasis,
    Status,
)
from coordination.assistance.forms import (
    ACTION_HINTS,
    AttachmentForm,
    DataSoughtFormSet,
    PolicyForm,
    RequestForm,
    RequestListFilterSet,
    TransitionForm,
    data_sought_initial,
    data_sought_items,
)
from coordination.assistance.models import AssistanceRequest, Attachment
from coordination.assistance.provider_views import provider_order_context
from coordination.assistance.querysets import history_visible_to
from coordination.assistance.transitions import (
    allowed_actions,
    archived_refusal,
    side_of,
    transition_request,
)
from coordination.assistance.validation import missing_essentials
from coordination.assistance.validation_rules import VALIDATE_LABEL
from incidents.choices import Action
from incidents.exceptions import ConcurrentChange, TransitionNotAllowed
from incidents.forms import apply_validation_error
from incidents.models import Incident
from incidents.pagination import LookaheadPaginator

LIST_PAGE_SIZE = 25
DESK_PAGE_SIZE = 50
LIST_RELATED = (
    "incident",
    "requesting_agency",
    "receiving_agency",
    "executing_agency",
)


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def may_draft(user):
    return bool(user.is_authenticated and user.agency_id and user.role in DRAFTING_ROLES)


def visible_request(request, reference, *related):
    queryset = AssistanceRequest.objects.restrict(request.user).select_related(
        *LIST_RELATED, "created_by", *related
    )
    try:
        return queryset.get(reference=reference)
    except AssistanceRequest.DoesNotExist:
        raise Http404 from None


def _decorate(rows, user, now=None):
    """Give each row ``remaining_text`` ("2 days 4 h left"), ``is_overdue`` and its
    ``direction`` ("out" when the user's agency asks, "in" when it is asked)."""
    now = now or timezone.now()
    for obj in rows:
        obj.remaining = obj.due_at - now if obj.due_at else None
        obj.is_overdue = bool(obj.due_at and obj.due_at < now)
        obj.remaining_text = deadlines.format_remaining(obj.remaining) if obj.due_at else ""
        obj.direction = "out" if obj.requesting_agency_id == user.agency_id else "in"
        if obj.direction == "in" and (
            obj.status == Status.PENDING_APPROVAL
            or (
                obj.validating_agency_id == user.agency_id
                and obj.acting_agency_id != user.agency_id
            )
        ):
            obj.direction = "validate"  # a judicial authority of the issuing State
        level = escalation.level_for(obj.due_at, obj.due_clock_started_at, now)
        obj.escalation_level = EscalationLevel(level) if level else None
    return rows


# Desk and list --------------------------------------------------------------------------


@login_required
@require_GET
def desk(request):
    """Requests waiting for my agency's action, nearest due date first."""
    user = request.user
    rows = (
        AssistanceRequest.objects.restrict(user)
        .exclude(incident__is_exercise=True)  # exercise requests: on the exercise's page
        .awaiting_action_of(user)
        .with_incident_visibility(user)
        .select_related(*LIST_RELATED)
        .order_by(F("due_at").asc(nulls_last=True), "-updated_at", "-pk")
    )
    paginator = LookaheadPaginator(rows, DESK_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"), after=request.GET.get("after"))
    page.object_list = _decorate(list(page.object_list), user)
    return render(
        request,
        "assistance/desk.html",
        {
            "page": page,
            "paginator": paginator,
            "may_draft": may_draft(user),
            "overdue_count": sum(1 for r in page.object_list if r.is_overdue),
        },
    )


@login_required
@require_GET
def request_list(request):
    user = request.user
    queryset = (
        AssistanceRequest.objects.restrict(user)
        .exclude(incident__is_exercise=True)  # exercise requests: on the exercise's page
        .with_incident_visibility(user)
        .select_related(*LIST_RELATED)
    )
    filterset = RequestListFilterSet(request.GET or None, queryset=queryset, request=request)
    results = filterset.qs
    if results.query.order_by:
        results = results.order_by(*results.query.order_by, "-pk")
    else:
        results = results.order_by("-updated_at", "-pk")
    paginator = LookaheadPaginator(results, LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"), after=request.GET.get("after"))
    page.object_list = _decorate(list(page.object_list), user)
    context = {
        "form": filterset.form,
        "page": page,
        "paginator": paginator,
        "is_filtered": filterset.is_filtered(),
        "may_draft": may_draft(user),
        "sort": request.GET.get("sort", ""),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "assistance/_request_results.html", context)
    return render(request, "assistance/request_list.html", context)


# Drafting -------------------------------------------------------------------------------


def _incident_from_query(request):
    reference = (request.GET.get("incident") or request.POST.get("incident_ref") or "").strip()
    if not reference:
        return None
    incident = (
        Incident.objects.restrict(request.user, Action.CONTRIBUTE)
        .filter(reference=reference.upper())
        .first()
    )
    if incident is None:
        raise Http404
    return incident


def _render_form(request, form, formset, *, obj=None, incident=None, status=200, adapting=False):
    context = {
        "form": form,
        "formset": formset,
        "obj": obj,
        "incident": incident,
        "adapting": adapting,
    }
    return render(request, "assistance/request_form.html", context, status=status)


@login_required
def request_create(request):
    user = request.user
    if not may_draft(user):
        raise PermissionDenied(_("Only investigators and liaison officers draft requests."))
    incident = _incident_from_query(request)
    if request.method == "POST":
        form = RequestForm(request.POST, user=user)
        formset = DataSoughtFormSet(_with_added_row(request.POST), prefix="data")
        if request.POST.get("add_row"):
            return _render_form(request, form, formset, incident=incident, adapting=True)
        if form.is_valid() and formset.is_valid():
            try:
                obj = actions.create_request(
                    user,
                    incident=incident,
                    data_sought=data_sought_items(formset),
                    **form.changes(),
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Draft %(reference)s saved. Submit it for approval when complete.")
                    % {"reference": obj.reference},
                )
                return redirect(obj)
        return _render_form(request, form, formset, incident=incident, status=400)
    initial = {}
    if incident is not None:
        initial = {
            "facts": incident.summary,
            # The facts start as the case's summary: so does the marking.
            "tlp": incident.tlp,
            "confidentiality_requested": incident.tlp in ("amber+strict", "red"),
        }
        affected = [
            c.code for c in incident.affected_countries if c.code != user.agency.country.code
        ]
        if affected:
            initial["requested_country"] = affected[0]
    for name in ("legal_basis", "requested_country"):
        if request.GET.get(name):
            initial[name] = request.GET[name]
    form = RequestForm(initial=initial, user=user)
    formset = DataSoughtFormSet(prefix="data")
    return _render_form(request, form, formset, incident=incident)


@login_required
def request_edit(request, reference):
    obj = visible_request(request, reference)
    if not AssistanceRequest.objects.restrict(request.user, "change").filter(pk=obj.pk).exists():
        raise PermissionDenied(_("Only a draft of your agency can be edited."))
    if request.method == "POST":
        form = RequestForm(request.POST, instance=obj, user=request.user)
        formset = DataSoughtFormSet(_with_added_row(request.POST), prefix="data")
        if request.POST.get("add_row"):
            return _render_form(
                request, form, formset, obj=obj, incident=obj.incident, adapting=True
            )
        if form.is_valid() and formset.is_valid():
            try:
                actions.update_draft(
                    AssistanceRequest.objects.get(pk=obj.pk),
                    request.user,
                    data_sought=data_sought_items(formset),
                    **form.changes(),
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except ConcurrentChange as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Draft saved."))
                return redirect(obj)
        return _render_form(request, form, formset, obj=obj, incident=obj.incident, status=400)
    form = RequestForm(instance=obj, user=request.user)
    formset = DataSoughtFormSet(prefix="data", initial=data_sought_initial(obj))
    return _render_form(request, form, formset, obj=obj, incident=obj.incident)


@login_required
@require_POST
def form_adapt(request):
    """htmx: the drafting form again, fitted to the basis / measures / urgency / country
    just chosen, with everything typed so far kept (no errors shown yet)."""
    if not may_draft(request.user):
        raise PermissionDenied
    form = RequestForm(request.POST, user=request.user)
    formset = DataSoughtFormSet(_with_added_row(request.POST), prefix="data")
    _without_errors(form, *formset.forms)
    return render(
        request,
        "assistance/_request_form_fields.html",
        {"form": form, "formset": formset, "adapting": True},
    )


def _without_errors(*forms):
    """Validated (what the form shows may depend on the cleaned values) but with no error:
    fields are not marked invalid (aria-invalid) while the user is still choosing."""
    for form in forms:
        form.full_clean()
        form._errors = ErrorDict()


def _with_added_row(data):
    """The posted data with one more data-sought row when "Add a row" was pressed."""
    if not data.get("add_row"):
        return data
    data = data.copy()
    try:
        total = int(data.get("data-TOTAL_FORMS", 0))
    except ValueError:
        total = 0
    data["data-TOTAL_FORMS"] = str(min(total + 1, 50))
    return data


# Detail and actions ---------------------------------------------------------------------


def action_label(obj, action, requirement=None):
    """The action's label; ``approve`` reads "Validate and send" where it is the validation."""
    if action == ActionName.APPROVE and (requirement or validation_rules.validation_needed(obj)):
        return VALIDATE_LABEL
    return TRANSITIONS[action].label


def _detail_context(request, obj, *, failed_action=None, action_form=None):
    user = request.user
    obj = (
        AssistanceRequest.objects.filter(pk=obj.pk)
        .select_related(
            *LIST_RELATED,
            "created_by",
            "follow_up",
            "approved_by",
            "validated_by",
            "validating_agency",
            "enforcing_agency",
            "provider_addressee__provider",
        )
        .prefetch_related("data_sought", "attachments", "history", "clocks")
        .get()
    )
    policy = deadlines.policy_of(obj)
    now = timezone.now()
    shown = deadlines.deadlines_for(obj, policy)
    for d in shown:
        d.remaining_text = deadlines.format_remaining(d.due_at - now) if d.due_at else ""
        d.is_overdue = bool(d.is_running and d.due_at and d.due_at < now)
    obj.remaining = obj.due_at - now if obj.due_at else None
    obj.is_overdue = bool(obj.due_at and obj.due_at < now)
    obj.remaining_text = deadlines.format_remaining(obj.remaining) if obj.due_at else ""
    allowed = allowed_actions(obj, user)
    archived = archived_refusal(obj)
    requirement = validation_rules.validation_needed(obj)
    addressee_warning = validation_rules.addressee_warning(obj) if obj.receiving_agency_id else ""
    buttons = []
    for t in allowed:
        buttons.append(
            {
                "t": t,
                "label": action_label(obj, t.name, requirement),
                "hint": ACTION_HINTS.get(t.name, ""),
                "open": failed_action == t.name,
                "form": action_form if failed_action == t.name else None,
                "confirm_addressee": t.name == ActionName.APPROVE and bool(addressee_warning),
            }
        )
    side = side_of(user, obj)
    forward_targets = []
    if any(t.name == ActionName.FORWARD for t in allowed):
        forward_targets = list(
            actions.receiving_agencies(obj.requested_country).exclude(pk=obj.acting_agency_id)
        )
    follow_up_choices = []
    if any(t.name == ActionName.LINK_FOLLOW_UP for t in allowed):
        follow_up_choices = list(
            AssistanceRequest.objects.restrict(user)
            .filter(
                requesting_agency_id=obj.requesting_agency_id,
                requested_country=obj.requested_country,
            )
            .exclude(pk=obj.pk)
            .exclude(status__in=[Status.DRAFT, Status.PENDING_APPROVAL, Status.WITHDRAWN])
            .exclude(legal_basis__in=["budapest_29", "epoc_pr"])
            .only("reference", "legal_basis")
        )
    missing = missing_essentials(obj) if obj.status == Status.DRAFT else {}
    history = history_visible_to(obj, user, obj.history.all())
    for row in history:
        validated = row.action == ActionName.APPROVE and obj.validating_agency_id
        row.shown_label = VALIDATE_LABEL if validated else row.action_label
    return {
        "obj": obj,
        "deadlines": shown,
        "history": history,
        "validation": {
            "requirement": requirement,
            "who": validation_rules.who_must_validate(obj, requirement) if requirement else "",
            "pending": requirement is not None and obj.status == Status.PENDING_APPROVAL,
        },
        "addressee_warning": addressee_warning,
        "buttons": buttons,
        "side": side,
        "may_edit": obj.status == Status.DRAFT
        and side == "requesting"
        and user.role in DRAFTING_ROLES
        and archived is None,
        "archived": archived,
        "missing": missing,
        "forward_targets": forward_targets,
        "follow_up_choices": follow_up_choices,
        "attachment_form": AttachmentForm(),
        "may_see_incident": obj.incident_id
        and Incident.objects.restrict(user).filter(pk=obj.incident_id).exists(),
        "DeadlineKind": DeadlineKind,
        "order": provider_order_context(obj, now) if obj.is_provider_order else None,
    }


@login_required
@require_GET
def request_detail(request, reference):
    obj = visible_request(request, reference)
    return render(request, "assistance/request_detail.html", _detail_context(request, obj))


@login_required
@require_POST
def request_action(request, reference, action):
    obj = visible_request(request, reference)
    if action not in ActionName.values:
        raise Http404
    form = TransitionForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, obj, failed_action=action, action_form=form)
        return render(request, "assistance/request_detail.html", context, status=400)
    data = {k: v for k, v in form.cleaned_data.items() if k != "comment" and v not in (None, "")}
    if action == ActionName.LINK_FOLLOW_UP:
        data["follow_up"] = (
            AssistanceRequest.objects.restrict(request.user)
            .filter(reference=(form.cleaned_data.get("follow_up") or "").strip().upper())
            .first()
        )
    try:
        transition_request(
            obj, action, request.user, comment=form.cleaned_data.get("comment", ""), **data
        )
    except ValidationError as exc:
        apply_validation_error(form, exc)
        context = _detail_context(request, obj, failed_action=action, action_form=form)
        if action in (ActionName.SUBMIT, ActionName.APPROVE) and "confirm_addressee" not in (
            getattr(exc, "error_dict", None) or {}
        ):
            messages.error(
                request, _("The request is not complete yet: see what is missing below.")
            )
        return render(request, "assistance/request_detail.html", context, status=400)
    except (TransitionNotAllowed, ConcurrentChange) as exc:
        messages.error(request, exc.message)
        return render(
            request, "assistance/request_detail.html", _detail_context(request, obj), status=409
        )
    messages.success(
        request,
        _("%(action)s: done. The request is now “%(status)s”.")
        % {"action": action_label(obj, action), "status": obj.get_status_display()},
    )
    return redirect(obj)


@login_required
@require_GET
def request_print(request, reference):
    """The form the request's instrument defines, for the authority that receives it."""
    obj = visible_request(request, reference)
    context = _detail_context(request, obj)
    return _render_printable(
        request,
        printing.form_template(context["obj"]),
        context,
        printing.form_reader(context["obj"]),
    )


@login_required
@require_GET
def request_print_acknowledgement(request, reference):
    """Annex B of Directive 2014/41/EU: the executing side's confirmation of receipt."""
    obj = visible_request(request, reference)
    if obj.legal_basis != LegalBasis.EIO or obj.received_at is None:
        raise Http404
    context = _detail_context(request, obj)
    context.update(printing.acknowledgement_context(context["obj"]))
    return _render_printable(
        request,
        printing.ACKNOWLEDGEMENT_TEMPLATE,
        context,
        printing.acknowledgement_reader(context["obj"]),
    )


def _render_printable(request, template, context, reader):
    now = timezone.now()
    context.update(
        printed_at=now,
        reader=reader,
        zone=reader.zone,
        zone_label=printing.zone_label(reader.zone, now.year),
        validation_not_required=printing.validation_not_required(context["obj"]),
        categories=printing.data_categories(context["obj"]),
        detailed_measures=printing.measures_needing_details(context["obj"]),
        emergency_hours=printing.EMERGENCY_HOURS,
        preservation_days=printing.PRESERVATION_DAYS,
        preservation_extension_days=printing.PRESERVATION_EXTENSION_DAYS,
    )
    with translation.override(reader.language):
        response = render(request, template, context)
    response["Content-Language"] = reader.language
    return response


# Attachments ----------------------------------------------------------------------------


@login_required
@require_POST
def attachment_upload(request, reference):
    obj = visible_request(request, reference)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = actions.add_attachment(obj, request.user, form.cleaned_data["file"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(name)s attached (SHA-256 %(hash)s).")
                % {"name": attachment.name, "hash": attachment.sha256[:16] + "…"},
            )
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(f"{obj.get_absolute_url()}#attachments")


@login_required
@require_GET
def attachment_download(request, reference, pk):
    obj = visible_request(request, reference)
    attachment = Attachment.objects.filter(request=obj, pk=pk).first()
    if attachment is None:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name
    )
    response["X-Content-SHA256"] = attachment.sha256
    return response


@login_required
@require_POST
def attachment_remove(request, reference, pk):
    obj = visible_request(request, reference)
    attachment = Attachment.objects.filter(request=obj, pk=pk).select_related("request").first()
    if attachment is None:
        raise Http404
    actions.remove_attachment(attachment, request.user)
    messages.success(request, _("%(name)s removed.") % {"name": attachment.name})
    return redirect(f"{obj.get_absolute_url()}#attachments")


# Incident page panel --------------------------------------------------------------------


@login_required
@require_GET
def incident_panel(request, reference):
    """Lazy panel on the incident page: its requests I may see, and the button to draft."""
    incident = Incident.objects.restrict(request.user).filter(reference=reference).first()
    if incident is None:
        raise Http404
    rows = list(
        AssistanceRequest.objects.restrict(request.user)
        .filter(incident=incident)
        .with_incident_visibility(request.user)
        .select_related(*LIST_RELATED)
        .order_by("-updated_at", "-pk")[:20]
    )
    may_request = (
        may_draft(request.user)
        and Incident.objects.restrict(request.user, Action.CONTRIBUTE)
        .filter(pk=incident.pk)
        .exists()
    )
    return render(
        request,
        "assistance/_incident_panel.html",
        {"incident": incident, "rows": _decorate(rows, request.user), "may_request": may_request},
    )


# Agency deadline policy -----------------------------------------------------------------


@login_required
def policy(request):
    user = request.user
    if not (user.agency_id and user.role == Role.AGENCY_ADMIN):
        raise PermissionDenied(_("Only agency admins set their agency's deadline policy."))
    current = deadlines.policy_for(user.agency_id)
    form = PolicyForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for row in form.rows:
            rule = row["rule"]
            for urgency, name in row["fields"]:
                value = form.cleaned_data.get(name)
                if value != current.get((rule.basis, rule.kind, urgency.value)):
                    actions.set_deadline_policy(
                        user.agency,
                        user,
                        legal_basis=rule.basis,
                        kind=rule.kind,
                        urgency=urgency.value,
                        hours=value,
                    )
        messages.success(request, _("Deadline policy saved. New transitions use it."))
        return redirect("assistance:policy")
    return render(
        request,
        "assistance/policy.html",
        {"form": form, "rows": form.bound_rows()},
        status=400 if form.errors else 200,
    )
