"""Evidence API: items, their custody chain (list, append, verify) and their file.

Items are reached through ``Evidence.objects.restrict(user)`` only (invisible → 404);
the caller's rights on the item's incident decide what they may do (403). Illegal
custody actions answer 409 naming the allowed ones; bad input 400 with field messages;
nothing is stored on error. Writes go through ``incidents.evidence.actions``.
"""

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser
from rest_framework.response import Response

from coordination.api import APIViewMixin, StrictFilterBackend
from coordination.parsers import JSONParser
from incidents.api.views import CONFLICT_RESPONSE
from incidents.choices import Action
from incidents.evidence import actions, storage
from incidents.evidence.api.parsers import HashingMultiPartParser
from incidents.evidence.api.serializers import (
    CustodyEventCreateSerializer,
    CustodyEventSerializer,
    DownloadSerializer,
    EvidenceCreateSerializer,
    EvidenceDetailSerializer,
    EvidenceSerializer,
    FileUploadSerializer,
    VerificationSerializer,
)
from incidents.evidence.filtersets import EvidenceFilterSet
from incidents.models import Evidence, Incident
from incidents.permissions import allowed_actions

DOWNLOAD_IS_A_POST = _(
    "Downloading an evidence file records an access in its chain of custody: send a POST "
    "with the purpose (with the CSRF token when signed in through a browser)."
)


