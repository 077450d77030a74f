"""Request API: list / create / retrieve / update while draft, one POST per transition,
and the history.

Every request the caller reaches comes through ``AssistanceRequest.objects.restrict``:
what they may not see answers 404; what they see but may not do answers 403; an action
the state machine does not allow now answers 409 with the allowed ones.
"""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coordination.api import APIViewMixin, StrictFilterBackend
from coordination.assistance import actions, deadlines
from coordination.assistance.api.serializers import (
    HistorySerializer,
    RequestDetailSerializer,
    RequestSerializer,
    RequestWriteSerializer,
    TransitionSerializer,
)
from coordination.assistance.choices import ActionName
from coordination.assistance.filtersets import RequestFilterSet
from coordination.assistance.models import AssistanceRequest
from coordination.assistance.querysets import history_visible_to
from coordination.assistance.transitions import allowed_actions, transition_request
from incidents.api.views import CONFLICT_RESPONSE
from incidents.models import Incident

REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=_("Request reference, e.g. MLA-2026-0007."),
)
ACTION_PARAMETER = OpenApiParameter(
    "action_name",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=ActionName.values,
    description=_("The transition to take (see the request's ``allowed_actions``)."),
)
DRAFT_EXAMPLE = OpenApiExample(
    "EIO to the Netherlands",
    request_only=True,
    value={
        "incident": "CC-2026-000042",
        "legal_basis": "eio",
        "measures": ["subscriber", "traffic"],
        "urgency": "urgent",
        "urgency_reason": "Logs are kept for 30 days only.",
        "requested_country": "NL",
        "receiving_agency": 7,
        "facts": "Ransomware operators staged the attack from a VPS in Amsterdam.",
        "offences": "§ 303b StGB (computer sabotage), § 253 StGB (extortion).",
        "dual_criminality": "Art. 138b and 317 Sr criminalise the same conduct.",
        "data_sought": [
            {
                "kind": "ip_time",
                "value": "203.0.113.7",
                "observed_at": "2026-02-27T23:14:00Z",
                "provider": "Example Hosting B.V.",
            }
        ],
    },
)
TRANSITION_EXAMPLES = [
    OpenApiExample("Approve", request_only=True, value={}),
    OpenApiExample(
        "Validate an EIO addressed to a police authority",
        request_only=True,
        value={"confirm_addressee": True},
    ),
    OpenApiExample(
        "Ask for information",
        request_only=True,
        value={"comment": "In which time zone are the log times given?"},
    ),
    OpenApiExample(
        "Acknowledge an earlier receipt",
        request_only=True,
        value={"received_at": "2026-03-02T08:30:00Z"},
    ),
    OpenApiExample("Forward", request_only=True, value={"agency": 12, "comment": "Competent."}),
    OpenApiExample(
        "Refuse", request_only=True, value={"comment": "Ne bis in idem: final judgment 2025."}
    ),
    OpenApiExample(
        "Link the follow-up request", request_only=True, value={"follow_up": "MLA-2026-0009"}
    ),
    OpenApiExample(
        "Record the provider's receipt of an EPOC",
        request_only=True,
        value={"received_at": "2026-03-02T10:15:00Z", "transmission_id": "EE-IT-2026-000731"},
    ),
    OpenApiExample(
        "Raise grounds for refusal (enforcing authority)",
        request_only=True,
        value={"comment": "Art. 12(1)(c): final judgment for the same acts in 2025."},
    ),
]
HISTORY_EXAMPLE = OpenApiExample(
    "Acknowledged",
    response_only=True,
    value=[
        {
            "id": 31,
            "action": "acknowledge",
            "from_status": "sent",
            "to_status": "received",
            "actor_name": "Noor de Vries",
            "actor_agency": "Team High Tech Crime",
            "comment": "",
            "due_at": "2026-04-01T09:00:00Z",
            "due_kind": "decide",
            "at": "2026-03-02T09:00:00Z",
        }
    ],
)


