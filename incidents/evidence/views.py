"""Evidence pages: lists, logging an item (with a streamed upload), the custody timeline,
logging custody steps, chain verification, the printable report and downloads.

Every item is read through ``Evidence.objects.restrict(user)`` (invisible → 404); the
user's rights on its incident are read once per request (may see, may not do → 403).
Writes go through ``incidents.evidence.actions`` only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Agency
from coordination.federation import identity
from incidents.choices import Action
from incidents.evidence import actions, storage
from incidents.evidence.choices import CustodyAction
from incidents.evidence.filtersets import EvidenceListFilterSet
from incidents.evidence.forms import CustodyEventForm, DownloadForm, EvidenceForm
from incidents.exceptions import TransitionNotAllowed
from incidents.forms import apply_validation_error
from incidents.models import Evidence, Incident
from incidents.pagination import LookaheadPaginator
from incidents.permissions import allowed_actions

LIST_PAGE_SIZE = 25
CUSTODY_PAGE_SIZE = 50
PANEL_ROWS = 5


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _visible_incident(request, reference):
    try:
        return Incident.objects.restrict(request.user).get(reference=reference)
    except Incident.DoesNotExist as exc:
        raise Http404(_("No such incident.")) from exc


def _visible_evidence(request, reference):
    items = Evidence.objects.restrict(request.user).select_related(
        "incident", "holder_agency", "transit_to_agency", "created_by", "source_attachment"
    )
    try:
        return items.get(reference=reference)
    except Evidence.DoesNotExist as exc:
        raise Http404(_("No such evidence item.")) from exc


def _require_contribute(rights):
    if Action.CONTRIBUTE not in rights:
        raise PermissionDenied(_("You may not log evidence on this incident."))


def _holders(visible):
    """Agencies holding an item the user may see (the holder filter's menu), one query."""
    return Agency.objects.filter(
        Exists(visible.filter(holder_agency_id=OuterRef("pk")).order_by())
    ).order_by("country", "name")


def _list_context(request, items, *, incident=None):
    items = items.select_related("incident", "holder_agency", "transit_to_agency")
    filterset = EvidenceListFilterSet(request.GET or None, queryset=items, holders=_holders(items))
    paginator = LookaheadPaginator(filterset.qs.order_by("-created_at", "-pk"), LIST_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"), after=request.GET.get("after"))
    return {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "paginator": paginator,
        "is_filtered": filterset.is_filtered(),
        "incident": incident,
    }


@login_required
@require_GET
def evidence_list(request):
    """Evidence across the cases of my agency (and those shared with me by name)."""
    real = Evidence.objects.restrict(request.user).filter(incident__is_exercise=False)
    context = _list_context(request, real)
    if _is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "evidence/_evidence_results.html", context)
    return render(request, "evidence/evidence_list.html", context)


@login_required
@require_GET
def incident_evidence(request, reference):
    incident = _visible_incident(request, reference)
    items = Evidence.objects.restrict(request.user).filter(incident=incident)
    context = _list_context(request, items, incident=incident)
    context["may_contribute"] = Action.CONTRIBUTE in allowed_actions(request.user, incident)
    if _is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "evidence/_evidence_results.html", context)
    return render(request, "evidence/evidence_list.html", context)


@login_required
@require_GET
def incident_panel(request, reference):
    """The incident page's evidence panel (loaded lazily by htmx)."""
    incident = _visible_incident(request, reference)
    items = (
        Evidence.objects.restrict(request.user)
        .filter(incident=incident)
        .select_related("holder_agency", "transit_to_agency")
        .order_by("-created_at", "-pk")
    )
    rows = list(items[: PANEL_ROWS + 1])
    return render(
        request,
        "evidence/_incident_panel.html",
        {
            "incident": incident,
            "items": rows[:PANEL_ROWS],
            "more": len(rows) > PANEL_ROWS,
            "may_contribute": Action.CONTRIBUTE in allowed_actions(request.user, incident),
        },
    )


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def evidence_create(request, reference):
    # The hashing upload handler must be installed before anything reads the body,
    # CSRF included; CSRF is checked right after, by csrf_protect.
    if request.method == "POST":
        refused = _refuse_before_reading(request, reference)
        if refused is not None:
            return refused
        storage.install_handler(request)
    return _evidence_create(request, reference)


