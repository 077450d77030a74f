"""Indicator pages: the incident's indicator panel (htmx) and the intel search.

Incidents are reached through ``Incident.objects.restrict(user)`` (invisible: 404),
indicators through ``Indicator.objects.restrict(user)``; the user's rights on one
incident are read once per request (may see but not contribute: 403). Writes go
through ``coordination.intel.actions``.

htmx swaps only 2xx responses: a form with errors answers 400 to a plain browser and
200 (errors beside the fields) to htmx.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from coordination.intel import actions
from coordination.intel.correlation import sightings
from coordination.intel.filtersets import filter_by_value
from coordination.intel.forms import IndicatorForm, IntelSearchForm, PasteForm
from coordination.intel.models import Indicator
from coordination.intel.warninglists import warning_lists
from incidents.choices import Action
from incidents.forms import apply_validation_error, validation_message
from incidents.pagination import LookaheadPaginator
from incidents.permissions import allowed_actions
from incidents.views import _is_htmx, _require, _visible_incident

PANEL_PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 25


def _panel_url(incident):
    return reverse("intel:panel", args=[incident.reference])


def _indicator_page(request, incident):
    # ``incident`` came through ``restrict()``: only the TLP rule of each indicator is left
    # to apply. Asking for the incident's rights again per row cost PostgreSQL a hash of
    # every incident the user's agency sees (bench/INTEL.md).
    indicators = (
        Indicator.objects.filter(incident=incident)
        .visible_to(request.user)
        .select_related("added_by", "added_by_agency")
        .prefetch_related("audience")
    )
    page = Paginator(indicators, PANEL_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    seen = sightings(request.user, [(i.type, i.value) for i in rows], exclude_incident=incident)
    for indicator in rows:
        indicator.sightings = seen[(indicator.type, indicator.value)]
        indicator.warning_lists = warning_lists(indicator.type, indicator.value)
    page.object_list = rows
    return page


def _render_panel(
    request, incident, allowed, *, one_form=None, paste_form=None, report=None, status=200
):
    may_contribute = Action.CONTRIBUTE in allowed
    if may_contribute:
        one_form = one_form or IndicatorForm(incident=incident, user=request.user)
        paste_form = paste_form or PasteForm(incident=incident, user=request.user)
    context = {
        "incident": incident,
        "may_contribute": may_contribute,
        "page": _indicator_page(request, incident),
        "one_form": one_form,
        "paste_form": paste_form,
        "report": report,
        "is_htmx": _is_htmx(request),
        "open_form": (
            "one"
            if one_form is not None and one_form.is_bound and one_form.errors
            else "paste"
            if report is not None
            and not report.stored
            or (paste_form is not None and paste_form.is_bound and paste_form.errors)
            else ""
        ),
    }
    if _is_htmx(request):
        # Errors still answer 200 here, or htmx would not swap them in.
        return render(request, "intel/_panel.html", context)
    return render(request, "intel/indicators_page.html", context, status=status)


def _after_write(request, incident, allowed, **kwargs):
    if _is_htmx(request):
        return _render_panel(request, incident, allowed, **kwargs)
    return redirect(_panel_url(incident))


@login_required
@require_GET
def panel(request, reference):
    """The incident's indicators: a fragment for htmx, a page of its own otherwise."""
    incident = _visible_incident(request, reference)
    return _render_panel(request, incident, allowed_actions(request.user, incident))


