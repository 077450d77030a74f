"""Exchange API: an incident's STIX 2.1 bundle (and, for writers, its import)."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.api import APIViewMixin
from coordination.exchange.export import incident_bundle
from coordination.exchange.importer import MAX_BUNDLE_BYTES, import_bundle
from coordination.exchange.policy import RED_FOR_PEOPLE_ONLY, is_machine_request
from incidents.choices import TLP, Action
from incidents.models import Incident


class IncidentStixView(APIViewMixin, APIView):
    pagination_class = None
    # JSON bodies are read raw (the importer reports bad JSON itself); files come multipart.
    parser_classes = [MultiPartParser]

    def visible_incident(self, reference):
        incidents = Incident.objects.restrict(self.request.user).select_related("lead_agency")
        try:
            return incidents.get(reference=reference)
        except Incident.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary=_("Export an incident as a STIX 2.1 bundle"),
        description=_(
            "The indicators you may read, with their TLP markings. Called with an API token "
            "(a tool), TLP:RED indicators are left out and a TLP:RED incident answers 403."
        ),
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, reference):
        incident = self.visible_incident(reference)
        machine = is_machine_request(request)
        if machine and incident.tlp == TLP.RED:
            raise exceptions.PermissionDenied(RED_FOR_PEOPLE_ONLY)
        return Response(incident_bundle(incident, request.user, machine=machine))

    @extend_schema(
        summary=_("Import the indicators of a STIX 2.1 bundle into an incident"),
        description=_(
            "Send the bundle as the JSON body, or as the file field ``bundle`` of a "
            "multipart form. Valid indicators are imported (a newer version of an id "
            "already imported updates it); the answer reports, object by object, what was "
            "created, updated, already there, skipped and why, and what is wrong. 400 when "
            "the bundle cannot be read or holds nothing valid."
        ),
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": OpenApiTypes.OBJECT,
        },
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request, reference):
        incident = self.visible_incident(reference)
        if (
            not Incident.objects.restrict(request.user, Action.CONTRIBUTE)
            .filter(pk=incident.pk)
            .exists()
        ):
            raise exceptions.PermissionDenied(_("You may not add indicators to this incident."))
        if request.content_type.startswith("multipart/"):
            upload = request.FILES.get("bundle")
            if upload is None:
                raise exceptions.ValidationError({"bundle": [_("Attach the bundle file.")]})
            raw = upload.read(MAX_BUNDLE_BYTES + 1)
        else:
            raw = request.body
        report = import_bundle(incident, request.user, raw)
        if not report.ok:
            return Response(report.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        created = status.HTTP_201_CREATED if report.created else status.HTTP_200_OK
        return Response(report.as_dict(), status=created)
