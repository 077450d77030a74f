"""Exchange pages and downloads: STIX bundle, blocklists, export panel, API tokens.

Downloads are read by browsers (session) and by tools (HTTP Basic, ``Token`` or
``Bearer`` API token, see ``coordination.exchange.auth``). Every incident is reached
through ``Incident.objects.restrict(user)``: what the caller may not see answers 404.
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework import exceptions

from accounts import actions, mfa
from accounts.forms import ApiTokenForm
from coordination.exchange import auth, blocklist
from coordination.exchange.collections import find_collection, incident_collection_id
from coordination.exchange.export import incident_bundle
from coordination.exchange.importer import MAX_BUNDLE_BYTES, import_bundle
from coordination.exchange.policy import (
    EXERCISE_NOT_EXPORTED,
    RED_FOR_PEOPLE_ONLY,
    exportable_indicators,
    is_machine_request,
)
from coordination.exchange.stix import STIX_MEDIA_TYPE
from incidents.choices import TLP, Action
from incidents.models import Incident

TEXT = "text/plain; charset=utf-8"


class Unauthorised(Exception):
    pass


class Forbidden(Exception):
    pass


def text_response(message, status):
    response = HttpResponse(f"{message}\n", content_type=TEXT, status=status)
    if status == 401:
        response["WWW-Authenticate"] = auth.CHALLENGE
    return response


def download_user(request):
    """The caller (browser session or tool credentials); ``Unauthorised`` if none."""
    try:
        user = auth.authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        raise Unauthorised(str(exc.detail)) from exc
    except exceptions.PermissionDenied as exc:
        raise Forbidden(str(exc.detail)) from exc
    if user is None:
        raise Unauthorised(_("Sign in, or use HTTP Basic or an API token."))
    return user


def visible_incident(user, reference):
    try:
        return (
            Incident.objects.restrict(user).select_related("lead_agency").get(reference=reference)
        )
    except Incident.DoesNotExist:
        raise Http404 from None


def incident_stix(request, reference):
    """The incident as a STIX 2.1 bundle file."""
    try:
        user = download_user(request)
    except Unauthorised as exc:
        return text_response(exc, 401)
    except Forbidden as exc:
        return text_response(exc, 403)
    incident = visible_incident(user, reference)
    if incident.is_exercise:
        return text_response(EXERCISE_NOT_EXPORTED, 403)
    machine = is_machine_request(request)
    if machine and incident.tlp == TLP.RED:
        return text_response(RED_FOR_PEOPLE_ONLY, 403)
    bundle = incident_bundle(incident, user, machine=machine)
    response = HttpResponse(json.dumps(bundle, indent=2), content_type=STIX_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}.stix.json"'
    return response


def blocklist_response(indicators, request, filename, subject):
    try:
        kind, format_ = blocklist.parse_request(request.GET)
    except blocklist.BlocklistRequestError as exc:
        return text_response(exc, 400)
    values = blocklist.blocklist_values(indicators, kind)
    body = blocklist.lines(values, kind, format_, subject)
    response = StreamingHttpResponse(body, content_type=TEXT)
    extension = "rpz" if format_ == "rpz" else "txt"
    response["Content-Disposition"] = f'inline; filename="{filename}-{kind}.{extension}"'
    return response


def incident_blocklist(request, reference):
    """Indicator values of one incident, one per line, TLP enforced as for machines."""
    try:
        user = download_user(request)
    except Unauthorised as exc:
        return text_response(exc, 401)
    except Forbidden as exc:
        return text_response(exc, 403)
    incident = visible_incident(user, reference)
    if incident.is_exercise:
        return text_response(EXERCISE_NOT_EXPORTED, 403)
    indicators = exportable_indicators(user, machine=True).filter(incident=incident)
    return blocklist_response(
        indicators,
        request,
        f"{incident.reference}-blocklist",
        _("incident %(reference)s") % {"reference": incident.reference},
    )


def collection_blocklist(request, collection_id):
    """Indicator values of one TAXII collection, one per line."""
    try:
        user = download_user(request)
    except Unauthorised as exc:
        return text_response(exc, 401)
    except Forbidden as exc:
        return text_response(exc, 403)
    collection = find_collection(user, collection_id)
    if collection is None:
        raise Http404
    return blocklist_response(
        collection.indicators(user),
        request,
        f"collection-{collection.id}-blocklist",
        _("collection %(id)s") % {"id": collection.id},
    )


# Pages: the export panel of an incident and the user's own API tokens.

BLOCKLIST_GROUPS = tuple((kind.label, name) for name, kind in blocklist.KINDS.items())


@login_required
@require_GET
def incident_panel(request, reference):
    """The incident page's export panel, loaded by htmx (keeps the page's query budget)."""
    incident = visible_incident(request.user, reference)
    may_import = (
        Incident.objects.restrict(request.user, Action.CONTRIBUTE).filter(pk=incident.pk).exists()
    )
    if incident.is_exercise:  # never exported: the panel says so and offers the import
        context = {"incident": incident, "may_import": may_import}
        return render(request, "exchange/_export_panel.html", context)
    exportable = exportable_indicators(request.user, machine=True).filter(incident=incident)
    collection_id = incident_collection_id(incident.reference)
    context = {
        "incident": incident,
        "shareable_count": exportable.count(),
        "left_out": blocklist.left_out(exportable),
        "is_red": incident.tlp == TLP.RED,
        "blocklist_groups": BLOCKLIST_GROUPS,
        "collection_id": collection_id,
        "collection_url": request.build_absolute_uri(
            reverse("taxii:collection", kwargs={"collection_id": collection_id})
        ),
        "discovery_url": request.build_absolute_uri(reverse("taxii:discovery")),
        "may_import": may_import,
    }
    return render(request, "exchange/_export_panel.html", context)


# The tokens listed on the page: the newest, revoked and expired ones included.
TOKENS_LISTED = 50


def _token_context(request, form, **extra):
    return {
        "tokens": actions.own_tokens(request.user)[:TOKENS_LISTED],
        "form": form,
        "may_create": mfa.second_factor_passed(request),
        "discovery_url": request.build_absolute_uri(reverse("taxii:discovery")),
        **extra,
    }


@never_cache
@login_required
def api_token(request):
    """One's own API tokens for tools: list, create (the key shown once), revoke."""
    form = ApiTokenForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            return _create_token(request)
        if action == "revoke":
            token_id = request.POST.get("token", "")
            if not token_id.isdigit():
                raise Http404
            token = get_object_or_404(actions.own_tokens(request.user), pk=token_id)
            if actions.revoke_api_token(token, by=request.user, request=request):
                messages.success(
                    request,
                    _("The token “%(name)s” was revoked. Tools using it stop working at once.")
                    % {"name": token.name},
                )
            return redirect("exchange:api_token")
        return HttpResponse(_("Unknown action."), status=400, content_type=TEXT)
    return render(request, "exchange/api_token.html", _token_context(request, form))


