"""Incident API representations.

Read serializers render stored objects; write serializers only check the shape of the
input. The views hand the validated data to ``incidents.actions``, the only writers.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import AgencySummarySerializer
from accounts.models import Agency, User
from coordination.api import CountryCodeListField, ModelSerializer, UTCDateTimeField
from incidents.actions import EDITABLE_FIELDS
from incidents.choices import TLP, Action, ParticipationRole, Status
from incidents.models import EntryAttachment, Incident, IncidentTag, Participation, TimelineEntry


class IncidentSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="incidents-api:incident-detail", lookup_field="reference"
    )
    lead_agency = AgencySummarySerializer(read_only=True)
    affected_countries = CountryCodeListField(read_only=True)
    created_by = serializers.CharField(
        source="created_by.display_name", read_only=True, help_text=_("Display name.")
    )
    tags = serializers.SlugRelatedField(
        many=True,
        read_only=True,
        slug_field="name",
        help_text=_(
            'Free tags and MISP machine tags (namespace:predicate="value"), normalised. '
            "The TLP is the ``tlp`` field, never a tag."
        ),
    )

    class Meta:
        model = Incident
        fields = [
            "reference",
            "url",
            "title",
            "summary",
            "category",
            "severity",
            "tlp",
            "status",
            "is_exercise",
            "lead_agency",
            "affected_countries",
            "detected_at",
            "created_by",
            "created_at",
            "updated_at",
            "tags",
        ]
        read_only_fields = fields


class IncidentDetailSerializer(IncidentSerializer):
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("What the caller may do with this incident.")
    )

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Action.choices)))
    def get_allowed_actions(self, incident):
        allowed = self.context.get("allowed_actions", ())
        return [action.value for action in Action if action in allowed]


class IncidentWriteSerializer(ModelSerializer):
    """The fields a caller may set when filing or editing an incident."""

    affected_countries = CountryCodeListField(required=False, help_text=_("ISO 3166-1 codes."))

    class Meta:
        model = Incident
        fields = list(EDITABLE_FIELDS)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(Status.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("Required when reopening a resolved or closed incident."),
    )


class EntryAttachmentSerializer(ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Where the file is downloaded."))
    evidence = serializers.SlugRelatedField(
        slug_field="reference",
        read_only=True,
        allow_null=True,
        help_text=_("The evidence item it was promoted to, if any."),
    )

    class Meta:
        model = EntryAttachment
        fields = [
            "id",
            "file_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "url",
            "evidence",
        ]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        entry = attachment.entry
        path = reverse(
            "incidents-api:incident-timeline-attachment",
            kwargs={
                "reference": entry.incident.reference,
                "pk": entry.pk,
                "attachment_id": attachment.pk,
            },
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class TagSerializer(ModelSerializer):
    is_machine = serializers.BooleanField(read_only=True)

    class Meta:
        model = IncidentTag
        fields = ["id", "name", "namespace", "predicate", "value", "is_machine", "added_at"]
        read_only_fields = fields


class TagCreateSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=200,
        help_text=_(
            'A free tag, or a MISP machine tag: namespace:predicate or namespace:predicate="value".'
        ),
    )


class TimelineEntrySerializer(ModelSerializer):
    author_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    author_name = serializers.CharField(read_only=True, help_text=_("Author's display name."))
    corrects = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    audience = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text=_("Named recipients of a TLP:RED entry (user ids).")
    )
    body_html = serializers.SerializerMethodField(
        help_text=_(
            "Sanitised HTML of the entry: an event drawn in the request's language, "
            "a note as written."
        )
    )
    event = serializers.CharField(
        read_only=True,
        help_text=_("Code of the event Concord recorded (empty for a note a person wrote)."),
    )
    params = serializers.JSONField(read_only=True, help_text=_("The event's parameters."))
    attachments = EntryAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TimelineEntry
        fields = [
            "id",
            "kind",
            "tlp",
            "occurred_at",
            "recorded_at",
            "author",
            "author_name",
            "author_agency",
            "body",
            "body_html",
            "event",
            "params",
            "corrects",
            "audience",
            "attachments",
        ]
        read_only_fields = fields

    def get_body_html(self, entry) -> str:
        return entry.html()


class TimelineEntryCreateSerializer(serializers.Serializer):
    """A note for the timeline; ``corrects`` makes it a correction of an earlier entry."""

    body = serializers.CharField(help_text=_("Markdown."))
    occurred_at = UTCDateTimeField(required=False, allow_null=True)
    tlp = serializers.ChoiceField(
        TLP.choices, required=False, help_text=_("Defaults to the incident's TLP.")
    )
    audience = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=User.objects.none(),
        help_text=_("TLP:RED only: ids of the users of participating agencies who may read it."),
    )
    corrects = serializers.PrimaryKeyRelatedField(
        required=False,
        allow_null=True,
        queryset=TimelineEntry.objects.none(),
        help_text=_("Id of the entry this one corrects."),
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text=_(
            "Multipart only: files stored with the entry, at its TLP (hashed while they upload)."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        incident = self.context.get("incident")
        request = self.context.get("request")
        if incident is None or request is None:
            return
        # Only ids the caller could know: users of the case's agencies, entries they see.
        self.fields["audience"].child_relation.queryset = User.objects.nameable().filter(
            agency__participations__incident=incident
        )
        self.fields["corrects"].queryset = TimelineEntry.objects.filter(
            incident=incident
        ).visible_to(request.user)


class ParticipantSerializer(ModelSerializer):
    agency = AgencySummarySerializer(read_only=True)
    invited_by = serializers.CharField(
        source="invited_by.display_name",
        read_only=True,
        allow_null=True,
        help_text=_("Display name of who invited the agency."),
    )
    owner = serializers.CharField(
        source="owner.display_name",
        read_only=True,
        allow_null=True,
        help_text=_("Display name of the agency's owner of the case."),
    )

    class Meta:
        model = Participation
        fields = ["agency", "role", "invited_by", "owner", "created_at"]
        read_only_fields = fields


class ParticipantCreateSerializer(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), help_text=_("Agency id.")
    )
    role = serializers.ChoiceField(
        ParticipationRole.choices, help_text=_("contributor or observer.")
    )


class ParticipantRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        ParticipationRole.choices, help_text=_("contributor or observer.")
    )


class CaseReportSectionSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text=_(
            "participants, timeline, evidence, indicators, requests (and any section added later)."
        )
    )
    title = serializers.CharField()
    count = serializers.IntegerField()
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text=_("The section's rows as the caller may see them (TLP rules applied)."),
    )


class CaseReportSerializer(serializers.Serializer):
    """The case report (``incidents.report.CaseReport.as_dict``)."""

    incident = serializers.DictField(help_text=_("The incident's facts and summary."))
    tlp = serializers.ChoiceField(
        TLP.choices, help_text=_("The highest TLP of the report's content.")
    )
    generated_at = UTCDateTimeField()
    generated_by = serializers.DictField()
    sections = CaseReportSectionSerializer(many=True)
