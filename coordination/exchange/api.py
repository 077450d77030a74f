"""Exchange API: an incident's STIX 2.1 bundle (and, for writers, its import)."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.api import APIViewMixin
from coordination.exchange.export import incident_bundle
from incidents.models import Incident


class IncidentStixView(APIViewMixin, APIView):
    pagination_class = None

    def visible_incident(self, reference):
        incidents = Incident.objects.restrict(self.request.user).select_related("lead_agency")
        try:
            return incidents.get(reference=reference)
        except Incident.DoesNotExist:
            raise Http404 from None

    @extend_schema(
        summary=_("Export an incident as a STIX 2.1 bundle"),
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, reference):
        incident = self.visible_incident(reference)
        return Response(incident_bundle(incident, request.user))
