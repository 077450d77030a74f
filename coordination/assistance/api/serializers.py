"""Request API representations. Write serializers check shape only; ``actions`` and
``transitions`` hold the rules."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import AgencySummarySerializer
from accounts.models import Agency
from coordination.api import CountryCodeField, ModelSerializer, UTCDateTimeField
from coordination.assistance import provider_orders
from coordination.assistance.choices import ActionName, DataKind, DeadlineKind, Measure, Status
from coordination.assistance.models import (
    AssistanceRequest,
    Attachment,
    DataSought,
    ProviderEstablishment,
    StatusHistory,
)
from coordination.assistance.validation_rules import addressee_warning, validation_needed


class ProviderEstablishmentSerializer(ModelSerializer):
    """Where an order goes: a provider's establishment or representative (Art. 7(1))."""

    provider = serializers.CharField(source="provider.name")
    country = CountryCodeField()

    class Meta:
        model = ProviderEstablishment
        fields = [
            "id",
            "provider",
            "role",
            "country",
            "name",
            "address",
            "email",
            "phone",
            "timezone",
            "language",
        ]
        read_only_fields = fields


class DataSoughtSerializer(ModelSerializer):
    kind = serializers.ChoiceField(DataKind.choices)
    value = serializers.CharField(max_length=300)
    observed_at = UTCDateTimeField(
        required=False, allow_null=True, help_text=_("Needed for an IP address.")
    )
    provider = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    class Meta:
        model = DataSought
        fields = ["kind", "value", "observed_at", "provider", "note"]


class AttachmentSerializer(ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "sha256", "size", "content_type", "uploaded_at"]
        read_only_fields = fields


class DeadlineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(DeadlineKind.choices)
    label = serializers.CharField()
    clock_start = UTCDateTimeField(allow_null=True)
    due_at = UTCDateTimeField(allow_null=True)
    state = serializers.ChoiceField(["pending", "running", "stopped", "held", "met", "over"])
    met_at = UTCDateTimeField(allow_null=True)
    source = serializers.CharField(help_text=_("The legal source or the policy it follows."))
    is_law = serializers.BooleanField(help_text=_("False: a policy number the agency may set."))
    extended = serializers.BooleanField()
    legal_due_at = UTCDateTimeField(
        allow_null=True, help_text=_("The due date as first computed, before any extension.")
    )
    party = serializers.CharField(help_text=_("Who must act to meet it."))
    counting = serializers.CharField(help_text=_("exact, or eu_days (Regulation 1182/71)."))
    counting_source = serializers.CharField()
    zone = serializers.CharField(help_text=_("Time zone of the party that must act."))
    information_rule = serializers.CharField(
        help_text=_("What questions do to it: keeps running, pauses or restarts.")
    )
    information_is_law = serializers.BooleanField(
        help_text=_("False: Concord's policy where the instrument is silent.")
    )
    restarted = serializers.BooleanField()
    issuer_date = serializers.BooleanField(
        help_text=_("Always false: the issuer's earlier date never replaces a deadline.")
    )


class ValidationRequirementSerializer(serializers.Serializer):
    kinds = serializers.ListField(
        child=serializers.ChoiceField(["prosecutor", "court"]),
        help_text=_(
            "The agency kinds that may validate (court: judge, court or investigating judge)."
        ),
    )
    authorities = serializers.CharField()
    source = serializers.CharField(help_text=_("The provision that asks for the validation."))
    pending = serializers.BooleanField(help_text=_("True while the request waits for it."))


class RequestSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="assistance-api:request-detail", lookup_field="reference"
    )
    incident = serializers.SerializerMethodField(
        help_text=_(
            "Reference of the incident the request was drafted from, for those who may see "
            "that incident; null for the requested side."
        )
    )
    requesting_agency = AgencySummarySerializer(read_only=True)
    receiving_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    executing_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    # "" while a draft names no country yet.
    requested_country = CountryCodeField(read_only=True, allow_blank=True)
    created_by = serializers.CharField(source="created_by.display_name", read_only=True)

    class Meta:
        model = AssistanceRequest
        fields = [
            "reference",
            "url",
            "incident",
            "tlp",
            "legal_basis",
            "measures",
            "urgency",
            "status",
            "requesting_agency",
            "requested_country",
            "receiving_agency",
            "executing_agency",
            "due_at",
            "due_kind",
            "preserved_until",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_incident(self, obj) -> str | None:
        # ``sees_incident``: AssistanceRequest.objects.with_incident_visibility(user).
        if obj.incident_id and getattr(obj, "sees_incident", False):
            return obj.incident.reference
        return None


class RequestDetailSerializer(RequestSerializer):
    data_sought = DataSoughtSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    deadlines = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("The transitions the caller may take now (POST to /{action}/).")
    )
    follow_up = serializers.CharField(
        source="follow_up.reference", read_only=True, allow_null=True, default=None
    )
    provider_addressee = ProviderEstablishmentSerializer(read_only=True, allow_null=True)
    enforcing_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    refusal_window_until = serializers.SerializerMethodField(
        help_text=_(
            "Orders notified to an enforcing authority: the end of its window to raise grounds "
            "for refusal (Regulation (EU) 2023/1543 Art. 12(1))."
        )
    )
    validated_by = serializers.CharField(
        source="validated_by.display_name", read_only=True, allow_null=True, default=None
    )
    validating_agency = AgencySummarySerializer(read_only=True, allow_null=True)
    validation = serializers.SerializerMethodField(
        help_text=_(
            "Judicial validation the request needs before it is sent (Directive 2014/41/EU "
            "Art. 2(c)(ii), Regulation (EU) 2023/1543 Art. 4); null: four-eyes approval."
        )
    )
    addressee_warning = serializers.SerializerMethodField(
        help_text=_(
            "Set for an EIO addressed to a police authority: approving it then needs "
            "``confirm_addressee: true``."
        )
    )
    other_node = serializers.CharField(
        source="counterpart_node",
        read_only=True,
        help_text=_(
            "A request between nodes: the other node, where the other side's steps are taken "
            "(empty for a request kept on this node)."
        ),
    )
    origin_reference = serializers.CharField(
        read_only=True,
        help_text=_("A request received from another node: its reference on the requesting node."),
    )
    origin_incident_reference = serializers.CharField(
        read_only=True,
        help_text=_(
            "A request received from another node: the reference there of the case it was "
            "drafted from."
        ),
    )

    class Meta(RequestSerializer.Meta):
        fields = [
            *RequestSerializer.Meta.fields,
            "urgency_reason",
            "facts",
            "offences",
            "dual_criminality",
            "confidentiality_requested",
            "confidentiality_reason",
            "issuer_deadline",
            "issuer_deadline_reason",
            "provisional_measures",
            "provisional_measures_detail",
            "sent_at",
            "received_at",
            "accepted_at",
            "information_asked_at",
            "information_answered_at",
            "preserved_at",
            "follow_up",
            "fulfilled_at",
            "closed_at",
            "due_clock_started_at",
            "validated_by",
            "validating_agency",
            "validated_at",
            "validation",
            "addressee_warning",
            "version",
            "data_sought",
            "attachments",
            "deadlines",
            "allowed_actions",
            # Orders to a service provider (Regulation (EU) 2023/1543).
            "provider_addressee",
            "identification_only",
            "notification_exception",
            "notification_exception_reason",
            "enforcing_agency",
            "transmission_id",
            "notification_required",
            "enforcing_notified_at",
            "refusal_window_until",
            "enforcing_decision",
            "enforcing_decided_at",
            "enforcing_grounds",
            "provider_outcome",
            "provider_answered_at",
            "preservation_extension_reason",
            # Requests between nodes (coordination.federation).
            "other_node",
            "origin_reference",
            "origin_incident_reference",
        ]
        read_only_fields = fields

    @extend_schema_field(UTCDateTimeField(allow_null=True))
    def get_refusal_window_until(self, obj):
        end = provider_orders.refusal_window_end(obj)
        return UTCDateTimeField().to_representation(end) if end else None

    @extend_schema_field(ValidationRequirementSerializer(allow_null=True))
    def get_validation(self, obj):
        requirement = validation_needed(obj)
        if requirement is None:
            return None
        return {
            "kinds": [str(kind) for kind in requirement.kinds],
            "authorities": str(requirement.authorities),
            "source": str(requirement.source),
            "pending": obj.status == Status.PENDING_APPROVAL,
        }

    def get_addressee_warning(self, obj) -> str:
        return addressee_warning(obj)

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, obj):
        return DeadlineSerializer(self.context.get("deadlines", []), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(ActionName.choices)))
    def get_allowed_actions(self, obj):
        return [t.name.value for t in self.context.get("allowed_actions", [])]


