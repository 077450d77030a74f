"""Incident API: incidents, their status, timeline and participating agencies.

Every incident the caller reaches comes through ``Incident.objects.restrict(user,
action)``, the action following the HTTP method (reads need ``view``; each viewset
names the right its writes need). Children are reached only through a visible
incident. What the caller may not see answers 404; what they see but may not do
answers 403. Writes go through ``incidents.actions``.
"""

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser
from rest_framework.permissions import SAFE_METHODS
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.api import APIViewMixin, StrictFilterBackend
from coordination.parsers import JSONParser
from incidents import actions, report_pdf
from incidents.api.serializers import (
    CaseReportSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    IncidentWriteSerializer,
    ParticipantCreateSerializer,
    ParticipantRoleSerializer,
    ParticipantSerializer,
    StatusChangeSerializer,
    TagCreateSerializer,
    TagSerializer,
    TimelineEntryCreateSerializer,
    TimelineEntrySerializer,
)
from incidents.attachment_views import file_response
from incidents.choices import Action
from incidents.evidence.api.parsers import HashingMultiPartParser
from incidents.filtersets import IncidentFilterSet
from incidents.models import EntryAttachment, Incident, IncidentTag, Participation, TimelineEntry
from incidents.permissions import allowed_actions, held_actions_annotations
from incidents.report import build_report
from incidents.tags import TAGS_PREFETCH, suggestions_for

REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=_("Incident reference, e.g. CC-2026-000042."),
)
AGENCY_PARAMETER = OpenApiParameter(
    "agency_id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Agency id.")
)
CONFLICT_RESPONSE = OpenApiResponse(
    inline_serializer(
        "TransitionConflict",
        {
            "detail": serializers.CharField(),
            "allowed": serializers.ListField(child=serializers.CharField(), required=False),
        },
    ),
    description=_(
        "The transition is not allowed from the current status (``allowed`` lists where it "
        "may go), or someone else changed the status meanwhile."
    ),
)


class AttachmentsMultiPartParser(HashingMultiPartParser):
    field = "attachments"


class PDFRenderer(BaseRenderer):
    """``Accept: application/pdf`` (or ``?format=pdf``): bytes made by the view. An error
    answer (a dict) is sent as JSON, with its own media type."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return JSONRenderer().render(data)


class IncidentRestrictedMixin(APIViewMixin):
    """Reach incidents through ``restrict(user, action)``, the action following the method.

    Safe methods need ``view``; other methods need ``write_action``.
    """

    write_action = Action.CHANGE

    def required_action(self):
        return Action.VIEW if self.request.method in SAFE_METHODS else self.write_action

    def restricted_incidents(self, action=None):
        return Incident.objects.restrict(self.request.user, action or self.required_action())

    def get_restricted_incident(self, reference):
        """The incident at ``reference`` if the caller may act on it; else 403 or 404.

        403 only when the caller may see the incident: its existence is no secret to them.
        """
        action = self.required_action()
        queryset = (
            self.restricted_incidents(action)
            .select_related("lead_agency", "created_by")
            .annotate(**held_actions_annotations(self.request.user))
        )
        try:
            return queryset.get(reference=reference)
        except Incident.DoesNotExist:
            pass
        if action != Action.VIEW:
            visible = (
                self.restricted_incidents(Action.VIEW)
                .filter(reference=reference)
                .select_related("lead_agency")
                .first()
            )
            if visible is not None:
                if action in (Action.CHANGE, Action.SHARE):
                    actions.require_lead_node(visible)  # a replica: say where it is decided
                raise exceptions.PermissionDenied(
                    _("You may not %(action)s this incident.") % {"action": Action(action).label}
                )
        raise Http404


class IncidentChildMixin(IncidentRestrictedMixin):
    """Views of an incident's children: the incident is resolved first, from the URL."""

    def get_incident(self):
        if not hasattr(self, "_incident"):
            self._incident = self.get_restricted_incident(self.kwargs["reference"])
        return self._incident