@extend_schema_view(
    list=extend_schema(
        summary=_("Evidence I may see"),
        description=_("Items of the incidents shared with the caller, newest first."),
    ),
    retrieve=extend_schema(summary=_("One evidence item"), responses=EvidenceDetailSerializer),
    create=extend_schema(
        summary=_("Log an evidence item"),
        description=_(
            "JSON with the item's SHA-256, or multipart with its file (hashed while it "
            "uploads; a typed SHA-256 must match it). Writes the first custody step, "
            "``acquired``."
        ),
        request={
            "application/json": EvidenceCreateSerializer,
            "multipart/form-data": EvidenceCreateSerializer,
        },
        responses={201: EvidenceDetailSerializer},
    ),
)
@extend_schema(tags=["evidence"])
class EvidenceViewSet(APIViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[^/]+"
    filter_backends = [StrictFilterBackend]
    filterset_class = EvidenceFilterSet
    parser_classes = [JSONParser, HashingMultiPartParser, FormParser]
    serializer_class = EvidenceSerializer

    def get_queryset(self):
        queryset = (
            Evidence.objects.restrict(self.request.user)
            .select_related("incident", "holder_agency", "transit_to_agency")
            .order_by("-created_at", "-pk")
        )
        if self.action == "list" and not self.request.query_params.get("incident"):
            # Exercise content stays out of the real list; one incident's list shows it.
            queryset = queryset.exclude(incident__is_exercise=True)
        return queryset

    def get_object(self):
        try:
            return self.get_queryset().get(reference=self.kwargs["reference"])
        except Evidence.DoesNotExist as exc:
            raise Http404 from exc

    def http_method_not_allowed(self, request, *args, **kwargs):
        if request.method == "GET" and self.action_map.get("post") == "file":
            raise exceptions.MethodNotAllowed(request.method, detail=DOWNLOAD_IS_A_POST)
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_serializer_class(self):
        return {
            "create": EvidenceCreateSerializer,
            "retrieve": EvidenceDetailSerializer,
            "custody": CustodyEventSerializer,
            "verify": VerificationSerializer,
            "file": FileUploadSerializer,
        }.get(self.action, EvidenceSerializer)

    def detail_response(self, item, status_code=status.HTTP_200_OK, headers=None):
        item = self.get_queryset().get(pk=item.pk)  # re-read through the one door
        context = {
            **self.get_serializer_context(),
            "allowed_custody_actions": actions.allowed_custody_actions(item, self.request.user),
        }
        return Response(
            EvidenceDetailSerializer(item, context=context).data,
            status=status_code,
            headers=headers,
        )

    def retrieve(self, request, reference):
        return self.detail_response(self.get_object())

    def create(self, request):
        serializer = EvidenceCreateSerializer(data=request.data)
        if not serializer.is_valid():
            upload = request.FILES.get("file")
            if upload is not None:
                upload.close()  # nothing half-stored
            raise exceptions.ValidationError(serializer.errors)
        data = dict(serializer.validated_data)
        reference = data.pop("incident").strip().upper()
        upload = data.pop("file")
        try:
            incident = Incident.objects.restrict(request.user).get(reference=reference)
        except Incident.DoesNotExist:
            if upload is not None:
                upload.close()
            raise exceptions.ValidationError(
                {"incident": [_("No incident %(ref)s that you may see.") % {"ref": reference}]}
            ) from None
        if Action.CONTRIBUTE not in allowed_actions(request.user, incident):
            if upload is not None:
                upload.close()
            raise exceptions.PermissionDenied(_("You may not log evidence on this incident."))
        item = actions.create_evidence(incident, request.user, upload=upload, **data)
        location = reverse("evidence-api:evidence-detail", args=[item.reference])
        return self.detail_response(
            item, status.HTTP_201_CREATED, {"Location": request.build_absolute_uri(location)}
        )

    @extend_schema(
        methods=["GET"],
        summary=_("An item's chain of custody"),
        description=_("Every step in order, with its hashes."),
        responses=CustodyEventSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary=_("Record a custody step"),
        description=_(
            "Only the actions allowed now are accepted (see ``allowed_custody_actions`` on "
            "the item); others answer 409 naming them. A ``hash_observed`` that differs "
            "from the item's SHA-256 is recorded and flags the item as compromised."
        ),
        request=CustodyEventCreateSerializer,
        responses={201: CustodyEventSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["get", "post"], url_path="custody")
    def custody(self, request, reference):
        item = self.get_object()
        if request.method == "POST":
            serializer = CustodyEventCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            event = actions.record_custody_event(item, request.user, data.pop("action"), **data)
            return Response(CustodyEventSerializer(event).data, status=status.HTTP_201_CREATED)
        events = item.custody.select_related("from_agency", "to_agency").order_by("seq")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(CustodyEventSerializer(page, many=True).data)

    @extend_schema(
        summary=_("Verify an item's chain of custody"),
        description=_(
            "Recomputes every entry hash from the stored steps and names the first broken "
            "link (step, what, expected, found). ``length`` and ``final_hash`` describe the "
            "whole stored chain, broken or not; ``verified_length`` counts the steps before "
            "the first broken link. Each verification is recorded; a broken chain flags the "
            "item as compromised, and it then takes no further custody step."
        ),
        responses=VerificationSerializer,
    )
    @action(detail=True, methods=["get"], url_path="custody/verify")
    def verify(self, request, reference):
        _record, result = actions.verify_chain(self.get_object(), request.user)
        return Response(VerificationSerializer(result.as_dict()).data)

    @extend_schema(
        methods=["POST"],
        summary=_("Download the item's file"),
        description=_(
            "Recorded as an ``accessed`` custody step in the caller's name, with the "
            "``purpose`` given. A POST (with the CSRF token when called with a browser "
            "session): a GET answers 405 and records nothing."
        ),
        request=DownloadSerializer,
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            409: CONFLICT_RESPONSE,
        },
    )
    @extend_schema(
        methods=["PUT"],
        summary=_("Attach the file of an item logged by hash"),
        description=_("The file must hash to the item's SHA-256; otherwise 400, nothing stored."),
        request={"multipart/form-data": FileUploadSerializer},
        responses={200: EvidenceDetailSerializer, 400: OpenApiResponse(description="Mismatch")},
    )
    @action(detail=True, methods=["post", "put"], url_path="file")
    def file(self, request, reference):
        item = self.get_object()
        if request.method == "PUT":
            upload = request.FILES.get("file")
            if upload is None:
                raise exceptions.ValidationError({"file": [_("Attach the file.")]})
            actions.attach_file(item, request.user, upload)
            return self.detail_response(item)
        if not item.has_file:
            raise Http404
        serializer = DownloadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purpose = serializer.validated_data["purpose"]
        # The audit trail's record of this disclosure gives the same purpose.
        request._request.audit_justification = purpose
        actions.record_access(item, request.user, purpose)
        return FileResponse(
            open(storage.absolute(item.file_path), "rb"),
            as_attachment=True,
            filename=item.file_name or item.reference,
            content_type="application/octet-stream",
        )