class RequestWriteSerializer(ModelSerializer):
    """What a drafter sets on a draft; ``incident`` only when creating."""

    incident = serializers.CharField(
        required=False,
        allow_null=True,
        write_only=True,
        help_text=_("Reference of an incident you work on, e.g. CC-2026-000042."),
    )
    measures = serializers.ListField(
        child=serializers.ChoiceField(Measure.choices), required=False, allow_empty=True
    )
    requested_country = CountryCodeField(required=False, allow_blank=True)
    receiving_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.active(), required=False, allow_null=True
    )
    issuer_deadline = UTCDateTimeField(required=False, allow_null=True)
    data_sought = DataSoughtSerializer(many=True, required=False)
    provider_addressee = serializers.PrimaryKeyRelatedField(
        queryset=ProviderEstablishment.objects.filter(is_active=True, provider__is_active=True),
        required=False,
        allow_null=True,
        help_text=_(
            "EPOC / EPOC-PR: the provider's designated establishment or legal representative "
            "(Regulation (EU) 2023/1543 Art. 7(1)); sets the requested country."
        ),
    )
    enforcing_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.active(),
        required=False,
        allow_null=True,
        help_text=_(
            "EPOC for traffic or content data: the enforcing authority of the addressee's "
            "Member State, notified at sending (Art. 8(1))."
        ),
    )

    class Meta:
        model = AssistanceRequest
        fields = [
            "incident",
            "legal_basis",
            "measures",
            "urgency",
            "urgency_reason",
            "requested_country",
            "receiving_agency",
            "facts",
            "offences",
            "dual_criminality",
            "tlp",
            "confidentiality_requested",
            "confidentiality_reason",
            "issuer_deadline",
            "issuer_deadline_reason",
            "provisional_measures",
            "provisional_measures_detail",
            "provider_addressee",
            "identification_only",
            "notification_exception",
            "notification_exception_reason",
            "enforcing_agency",
            "data_sought",
        ]
        extra_kwargs = {
            "tlp": {
                "help_text": _(
                    "TLP 2.0 marking. Defaults to the incident's; never lower than the "
                    "incident's while the texts quote it."
                )
            }
        }


class TransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10000,
        help_text=_("The reason, questions, answer or result the action needs."),
    )
    received_at = UTCDateTimeField(
        required=False,
        allow_null=True,
        help_text=_(
            "acknowledge: when the request actually arrived, if before now; record_receipt: "
            "when the service provider received the order."
        ),
    )
    estimate = UTCDateTimeField(
        required=False,
        allow_null=True,
        help_text=_(
            "extend (EIO): the estimated time the decision needs, at most 30 days after "
            "the deadline (Directive 2014/41/EU Art. 12(5))."
        ),
    )
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("forward: the competent agency of the requested country."),
    )
    follow_up = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("link_follow_up: reference of the follow-up request."),
    )
    transmission_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=120,
        help_text=_(
            "approve / record_receipt of an EPOC or EPOC-PR: the transmission channel's "
            "identifier (the Regulation's decentralised IT system, Art. 19, once it runs)."
        ),
    )
    confirm_addressee = serializers.BooleanField(
        required=False,
        help_text=_(
            "approve: confirms sending an EIO to a police authority (see "
            "``addressee_warning``); required then."
        ),
    )


class HistorySerializer(ModelSerializer):
    actor_agency = serializers.CharField(source="actor_agency_name")

    class Meta:
        model = StatusHistory
        fields = [
            "id",
            "action",
            "from_status",
            "to_status",
            "actor_name",
            "actor_agency",
            "comment",
            "due_at",
            "due_kind",
            "at",
        ]
        read_only_fields = fields
