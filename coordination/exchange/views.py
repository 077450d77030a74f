"""Exchange pages and downloads: STIX bundle, blocklists, export panel, API tokens.

Downloads are read by browsers (session) and by tools (HTTP Basic, ``Token`` or
``Bearer`` API token, see ``coordination.exchange.auth``). Every incident is reached
through ``Incident.objects.restrict(user)``: what the caller may not see answers 404.
"""

import json

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions

from coordination.exchange import auth
from coordination.exchange.collections import find_collection
from coordination.exchange.export import incident_bundle
from coordination.exchange.policy import exportable_indicators
from coordination.exchange.stix import STIX_MEDIA_TYPE
from coordination.intel.choices import IndicatorType
from incidents.models import Incident

TEXT = "text/plain; charset=utf-8"


class Unauthorised(Exception):
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
    incident = visible_incident(user, reference)
    bundle = incident_bundle(incident, user)
    response = HttpResponse(json.dumps(bundle, indent=2), content_type=STIX_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{incident.reference}.stix.json"'
    return response


def blocklist_types(request):
    """The indicator types asked for (``?type=ipv4&type=domain`` or ``type=ipv4,domain``)."""
    asked = [t.strip() for raw in request.GET.getlist("type") for t in raw.split(",") if t.strip()]
    unknown = [t for t in asked if t not in IndicatorType.values]
    if unknown:
        raise ValueError(
            _("Unknown type %(types)s. Use: %(allowed)s.")
            % {"types": ", ".join(unknown), "allowed": ", ".join(IndicatorType.values)}
        )
    return asked


def blocklist_response(indicators, request, filename):
    try:
        types = blocklist_types(request)
    except ValueError as exc:
        return text_response(exc, 400)
    if types:
        indicators = indicators.filter(type__in=types)
    # One value per line: a value with a line break or control character could smuggle
    # a second rule into a firewall or DNS filter configuration, so it is left out.
    values = (
        indicators.order_by("type", "value").values_list("value", flat=True).distinct()
    ).iterator(chunk_size=2000)
    lines = (f"{value}\n" for value in values if value.isprintable())
    response = StreamingHttpResponse(lines, content_type=TEXT)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def incident_blocklist(request, reference):
    """Indicator values of one incident, one per line, TLP enforced as for machines."""
    try:
        user = download_user(request)
    except Unauthorised as exc:
        return text_response(exc, 401)
    incident = visible_incident(user, reference)
    indicators = exportable_indicators(user, machine=True).filter(incident=incident)
    return blocklist_response(indicators, request, f"{incident.reference}-blocklist.txt")


def collection_blocklist(request, collection_id):
    """Indicator values of one TAXII collection, one per line."""
    try:
        user = download_user(request)
    except Unauthorised as exc:
        return text_response(exc, 401)
    collection = find_collection(user, collection_id)
    if collection is None:
        raise Http404
    return blocklist_response(
        collection.indicators(user), request, f"collection-{collection.id}-blocklist.txt"
    )
