"""Exchange API: an incident's STIX 2.1 bundle (and, for writers, its import)."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from coordination.api import APIViewMixin
from coordination.exchange.export import incident_bundle
from coordination.exchange.importer import MAX_BUNDLE_BYTES, import_bundle
from coordination.exchange.policy import (
    EXERCISE_NOT_EXPORTED,
    RED_FOR_PEOPLE_ONLY,
    is_machine_request,
)
from coordination.exchange.stix import STIX_MEDIA_TYPE
from coordination.intel.warninglists import warning_lists
from incidents.choices import TLP, Action
from incidents.models import Incident

# A multipart form holds the file and a little more: its boundaries and part headers.
MULTIPART_OVERHEAD = 64 * 1024


class BundleTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The bundle is larger than 10 MB.")
    default_code = "too_large"


def declared_length(parser_context):
    meta = parser_context["request"].META
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class RawBundleParser(BaseParser):
    """A JSON body as bytes, at most ``MAX_BUNDLE_BYTES``: the importer decodes it.

    Read from the stream, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB, for
    every other body) does not apply; the bundle's own documented limit does.
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        if declared_length(parser_context) > MAX_BUNDLE_BYTES:
            raise BundleTooLarge
        raw = stream.read(MAX_BUNDLE_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BUNDLE_BYTES:
            raise BundleTooLarge
        return raw


class StixBundleParser(RawBundleParser):
    media_type = "application/stix+json"


class BundleUploadParser(MultiPartParser):
    """The form with the file ``bundle``: refused unread when larger than the limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        if declared_length(parser_context) > MAX_BUNDLE_BYTES + MULTIPART_OVERHEAD:
            raise BundleTooLarge
        return super().parse(stream, media_type, parser_context)


class StixRenderer(JSONRenderer):
    """``Accept: application/stix+json`` (any version: Concord writes 2.1)."""

    media_type = "application/stix+json"
    format = "stix"


class IncidentStixView(APIViewMixin, APIView):
    pagination_class = None
    renderer_classes = [
        *api_settings.DEFAULT_RENDERER_CLASSES[:1],
        StixRenderer,
        *api_settings.DEFAULT_RENDERER_CLASSES[1:],
    ]
    # JSON bodies are read raw (the importer reports bad JSON itself); files come
    # multipart. A session's CSRF check reads the body too, so both must parse.
    parser_classes = [RawBundleParser, StixBundleParser, BundleUploadParser]

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
        if incident.is_exercise:
            raise exceptions.PermissionDenied(EXERCISE_NOT_EXPORTED)
        machine = is_machine_request(request)
        if machine and incident.tlp == TLP.RED:
            raise exceptions.PermissionDenied(RED_FOR_PEOPLE_ONLY)
        bundle = incident_bundle(incident, request.user, machine=machine)
        if isinstance(request.accepted_renderer, StixRenderer):
            return Response(bundle, content_type=STIX_MEDIA_TYPE)
        return Response(bundle)

    @extend_schema(
        summary=_("Import the indicators of a STIX 2.1 bundle into an incident"),
        description=_(
            "Send the bundle as the JSON body, or as the file field ``bundle`` of a "
            "multipart form, of at most 10 MB (larger answers 413). Valid indicators are "
            "imported (a newer version of an id already imported updates it); the answer "
            "reports, object by object, what was created, updated, already there, skipped "
            "and why, and what is wrong. 400 when the bundle cannot be read or holds "
            "nothing valid."
        ),
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/stix+json": OpenApiTypes.OBJECT,
            "multipart/form-data": OpenApiTypes.OBJECT,
        },
        responses={
            201: OpenApiTypes.OBJECT,
            200: OpenApiTypes.OBJECT,
            400: OpenApiTypes.OBJECT,
            413: OpenApiTypes.OBJECT,
        },
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
            if upload.size > MAX_BUNDLE_BYTES:
                raise BundleTooLarge
            raw = upload.read(MAX_BUNDLE_BYTES + 1)
        else:
            raw = request.data if isinstance(request.data, bytes) else b""
        report = import_bundle(incident, request.user, raw)
        if not report.ok:
            return Response(
                with_warning_lists(report.as_dict()), status=status.HTTP_400_BAD_REQUEST
            )
        created = status.HTTP_201_CREATED if report.created else status.HTTP_200_OK
        return Response(with_warning_lists(report.as_dict()), status=created)


def with_warning_lists(answer):
    """The import report with, per indicator, the MISP warning lists its value is on."""
    for key in ("created", "would_create"):
        for item in answer.get(key) or ():
            item["warning_lists"] = warning_lists(item["type"], item["value"])
    return answer