@login_required
@require_POST
def add(request, reference):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CONTRIBUTE)
    form = IndicatorForm(request.POST, incident=incident, user=request.user)
    valid = form.is_valid()
    if not valid:
        # Also run the action's checks (TLP floor, seen times) so every error shows at once.
        data = form.cleaned_data
        try:
            actions.check_indicator(
                incident,
                tlp=data.get("tlp") or incident.tlp,
                first_seen=data.get("first_seen"),
                last_seen=data.get("last_seen"),
                confidence=data.get("confidence"),
                audience=data.get("audience") or (),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if valid:
        data = form.cleaned_data
        try:
            indicator, created = actions.add_indicator(
                incident,
                request.user,
                value=data["value"],
                type=data["type"],
                tlp=data["tlp"],
                first_seen=data["first_seen"],
                last_seen=data["last_seen"],
                confidence=data["confidence"],
                note=data["note"],
                audience=data["audience"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if created:
                text = _("Indicator %(value)s added.")
            else:
                text = _("%(value)s was already on this incident: merged.")
            messages.success(request, text % {"value": indicator.value})
            return _after_write(request, incident, allowed)
    return _render_panel(request, incident, allowed, one_form=form, status=400)


@login_required
@require_POST
def paste(request, reference):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CONTRIBUTE)
    form = PasteForm(request.POST, incident=incident, user=request.user)
    report = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = actions.paste_indicators(
                incident,
                request.user,
                data["text"],
                tlp=data["tlp"],
                confidence=data["confidence"],
                note=data["note"],
                audience=data["audience"],
                skip_refused=data["skip_refused"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if report.stored:
                messages.success(
                    request,
                    ngettext(
                        "%(n)d indicator added",
                        "%(n)d indicators added",
                        report.added,
                    )
                    % {"n": report.added}
                    + ngettext(
                        ", %(n)d merged as duplicate",
                        ", %(n)d merged as duplicates",
                        report.merged,
                    )
                    % {"n": report.merged}
                    + ngettext(", %(n)d line refused.", ", %(n)d lines refused.", report.refused)
                    % {"n": report.refused},
                )
                if _is_htmx(request):
                    return _render_panel(request, incident, allowed, report=report)
                return redirect(_panel_url(incident))
            form = PasteForm(
                initial={**form.cleaned_data, "skip_refused": False},
                incident=incident,
                user=request.user,
            )
            return _render_panel(
                request, incident, allowed, paste_form=form, report=report, status=400
            )
    return _render_panel(request, incident, allowed, paste_form=form, status=400)


@login_required
@require_POST
def request_contact(request, reference, pk):
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CONTRIBUTE)
    indicator = get_object_or_404(
        Indicator.objects.restrict(request.user).filter(incident=incident), pk=pk
    )
    indicator.incident = incident
    try:
        asked = actions.request_contact(indicator, request.user)
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
        if _is_htmx(request):
            return _render_panel(request, incident, allowed)
        return _render_panel(request, incident, allowed, status=400)
    messages.success(
        request,
        ngettext(
            "Contact requested: the lead agency of %(n)d other case was told that your agency "
            "holds %(value)s. You will see the case once they share it with you.",
            "Contact requested: the lead agencies of %(n)d other cases were told that your "
            "agency holds %(value)s. You will see the cases once they share them with you.",
            asked,
        )
        % {"n": asked, "value": indicator.value},
    )
    return _after_write(request, incident, allowed)


@login_required
@require_POST
def allow_in_blocklists(request, reference, pk):
    """Let an indicator on a MISP warning list into blocklists anyway."""
    incident = _visible_incident(request, reference)
    allowed = allowed_actions(request.user, incident)
    _require(allowed, Action.CONTRIBUTE)
    indicator = get_object_or_404(
        Indicator.objects.restrict(request.user).filter(incident=incident), pk=pk
    )
    indicator.incident = incident
    try:
        actions.allow_in_blocklists(indicator, request.user)
    except ValidationError as exc:
        messages.error(request, validation_message(exc))
        if _is_htmx(request):
            return _render_panel(request, incident, allowed)
        return _render_panel(request, incident, allowed, status=400)
    messages.success(
        request,
        _("%(value)s goes into blocklists although it is on a warning list.")
        % {"value": indicator.value},
    )
    return _after_write(request, incident, allowed)


# Search ---------------------------------------------------------------------------------


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def search_indicators(user, data):
    """Indicators ``user`` may see, filtered by ``data`` (a valid IntelSearchForm's data)."""
    results = (
        Indicator.objects.restrict(user)
        .filter(incident__is_exercise=False)
        .select_related("incident", "incident__lead_agency", "added_by_agency")
    )
    type_ = data.get("type") or ""
    if type_:
        results = results.filter(type=type_)
    results = filter_by_value(results, data.get("q"), type_)
    if data.get("country"):
        results = results.filter(incident__lead_agency__country=data["country"])
    if data.get("added_from"):
        results = results.filter(created_at__gte=_day_start(data["added_from"]))
    if data.get("added_to"):
        end = _day_start(data["added_to"] + datetime.timedelta(days=1))
        results = results.filter(created_at__lt=end)
    return results.order_by("-created_at", "-pk")


@login_required
@require_GET
def search(request):
    form = IntelSearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        results = Indicator.objects.none()
        status = 400
    else:
        results = search_indicators(request.user, form.cleaned_data if form.is_bound else {})
        status = 200
    paginator = LookaheadPaginator(results, SEARCH_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"), after=request.GET.get("after"))
    context = {
        "form": form,
        "page": page,
        "paginator": paginator,
        "is_filtered": form.is_filtered(),
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "intel/_search_results.html", context)
    return render(request, "intel/search.html", context, status=status)
