"""Evidence API representations. Write serializers check the input's shape only; the
views hand it to ``incidents.evidence.actions``, the only writers."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import AgencySummarySerializer
from accounts.models import Agency
from coordination.api import ModelSerializer, UTCDateTimeField
from coordination.federation import identity
from incidents.evidence.choices import LOGGABLE_ACTION_CHOICES, CustodyAction, EvidenceKind
from incidents.models import CustodyEvent, Evidence


class EvidenceSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="evidence-api:evidence-detail", lookup_field="reference"
    )
    incident = serializers.CharField(source="incident.reference", read_only=True)
    holder_agency = AgencySummarySerializer(read_only=True)
    transit_to_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    has_file = serializers.BooleanField(read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "reference",
            "url",
            "incident",
            "title",
            "description",
            "kind",
            "sha256",
            "size",
            "has_file",
            "file_name",
            "acquired_at",
            "acquired_by_name",
            "acquired_where",
            "acquisition_method",
            "seal_number",
            "status",
            "holder_agency",
            "holder_person",
            "transit_to_agency",
            "is_sealed",
            "is_compromised",
            "chain_broken_seq",
            "custody_length",
            "custody_head",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EvidenceDetailSerializer(EvidenceSerializer):
    allowed_custody_actions = serializers.SerializerMethodField(
        help_text=_("The custody actions the caller may record now.")
    )

    class Meta(EvidenceSerializer.Meta):
        fields = [*EvidenceSerializer.Meta.fields, "allowed_custody_actions"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(CustodyAction.choices))
    )
    def get_allowed_custody_actions(self, item):
        return [str(a) for a in self.context.get("allowed_custody_actions", ())]


class EvidenceCreateSerializer(serializers.Serializer):
    """Log an item: JSON with ``sha256``, or multipart with ``file`` (and optionally the
    hash typed at acquisition, which must then match)."""

    incident = serializers.CharField(help_text=_("Incident reference, e.g. CC-2026-000042."))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(EvidenceKind.choices)
    sha256 = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text=_("Required without a file."),
    )
    size = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)
    acquired_at = UTCDateTimeField()
    acquired_by_name = serializers.CharField(max_length=200)
    acquired_where = serializers.CharField(max_length=300)
    acquisition_method = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300
    )
    seal_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    file = serializers.FileField(required=False, allow_null=True, default=None)


class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("Must hash to the item's SHA-256."))


class DownloadSerializer(serializers.Serializer):
    purpose = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text=_("Why the file is taken; recorded with the ``accessed`` custody step."),
    )


class CustodyEventSerializer(ModelSerializer):
    from_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    to_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by_name", read_only=True)
    node = serializers.SerializerMethodField(
        help_text=_("The node that recorded the step (empty when this server does not federate).")
    )

    class Meta:
        model = CustodyEvent
        fields = [
            "seq",
            "node",
            "action",
            "from_agency",
            "from_person",
            "to_agency",
            "to_person",
            "occurred_at",
            "location",
            "purpose",
            "channel",
            "seal_ids",
            "hash_observed",
            "hash_matches",
            "notes",
            "recorded_by",
            "recorded_at",
            "prev_hash",
            "entry_hash",
        ]
        read_only_fields = fields

    def get_node(self, event) -> str:
        return event.origin_node or identity.node_name()


class CustodyEventCreateSerializer(serializers.Serializer):
    action = serializers.ChoiceField(LOGGABLE_ACTION_CHOICES)
    to_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("transferred: id of the receiving agency (a contributor of the case)."),
    )
    to_person = serializers.CharField(required=False, allow_blank=True, max_length=200)
    occurred_at = UTCDateTimeField(required=False, allow_null=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=300)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=500)
    channel = serializers.CharField(required=False, allow_blank=True, max_length=300)
    seal_ids = serializers.CharField(required=False, allow_blank=True, max_length=300)
    hash_observed = serializers.CharField(required=False, allow_blank=True, max_length=64)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class BrokenLinkSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    what = serializers.ChoiceField(["seq", "prev_hash", "entry_hash", "head"])
    expected = serializers.CharField()
    found = serializers.CharField()


class VerificationSerializer(serializers.Serializer):
    evidence = serializers.CharField()
    ok = serializers.BooleanField()
    length = serializers.IntegerField(help_text=_("Steps stored, the whole chain."))
    final_hash = serializers.CharField(
        allow_blank=True, help_text=_("Entry hash of the last stored step (the whole chain).")
    )
    verified_length = serializers.IntegerField(
        help_text=_("Steps that recompute, before the first broken link.")
    )
    first_broken_link = BrokenLinkSerializer(allow_null=True)
    hash_mismatch_steps = serializers.ListField(child=serializers.IntegerField())
    checked_at = UTCDateTimeField()