def _refuse_before_reading(request, reference):
    """The form with the reason beside its file field (413) when the request's declared
    size is more than one upload may be or than the agency has left; the body is not
    read. Nothing is written, so the CSRF token (in the body) is not needed."""
    incident = _visible_incident(request, reference)
    _require_contribute(allowed_actions(request.user, incident))
    size = storage.declared_upload_size(request)
    if not size:
        return None
    try:
        actions.check_upload(request.user.agency_id, size)
    except ValidationError as exc:
        form = EvidenceForm()
        form.cleaned_data = {}  # unbound (the body is not read), yet it shows the error
        apply_validation_error(form, exc)
        return render(
            request,
            "evidence/evidence_form.html",
            {"form": form, "incident": incident},
            status=413,
        )
    return None


@csrf_protect
def _evidence_create(request, reference):
    incident = _visible_incident(request, reference)
    _require_contribute(allowed_actions(request.user, incident))
    form = EvidenceForm(request.POST or None, request.FILES or None)
    refused = storage.refusal(request) if request.method == "POST" else None
    if refused:
        form.add_error("file", refused)
        return render(
            request,
            "evidence/evidence_form.html",
            {"form": form, "incident": incident},
            status=413,
        )
    if request.method == "POST":
        if form.is_valid():
            data = form.action_fields()
            try:
                item = actions.create_evidence(
                    incident, request.user, upload=form.cleaned_data["file"], **data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request, _("Evidence %(reference)s logged.") % {"reference": item.reference}
                )
                return redirect(item)
        else:
            upload = request.FILES.get("file")
            if upload is not None:
                upload.close()  # the part file goes with it: nothing half-stored
    return render(
        request,
        "evidence/evidence_form.html",
        {"form": form, "incident": incident},
        status=400 if form.errors else 200,
    )


def _custody_steps(item):
    return item.custody.select_related("from_agency", "to_agency", "recorded_by_agency").order_by(
        "seq"
    )


def _custody_rows(item):
    """The whole chain, for the report and its PDF."""
    return list(_custody_steps(item))


def _custody_page(request, item):
    """One page of the chain on the item's page, oldest step first."""
    return Paginator(_custody_steps(item), CUSTODY_PAGE_SIZE).get_page(request.GET.get("page"))


def _refusal_of(item, allowed):
    if item.is_compromised:
        return actions.compromised_refusal(item)
    if item.custody_node and not allowed:
        return actions.elsewhere_refusal(item)
    return ""


def _detail_context(request, item, **extra):
    rights = allowed_actions(request.user, item.incident)
    page = _custody_page(request, item)
    allowed = actions.allowed_custody_actions(item, request.user, rights)
    return {
        "item": item,
        "incident": item.incident,
        "events": page.object_list,
        "page": page,
        "paginator": page.paginator,
        "allowed": allowed,
        "refusal": _refusal_of(item, allowed),
        # Each step names the node that recorded it when the case federates.
        "this_node": identity.node_name(),
        "last_verification": item.verifications.first(),
        "may_contribute": Action.CONTRIBUTE in rights,
        "download_form": DownloadForm(),
        **extra,
    }


@login_required
@require_GET
def evidence_detail(request, reference):
    item = _visible_evidence(request, reference)
    return render(request, "evidence/evidence_detail.html", _detail_context(request, item))