def _create_token(request):
    form = ApiTokenForm(request.POST)
    if not mfa.second_factor_passed(request):
        context = _token_context(request, form)
        return render(request, "exchange/api_token.html", context, status=403)
    if not form.is_valid():
        return render(request, "exchange/api_token.html", _token_context(request, form), status=400)
    token, key = actions.create_api_token(
        request.user,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        days=form.cleaned_data["days"],
        request=request,
    )
    # The key is shown in full on this response only; afterwards its prefix.
    context = _token_context(request, ApiTokenForm(), new_key=key, new_token=token)
    return render(request, "exchange/api_token.html", context)


class ImportForm(forms.Form):
    bundle = forms.FileField(
        label=gettext_lazy("STIX 2.1 bundle"),
        help_text=gettext_lazy(
            "A JSON file of at most 10 MB. Its indicators are added to this incident."
        ),
    )

    def clean_bundle(self):
        upload = self.cleaned_data["bundle"]
        if upload.size > MAX_BUNDLE_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


@login_required
def incident_import(request, reference):
    """Upload a STIX bundle into an incident; the report shows what happened per object."""
    incident = visible_incident(request.user, reference)
    if (
        not Incident.objects.restrict(request.user, Action.CONTRIBUTE)
        .filter(pk=incident.pk)
        .exists()
    ):
        raise PermissionDenied(_("You may not add indicators to this incident."))
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    report, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            report = import_bundle(incident, request.user, form.cleaned_data["bundle"].read())
            if report.ok:
                count = len(report.created)
                messages.success(
                    request,
                    ngettext(
                        "%(count)s indicator imported.", "%(count)s indicators imported.", count
                    )
                    % {"count": count},
                )
            else:
                status = 400
        else:
            status = 400
    return render(
        request,
        "exchange/import.html",
        {"incident": incident, "form": form, "report": report},
        status=status,
    )
