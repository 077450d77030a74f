"""Task API: an incident's tasks, under ``/api/v1/incidents/{reference}/tasks/``.

The incident is reached through ``restrict(user, action)`` (reads need ``view``, writes
``contribute``); tasks only through it. Writes go through ``incidents.casework.actions``.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import AgencySummarySerializer
from accounts.models import User
from coordination.api import ModelSerializer, UTCDateTimeField
from incidents.api.views import CONFLICT_RESPONSE, REFERENCE_PARAMETER, IncidentChildMixin
from incidents.casework import actions
from incidents.choices import Action, TaskStatus
from incidents.filtersets import IdFilter
from incidents.models import Task

TASK_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Task id.")
)


class AssigneeSerializer(ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    agency = AgencySummarySerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "display_name", "agency"]
        read_only_fields = fields


class TaskSerializer(ModelSerializer):
    assignee = AssigneeSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "status",
            "assignee",
            "due_at",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _assignee_field(**kwargs):
    return serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text=_("Id of a user of an agency taking part in the incident; null for no one."),
        **kwargs,
    )


class TaskCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    assignee = _assignee_field(required=False)
    due_at = UTCDateTimeField(required=False, allow_null=True)


class TaskUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    assignee = _assignee_field(required=False)
    due_at = UTCDateTimeField(required=False, allow_null=True)


class TaskStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(TaskStatus.choices)


class TaskMoveSerializer(serializers.Serializer):
    offset = serializers.IntegerField(
        min_value=-1000, max_value=1000, help_text=_("Places to move: negative is up.")
    )


class TaskFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=TaskStatus.choices,
        label=_("Status"),
        distinct=False,  # a column of the row
    )
    assignee = IdFilter(field_name="assignee_id", label=_("Assignee id"))

    class Meta:
        model = Task
        fields = ["status", "assignee"]


@extend_schema_view(
    list=extend_schema(
        summary=_("An incident's tasks"),
        description=_("In the participants' order; filter by ``status`` and ``assignee``."),
        parameters=[REFERENCE_PARAMETER],
    ),
    retrieve=extend_schema(summary=_("One task"), parameters=[REFERENCE_PARAMETER, TASK_PARAMETER]),
    create=extend_schema(
        summary=_("Add a task"),
        parameters=[REFERENCE_PARAMETER],
        request=TaskCreateSerializer,
        responses={201: TaskSerializer},
    ),
    partial_update=extend_schema(
        summary=_("Edit or assign a task"),
        parameters=[REFERENCE_PARAMETER, TASK_PARAMETER],
        request=TaskUpdateSerializer,
        responses={200: TaskSerializer},
    ),
)
@extend_schema(tags=["tasks"])
class TaskViewSet(
    IncidentChildMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The tasks of an incident: who does what, by when."""

    serializer_class = TaskSerializer
    write_action = Action.CONTRIBUTE
    lookup_value_regex = r"\d+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskFilterSet

    def get_serializer_class(self):
        return {
            "create": TaskCreateSerializer,
            "partial_update": TaskUpdateSerializer,
            "change_status": TaskStatusSerializer,
            "move": TaskMoveSerializer,
        }.get(self.action, TaskSerializer)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        return (
            Task.objects.filter(incident=self.get_incident())
            .select_related("assignee", "assignee__agency")
            .order_by("position", "pk")
        )

    def get_object(self):
        task = super().get_object()
        task.incident = self.get_incident()
        return task

    def task_response(self, task, status_code=status.HTTP_200_OK):
        task = self.get_queryset().get(pk=task.pk)
        data = TaskSerializer(task, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def create(self, request, reference):
        incident = self.get_incident()  # 404 or 403 before the body is read
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = actions.add_task(incident, request.user, **serializer.validated_data)
        return self.task_response(task, status.HTTP_201_CREATED)

    def partial_update(self, request, reference, pk):
        task = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "assignee" in data:
            actions.assign_task(task, request.user, data.pop("assignee"))
        if data:
            actions.update_task(task, request.user, **data)
        return self.task_response(task)

    @extend_schema(
        summary=_("Change a task's status"),
        parameters=[REFERENCE_PARAMETER, TASK_PARAMETER],
        request=TaskStatusSerializer,
        responses={200: TaskSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, reference, pk):
        task = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.change_task_status(task, request.user, serializer.validated_data["status"])
        return self.task_response(task)

    @extend_schema(
        summary=_("Move a task up or down the list"),
        parameters=[REFERENCE_PARAMETER, TASK_PARAMETER],
        request=TaskMoveSerializer,
        responses={200: TaskSerializer},
    )
    @action(detail=True, methods=["post"], url_path="move")
    def move(self, request, reference, pk):
        task = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.move_task(task, request.user, serializer.validated_data["offset"])
        return self.task_response(task)
