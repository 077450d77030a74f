"""Indicator API: list, create, retrieve, bulk paste, and contact requests.

Indicators are reached through ``Indicator.objects.restrict(user)`` and incidents through
``Incident.objects.restrict(user, action)``: invisible answers 404 (or, for an incident
named in a body, the same 400 as a reference that does not exist); visible but not
allowed answers 403. Correlation follows the same rule as the browser
(``coordination.intel.correlation``). Writes go through ``coordination.intel.actions``.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from coordination.api import APIViewMixin, StrictFilterBackend
from coordination.intel import actions
from coordination.intel.api.serializers import (
    BulkCreateSerializer,
    BulkReportSerializer,
    ContactRequestResultSerializer,
    IndicatorCreateSerializer,
    IndicatorSerializer,
)
from coordination.intel.correlation import sightings_of_indicators
from coordination.intel.filtersets import IndicatorFilterSet
from coordination.intel.models import Indicator
from incidents.choices import Action
from incidents.models import Incident


def _report_data(report):
    return BulkReportSerializer(
        {
            "stored": report.stored,
            "added": report.added,
            "merged": report.merged,
            "refused": report.refused,
            "lines": report.lines,
        }
    ).data


@extend_schema_view(
    list=extend_schema(
        summary=_("Indicators I may see"),
        description=_(
            "Indicators of every incident you may see, newest first, each with its sightings "
            "in other incidents: links to those you may see, only counts for the others, and "
            "nothing from TLP:AMBER+STRICT or TLP:RED material you may not see."
        ),
    ),
    retrieve=extend_schema(summary=_("One indicator, with its sightings")),
    create=extend_schema(
        summary=_("Add an indicator to an incident"),
        description=_(
            "The type is detected when left out; the value is refanged and normalised. If "
            "the incident already holds it, the two are merged (200) instead of added (201)."
        ),
        request=IndicatorCreateSerializer,
        responses={201: IndicatorSerializer, 200: IndicatorSerializer},
    ),
)
@extend_schema(tags=["indicators"])
class IndicatorViewSet(
    APIViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = IndicatorSerializer
    filter_backends = [StrictFilterBackend]
    filterset_class = IndicatorFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = (
            Indicator.objects.restrict(self.request.user)
            .select_related("incident", "added_by", "added_by_agency")
            .prefetch_related("audience")
            .order_by("-created_at", "-pk")
        )
        if self.action == "list" and not self.request.query_params.get("incident"):
            # Exercise content stays out of the real list; one incident's list shows it.
            queryset = queryset.exclude(incident__is_exercise=True)
        return queryset

    def get_serializer_class(self):
        return {
            "create": IndicatorCreateSerializer,
            "bulk": BulkCreateSerializer,
        }.get(self.action, IndicatorSerializer)

    def _render(self, indicators, **kwargs):
        context = {
            **self.get_serializer_context(),
            "sightings": sightings_of_indicators(self.request.user, indicators),
        }
        return IndicatorSerializer(indicators, context=context, **kwargs).data

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self._render(list(page), many=True))

    def retrieve(self, request, pk):
        return Response(self._render([self.get_object()], many=True)[0])

    def _incident_for_writing(self, reference):
        """The incident named in a body, if the caller may contribute to it."""
        user = self.request.user
        incident = (
            Incident.objects.restrict(user, Action.VIEW)
            .select_related("lead_agency")
            .filter(reference=(reference or "").strip().upper())
            .first()
        )
        if incident is None:
            raise exceptions.ValidationError(
                {"incident": [_("No incident with this reference that you may see.")]}
            )
        if not Incident.objects.restrict(user, Action.CONTRIBUTE).filter(pk=incident.pk).exists():
            raise exceptions.PermissionDenied(_("You may not add indicators to this incident."))
        return incident

    @staticmethod
    def _audience(incident, ids):
        """The named recipients, users of the incident's agencies (ids no one else learns)."""
        ids = set(ids or ())
        if not ids:
            return []
        users = list(
            User.objects.nameable().filter(pk__in=ids, agency__participations__incident=incident)
        )
        if len(users) != len(ids):
            raise exceptions.ValidationError(
                {"audience": [_("Named recipients must be users of a participating agency.")]}
            )
        return users

    def create(self, request):
        serializer = IndicatorCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident = self._incident_for_writing(data.pop("incident"))
        data["audience"] = self._audience(incident, data.get("audience"))
        indicator, created = actions.add_indicator(incident, request.user, **data)
        # Re-read through the one door: what the caller gets back, they may still see.
        indicator = self.get_queryset().filter(pk=indicator.pk).first()
        if indicator is None:
            raise Http404
        headers = {}
        if created:
            location = reverse("intel-api:indicator-detail", args=[indicator.pk])
            headers["Location"] = request.build_absolute_uri(location)
        return Response(
            self._render([indicator], many=True)[0],
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers=headers,
        )

    @extend_schema(
        summary=_("Add many indicators at once"),
        description=_(
            "One per line, types detected, defanged forms refanged. Every line is reported "
            "as added, merged or refused with its reason. Nothing is half-imported: with a "
            "refused line and without ``skip_refused`` nothing is stored (400 with the report)."
        ),
        request=BulkCreateSerializer,
        responses={
            201: BulkReportSerializer,
            200: OpenApiResponse(BulkReportSerializer, description=_("Preview: nothing stored.")),
            # The report when lines were refused; field messages when the request itself is.
            400: OpenApiResponse(
                {
                    "anyOf": [
                        {"$ref": "#/components/schemas/BulkReport"},
                        {"$ref": "#/components/schemas/ValidationError"},
                    ]
                },
                description=_(
                    "Refused lines (the report) or an invalid request (field messages): "
                    "nothing stored."
                ),
            ),
        },
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        serializer = BulkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident = self._incident_for_writing(data.pop("incident"))
        data["audience"] = self._audience(incident, data.get("audience"))
        report = actions.paste_indicators(incident, request.user, data.pop("text"), **data)
        if report.stored:
            code = status.HTTP_201_CREATED
        elif data.get("preview"):
            code = status.HTTP_200_OK
        else:
            code = status.HTTP_400_BAD_REQUEST
        return Response(_report_data(report), status=code)

    @extend_schema(
        summary=_("Ask the owners of hidden sightings for contact"),
        description=_(
            "Notifies the lead agency of every incident you may not see that holds this "
            "indicator (TLP:AMBER+STRICT and TLP:RED ones excepted) that your agency holds it "
            "too and would like to cooperate. You learn nothing more until they share."
        ),
        request=None,
        responses={200: ContactRequestResultSerializer},
    )
    @action(detail=True, methods=["post"], url_path="request-contact")
    def request_contact(self, request, pk):
        indicator = self.get_object()
        if (
            not Incident.objects.restrict(request.user, Action.CONTRIBUTE)
            .filter(pk=indicator.incident_id)
            .exists()
        ):
            raise exceptions.PermissionDenied(_("You may not act on this incident's indicators."))
        asked = actions.request_contact(indicator, request.user)
        return Response(ContactRequestResultSerializer({"asked": asked}).data)

    @extend_schema(
        summary=_("Allow a value on a MISP warning list into blocklists"),
        description=_(
            "Values on MISP warning lists (private and reserved ranges, public resolvers, "
            "top-ranked domains, benign hashes) are left out of blocklists. This puts this "
            "indicator back, recorded with who and when. 400 if the value is on no list."
        ),
        request=None,
        responses={200: IndicatorSerializer},
    )
    @action(detail=True, methods=["post"], url_path="allow-in-blocklists")
    def allow_in_blocklists(self, request, pk):
        indicator = self.get_object()
        try:
            indicator = actions.allow_in_blocklists(indicator, request.user)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(IndicatorSerializer(indicator, context=self.get_serializer_context()).data)