@extend_schema_view(
    list=extend_schema(
        summary=_("Requests for assistance I may see"),
        description=_(
            "Outgoing requests of my agency (drafts included) and requests sent to my agency. "
            "``direction=in|out``, ``overdue=true`` and the other filters combine."
        ),
    ),
    retrieve=extend_schema(
        summary=_("One request, with its deadlines and the actions allowed to me"),
        parameters=[REFERENCE_PARAMETER],
    ),
    create=extend_schema(
        summary=_("Draft a request"),
        description=_(
            "Creates a draft of the caller's agency. It is checked for its legal basis's "
            "essential elements only when submitted."
        ),
        request=RequestWriteSerializer,
        responses={201: RequestDetailSerializer},
        examples=[DRAFT_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary=_("Edit a draft"),
        parameters=[REFERENCE_PARAMETER],
        request=RequestWriteSerializer,
        responses={200: RequestDetailSerializer},
    ),
    update=extend_schema(
        summary=_("Replace a draft's fields"),
        parameters=[REFERENCE_PARAMETER],
        request=RequestWriteSerializer,
        responses={200: RequestDetailSerializer},
    ),
)
@extend_schema(tags=["requests"])
class RequestViewSet(APIViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    filter_backends = [StrictFilterBackend]
    filterset_class = RequestFilterSet
    serializer_class = RequestSerializer

    def get_queryset(self):
        queryset = (
            AssistanceRequest.objects.restrict(self.request.user)
            .with_incident_visibility(self.request.user)
            .select_related(
                "incident",
                "requesting_agency",
                "receiving_agency",
                "executing_agency",
                "created_by",
                "provider_addressee__provider",
                "enforcing_agency",
                "validated_by",
                "validating_agency",
            )
            .order_by("-updated_at", "-pk")
        )
        if self.action == "list" and not self.request.query_params.get("incident"):
            # Exercise content stays out of the real list; one incident's list shows it.
            queryset = queryset.exclude(incident__is_exercise=True)
        return queryset

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return RequestWriteSerializer
        if self.action == "take_action":
            return TransitionSerializer
        if self.action == "history":
            return HistorySerializer
        if self.action == "list":
            return RequestSerializer
        return RequestDetailSerializer

    def get_object(self):
        obj = (
            self.get_queryset()
            .select_related("follow_up")
            .filter(reference=self.kwargs["reference"])
            .first()
        )
        if obj is None:
            raise Http404
        return obj

    def detail_response(self, obj, status_code=status.HTTP_200_OK, headers=None):
        # Re-read through the one door: what the caller gets back, they may still see.
        obj = (
            self.get_queryset()
            .select_related("follow_up")
            .prefetch_related("data_sought", "attachments", "clocks")
            .filter(pk=obj.pk)
            .first()
        )
        if obj is None:
            raise Http404
        context = {
            **self.get_serializer_context(),
            "deadlines": deadlines.deadlines_for(obj, deadlines.policy_of(obj)),
            "allowed_actions": allowed_actions(obj, self.request.user),
        }
        return Response(
            RequestDetailSerializer(obj, context=context).data, status=status_code, headers=headers
        )

    def retrieve(self, request, reference):
        return self.detail_response(self.get_object())

    def _incident(self, reference):
        if not reference:
            return None
        found = (
            Incident.objects.restrict(self.request.user)
            .filter(reference=str(reference).strip().upper())
            .first()
        )
        if found is None:
            raise exceptions.ValidationError(
                {"incident": [_("No incident %(ref)s that you may see.") % {"ref": reference}]}
            )
        return found

    def create(self, request):
        serializer = RequestWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident = self._incident(data.pop("incident", None))
        items = data.pop("data_sought", ())
        obj = actions.create_request(request.user, incident=incident, data_sought=items, **data)
        location = reverse("assistance-api:request-detail", args=[obj.reference])
        return self.detail_response(
            obj, status.HTTP_201_CREATED, {"Location": request.build_absolute_uri(location)}
        )

    def update(self, request, reference, partial=False):
        obj = self.get_object()
        if (
            not AssistanceRequest.objects.restrict(request.user, "change")
            .filter(pk=obj.pk)
            .exists()
        ):
            raise exceptions.PermissionDenied(_("Only a draft of your agency can be edited."))
        serializer = RequestWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "incident" in data:
            raise exceptions.ValidationError(
                {"incident": [_("The incident of a request is set when it is drafted.")]}
            )
        items = data.pop("data_sought", None)
        actions.update_draft(obj, request.user, data_sought=items, **data)
        return self.detail_response(obj)

    def partial_update(self, request, reference):
        return self.update(request, reference, partial=True)

    @extend_schema(
        summary=_("Take an action on a request (one POST per transition)"),
        operation_id="v1_requests_take_action",
        description=_(
            "submit, approve, return, acknowledge, accept, forward, extend, ask_information, "
            "answer, confirm_preservation, extend_preservation, link_follow_up, fulfil, "
            "fulfil_partly, refuse, withdraw, close; for orders to a service provider "
            "(EPOC, EPOC-PR) the issuing side's record_receipt, record_clarification_request, "
            "record_preservation, record_data, record_data_partly, record_impossibility and the "
            "enforcing authority's confirm_no_grounds, raise_refusal_grounds. 403 when the caller's side or role may "
            "not take it (or a drafter approves their own request), 409 with ``allowed`` when "
            "the request's status does not allow it or someone acted first. Where judicial "
            "validation applies (``validation``), approve is the validation: only a judicial "
            "authority of the issuing State may take it."
        ),
        parameters=[REFERENCE_PARAMETER, ACTION_PARAMETER],
        request=TransitionSerializer,
        responses={
            200: RequestDetailSerializer,
            400: OpenApiResponse(description=_("A comment or field the action needs.")),
            403: OpenApiResponse(description=_("Wrong side or role; four eyes.")),
            404: OpenApiResponse(description=_("No such request that you may see.")),
            409: CONFLICT_RESPONSE,
        },
        examples=TRANSITION_EXAMPLES,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"(?P<action_name>[a-z_]+)",
        url_name="action",
    )
    def take_action(self, request, reference, action_name):
        if action_name not in ActionName.values:
            raise Http404
        obj = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        comment = data.pop("comment", "")
        follow_up = data.pop("follow_up", "")
        if action_name == ActionName.LINK_FOLLOW_UP:
            data["follow_up"] = (
                self.get_queryset().filter(reference=follow_up.strip().upper()).first()
                if follow_up
                else None
            )
        data = {k: v for k, v in data.items() if v is not None or k == "follow_up"}
        transition_request(obj, action_name, request.user, comment=comment, **data)
        return self.detail_response(obj)

    @extend_schema(
        summary=_("A request's status history"),
        parameters=[REFERENCE_PARAMETER],
        responses={200: HistorySerializer(many=True)},
        examples=[HISTORY_EXAMPLE],
    )
    @action(detail=True, methods=["get"], url_path="history")
    def history(self, request, reference):
        obj = self.get_object()
        rows = history_visible_to(obj, request.user, obj.history.all())
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(HistorySerializer(page, many=True).data)
        return Response(HistorySerializer(rows, many=True).data)