@login_required
@require_http_methods(["GET", "POST"])
def custody_add(request, reference, action):
    item = _visible_evidence(request, reference)
    rights = allowed_actions(request.user, item.incident)
    _require_contribute(rights)
    try:
        action = CustodyAction(action)
    except ValueError as exc:
        raise Http404(_("No such custody action.")) from exc
    allowed = actions.allowed_custody_actions(item, request.user, rights)
    if action not in allowed:
        messages.error(request, _refusal_message(action, allowed))
        return render(
            request, "evidence/evidence_detail.html", _detail_context(request, item), status=409
        )
    form = CustodyEventForm(request.POST or None, action=action, evidence=item)
    if request.method == "POST" and form.is_valid():
        try:
            event = actions.record_custody_event(
                item, request.user, action, **form.data_for_action()
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except TransitionNotAllowed as exc:  # someone changed the item meanwhile
            messages.error(request, f"{exc.message} {_refusal_message(action, exc.allowed)}")
            return render(
                request,
                "evidence/evidence_detail.html",
                _detail_context(request, item),
                status=409,
            )
        else:
            if event.hash_matches is False:
                messages.warning(
                    request,
                    _(
                        "Step %(seq)s recorded. The hash you observed differs from the item's: "
                        "it is flagged as compromised and the case's agencies are alerted."
                    )
                    % {"seq": event.seq},
                )
            else:
                messages.success(
                    request,
                    _("Step %(seq)s recorded: %(action)s.")
                    % {"seq": event.seq, "action": action.label.lower()},
                )
            return redirect(f"{item.get_absolute_url()}#step-{event.seq}")
    return render(
        request,
        "evidence/custody_form.html",
        {"item": item, "incident": item.incident, "form": form, "action": action},
        status=400 if form.errors else 200,
    )


def _refusal_message(action, allowed):
    if allowed:
        return _("You can record: %(allowed)s.") % {
            "allowed": ", ".join(str(CustodyAction(a).label).lower() for a in allowed)
        }
    return _("You cannot record any step on this item now.")


@login_required
@require_http_methods(["GET", "POST"])
def evidence_verify(request, reference):
    """Recompute the chain and record the result; shown as a fragment (htmx) or on the
    detail page. A broken chain flags the item: the fragment asks htmx to reload the page,
    whose steps and actions change with it."""
    item = _visible_evidence(request, reference)
    was_broken = item.chain_is_broken
    record, result = actions.verify_chain(item, request.user)
    if _is_htmx(request):
        response = render(
            request,
            "evidence/_verify_result.html",
            {"item": item, "result": result, "last_verification": record},
        )
        if item.chain_is_broken and not was_broken:
            response["HX-Refresh"] = "true"
        return response
    return render(
        request, "evidence/evidence_detail.html", _detail_context(request, item, result=result)
    )


def _report_context(item, user):
    """What the HTML and PDF reports show: the whole chain and a recorded verification."""
    record, result = actions.verify_chain(item, user)
    return {
        "item": item,
        "incident": item.incident,
        "events": _custody_rows(item),
        "this_node": identity.node_name(),
        "result": result,
        "verification": record,
        "participations": list(
            item.incident.participations.select_related("agency").order_by("created_at", "pk")
        ),
    }


@login_required
@require_GET
def evidence_report(request, reference):
    """The printable chain-of-custody report, for a court file."""
    item = _visible_evidence(request, reference)
    return render(request, "evidence/report.html", _report_context(item, request.user))


@login_required
@require_GET
def evidence_report_pdf(request, reference):
    """The chain-of-custody report as a PDF file (same content as the HTML report)."""
    from incidents.evidence.pdf import render_report

    item = _visible_evidence(request, reference)
    context = _report_context(item, request.user)
    content = render_report(
        item,
        context["events"],
        context["result"],
        context["participations"],
        request.user,
        this_node=context["this_node"],
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{item.reference}-chain-of-custody.pdf"'
    )
    return response


DOWNLOAD_IS_A_POST = _(
    "Downloading an evidence file records an access in its chain of custody: use the "
    "Download button on the item's page (a form that posts the purpose)."
)


@login_required
def evidence_download(request, reference):
    """The stored file; each download is an ``accessed`` step of the chain.

    A POST only (with its CSRF token): a link, however it is made, writes nothing to
    the chain in the reader's name.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(
            ["POST"], DOWNLOAD_IS_A_POST, content_type="text/plain; charset=utf-8"
        )
    item = _visible_evidence(request, reference)
    if not item.has_file:
        raise Http404(_("No file is stored for this item."))
    form = DownloadForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "evidence/evidence_detail.html",
            _detail_context(request, item, download_form=form),
            status=400,
        )
    # The audit trail's record of this disclosure gives the same purpose.
    request.audit_justification = form.cleaned_data["purpose"]
    try:
        actions.record_access(item, request.user, form.cleaned_data["purpose"])
    except TransitionNotAllowed as exc:
        messages.error(request, exc.message)
        return render(
            request, "evidence/evidence_detail.html", _detail_context(request, item), status=409
        )
    return FileResponse(
        open(storage.absolute(item.file_path), "rb"),
        as_attachment=True,
        filename=item.file_name or item.reference,
        content_type="application/octet-stream",
    )