@extend_schema_view(
    list=extend_schema(
        summary=_("Incidents I may see"),
        description=_(
            "Newest activity first unless ``sort`` says otherwise (prefix a field with ``-`` "
            "for descending order). ``q`` searches reference, title and summary."
        ),
    ),
    retrieve=extend_schema(summary=_("One incident")),
    create=extend_schema(
        summary=_("File an incident"),
        description=_("The caller's agency becomes the lead agency."),
        request=IncidentWriteSerializer,
        responses={201: IncidentDetailSerializer},
    ),
    update=extend_schema(
        summary=_("Edit an incident"),
        request=IncidentWriteSerializer,
        responses={200: IncidentDetailSerializer},
    ),
    partial_update=extend_schema(
        summary=_("Edit some fields of an incident"),
        request=IncidentWriteSerializer,
        responses={200: IncidentDetailSerializer},
    ),
)
@extend_schema(tags=["incidents"])
class IncidentViewSet(
    IncidentRestrictedMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents shared with the caller's agency or with the caller by name."""

    lookup_field = "reference"
    filter_backends = [StrictFilterBackend]
    filterset_class = IncidentFilterSet
    write_action = Action.CHANGE

    def get_queryset(self):
        return (
            self.restricted_incidents()
            .select_related("lead_agency", "created_by")
            .prefetch_related(TAGS_PREFETCH)
        )

    def get_object(self):
        return self.get_restricted_incident(self.kwargs["reference"])

    def paginate_queryset(self, queryset):
        if self.action == "list" and not self._narrowed():
            # The unfiltered list holds real cases only (IncidentFilterSet.qs).
            self.paginator.known_count = Incident.objects.visible_count(
                self.request.user, real_only=True
            )
        elif self.action == "list":
            # A filtered list is counted as far as API_COUNT_LIMIT (or past the page
            # asked), then said to hold more: an exact count reads every match.
            self.paginator.capped_count(queryset, self.request, settings.API_COUNT_LIMIT)
        return super().paginate_queryset(queryset)

    def _narrowed(self):
        """Whether the request filters the list (sorting and paging do not change its size)."""
        params = self.request.query_params
        return any(params.get(name) for name in IncidentFilterSet.base_filters if name != "sort")

    def get_serializer_class(self):
        # Used for the browsable API's forms and OPTIONS; responses are built explicitly.
        return {
            "list": IncidentSerializer,
            "create": IncidentWriteSerializer,
            "update": IncidentWriteSerializer,
            "partial_update": IncidentWriteSerializer,
            "change_status": StatusChangeSerializer,
        }.get(self.action, IncidentDetailSerializer)

    def detail_response(
        self, incident, status_code=status.HTTP_200_OK, headers=None, *, reread=True
    ):
        if reread:
            # After a write, re-read through the one door: what the caller gets back,
            # they may still see.
            incident = get_object_or_404(
                self.restricted_incidents(Action.VIEW)
                .select_related("lead_agency", "created_by")
                .prefetch_related(TAGS_PREFETCH)
                .annotate(**held_actions_annotations(self.request.user)),
                pk=incident.pk,
            )
        context = {
            **self.get_serializer_context(),
            "allowed_actions": allowed_actions(self.request.user, incident),
        }
        data = IncidentDetailSerializer(incident, context=context).data
        return Response(data, status=status_code, headers=headers)

    def retrieve(self, request, reference):
        return self.detail_response(self._with_tags(self.get_object()), reread=False)

    def _with_tags(self, incident):
        prefetch_related_objects([incident], TAGS_PREFETCH)
        return incident

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = actions.create_incident(request.user, **serializer.validated_data)
        location = reverse("incidents-api:incident-detail", args=[incident.reference])
        return self.detail_response(
            incident, status.HTTP_201_CREATED, {"Location": request.build_absolute_uri(location)}
        )

    def update(self, request, reference, partial=False):
        incident = self.get_object()
        serializer = self.get_serializer(incident, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        actions.update_incident(incident, request.user, **serializer.validated_data)
        return self.detail_response(incident)

    def partial_update(self, request, reference):
        return self.update(request, reference, partial=True)

    @extend_schema(
        summary=_("Change an incident's status"),
        request=StatusChangeSerializer,
        responses={200: IncidentDetailSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, reference):
        incident = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.change_status(
            incident,
            request.user,
            serializer.validated_data["status"],
            reason=serializer.validated_data.get("reason", ""),
        )
        return self.detail_response(incident)

    @extend_schema(
        summary=_("The case report"),
        description=_(
            "The incident as the caller may see it: facts, participants, timeline, "
            "evidence register with custody status, indicators and requests with their "
            "deadlines, each section under the TLP rules of its pages. ``tlp`` is the "
            "highest marking of what the report holds. JSON by default; the PDF with "
            "``Accept: application/pdf``. Each download is recorded as a disclosure."
        ),
        responses={
            (200, "application/json"): CaseReportSerializer,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="report",
        renderer_classes=[JSONRenderer, PDFRenderer],
    )
    def report(self, request, reference):
        case_report = build_report(self.get_object(), request.user)
        filename = f"{reference}-case-report"
        if isinstance(request.accepted_renderer, PDFRenderer):
            return Response(
                report_pdf.render(case_report),
                content_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
            )
        return Response(CaseReportSerializer(case_report.as_dict()).data)


@extend_schema_view(
    list=extend_schema(
        summary=_("An incident's timeline"),
        description=_(
            "Newest first. Entries whose TLP keeps them from the caller are left out: "
            "TLP:AMBER+STRICT stays inside the author's agency, TLP:RED goes to the author and "
            "the named recipients alone."
        ),
        parameters=[REFERENCE_PARAMETER],
    ),
    retrieve=extend_schema(summary=_("One timeline entry"), parameters=[REFERENCE_PARAMETER]),
    create=extend_schema(
        summary=_("Add a note to the timeline"),
        description=_(
            "The timeline is append-only: a correction is a new entry naming the one it corrects."
        ),
        parameters=[REFERENCE_PARAMETER],
        request=TimelineEntryCreateSerializer,
        responses={201: TimelineEntrySerializer},
    ),
)
@extend_schema(tags=["timeline"])
class TimelineViewSet(
    IncidentChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """An incident's append-only timeline."""

    serializer_class = TimelineEntrySerializer
    write_action = Action.CONTRIBUTE
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, AttachmentsMultiPartParser, FormParser]

    def get_serializer_class(self):
        if self.action == "create":
            return TimelineEntryCreateSerializer
        return TimelineEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TimelineEntry.objects.none()
        return (
            TimelineEntry.objects.filter(incident=self.get_incident())
            .visible_to(self.request.user)
            .select_related("author_agency", "incident")
            .prefetch_related(
                "audience",
                Prefetch(
                    "attachments", queryset=EntryAttachment.objects.select_related("evidence")
                ),
            )
        )

    def create(self, request, reference):
        incident = self.get_incident()
        # The incident in the context narrows which audience and corrected ids are valid.
        context = {**self.get_serializer_context(), "incident": incident}
        serializer = TimelineEntryCreateSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = actions.add_timeline_entry(
            incident,
            request.user,
            data["body"],
            tlp=data.get("tlp"),
            occurred_at=data.get("occurred_at"),
            corrects=data.get("corrects"),
            audience=data.get("audience", ()),
            attachments=data.get("attachments", ()),
        )
        entry = self.get_queryset().get(pk=entry.pk)
        data = TimelineEntrySerializer(entry, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Download a file attached to a timeline entry"),
        description=_(
            "Visible exactly to those who may read the entry (its TLP); recorded in the "
            "audit trail as a disclosure. Always sent as a download."
        ),
        parameters=[
            REFERENCE_PARAMETER,
            OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        url_name="attachment",
    )
    def attachment(self, request, reference, pk, attachment_id):
        entry = self.get_object()
        attachments = EntryAttachment.objects.restrict(request.user).filter(entry=entry)
        try:
            found = attachments.get(pk=attachment_id)
        except EntryAttachment.DoesNotExist:
            raise Http404 from None
        return file_response(found)


@extend_schema_view(
    list=extend_schema(summary=_("An incident's tags"), parameters=[REFERENCE_PARAMETER]),
    create=extend_schema(
        summary=_("Tag an incident"),
        description=_(
            'Free tags and MISP machine tags (namespace:predicate="value"), normalised. '
            "Needs the right to change the incident. A ``tlp:`` tag is refused (400): the "
            "incident's ``tlp`` field is its TLP. Written to the timeline."
        ),
        parameters=[REFERENCE_PARAMETER],
        request=TagCreateSerializer,
        responses={201: TagSerializer},
    ),
    destroy=extend_schema(
        summary=_("Remove a tag"),
        description=_("Written to the timeline."),
        parameters=[
            REFERENCE_PARAMETER,
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={204: None},
    ),
)
@extend_schema(tags=["incidents"])
class TagViewSet(IncidentChildMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """An incident's tags."""

    serializer_class = TagSerializer
    write_action = Action.CHANGE
    lookup_value_regex = r"\d+"
    pagination_class = None

    def get_serializer_class(self):
        return TagCreateSerializer if self.action == "create" else TagSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return IncidentTag.objects.none()
        return IncidentTag.objects.filter(incident=self.get_incident()).order_by("key", "pk")

    def create(self, request, reference):
        incident = self.get_incident()
        serializer = TagCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag = actions.add_tag(incident, request.user, serializer.validated_data["name"])
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, reference, pk):
        incident = self.get_incident()
        tag = get_object_or_404(self.get_queryset(), pk=pk)
        tag.incident = incident
        actions.remove_tag(tag, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary=_("My agency's tags"),
    description=_(
        "The tags members of the caller's agency have used, most used first: suggestions "
        "for tagging. Never another agency's."
    ),
    responses={200: serializers.ListSerializer(child=serializers.CharField())},
    tags=["incidents"],
)
class TagSuggestionsView(APIViewMixin, APIView):
    pagination_class = None

    def get(self, request):
        return Response(suggestions_for(request.user))


@extend_schema_view(
    list=extend_schema(summary=_("Agencies taking part"), parameters=[REFERENCE_PARAMETER]),
    retrieve=extend_schema(
        summary=_("One participating agency"), parameters=[REFERENCE_PARAMETER, AGENCY_PARAMETER]
    ),
    create=extend_schema(
        summary=_("Share the incident with an agency"),
        parameters=[REFERENCE_PARAMETER],
        request=ParticipantCreateSerializer,
        responses={201: ParticipantSerializer},
    ),
    partial_update=extend_schema(
        summary=_("Change a participating agency's role"),
        parameters=[REFERENCE_PARAMETER, AGENCY_PARAMETER],
        request=ParticipantRoleSerializer,
        responses={200: ParticipantSerializer},
    ),
    destroy=extend_schema(
        summary=_("Remove an agency from the incident"),
        description=_("Its users lose sight of the incident at once."),
        parameters=[
            REFERENCE_PARAMETER,
            AGENCY_PARAMETER,
            OpenApiParameter("reason", OpenApiTypes.STR, description=_("Written to the timeline.")),
        ],
        responses={204: None},
    ),
)
@extend_schema(tags=["participants"])
class ParticipantViewSet(
    IncidentChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The agencies taking part in an incident, and their roles."""

    serializer_class = ParticipantSerializer
    write_action = Action.SHARE
    lookup_field = "agency_id"
    lookup_value_regex = r"\d+"

    def get_serializer_class(self):
        return {
            "create": ParticipantCreateSerializer,
            "partial_update": ParticipantRoleSerializer,
        }.get(self.action, ParticipantSerializer)

    def participant_response(self, participation, status_code=status.HTTP_200_OK):
        participation = self.get_queryset().get(pk=participation.pk)
        data = ParticipantSerializer(participation, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Participation.objects.none()
        return Participation.objects.filter(incident=self.get_incident()).select_related(
            "agency", "invited_by", "owner"
        )

    def get_object(self):
        participation = super().get_object()
        participation.incident = self.get_incident()
        return participation

    def create(self, request, reference):
        incident = self.get_incident()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        participation = actions.share_incident(
            incident,
            serializer.validated_data["agency"],
            serializer.validated_data["role"],
            request.user,
        )
        return self.participant_response(participation, status.HTTP_201_CREATED)

    def partial_update(self, request, reference, agency_id):
        participation = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.change_participation_role(
            participation, serializer.validated_data["role"], request.user
        )
        return self.participant_response(participation)

    def destroy(self, request, reference, agency_id):
        participation = self.get_object()
        actions.remove_participation(
            participation, request.user, reason=request.query_params.get("reason", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
