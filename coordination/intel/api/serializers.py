"""Indicator API representations. Write serializers check shape only; actions decide."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from coordination.api import ModelSerializer, UTCDateTimeField
from coordination.intel.actions import MAX_PASTE_LINES
from coordination.intel.choices import TYPED_CHOICES
from coordination.intel.models import Indicator
from coordination.intel.warninglists import warning_lists
from incidents.choices import TLP


class SightingLinkSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    country = serializers.CharField(help_text=_("Country of the incident's lead agency."))
    url = serializers.CharField(help_text=_("The incident's page."))


class SightingsSerializer(serializers.Serializer):
    """Where else the observable was seen, as far as sharing allows."""

    visible = SightingLinkSerializer(
        many=True, source="links", help_text=_("Other incidents you may see (at most 5).")
    )
    visible_count = serializers.IntegerField(help_text=_("Other incidents you may see."))
    hidden_count = serializers.IntegerField(
        help_text=_(
            "Incidents you may not see that hold it. TLP:AMBER+STRICT and TLP:RED incidents "
            "and indicators are never counted."
        )
    )
    hidden_countries = serializers.IntegerField(
        help_text=_("Countries of the lead agencies of those incidents.")
    )
    contact_requested = serializers.IntegerField(
        help_text=_("Of those incidents, how many your agency already asked for contact.")
    )


class StixSourceSerializer(serializers.Serializer):
    """What a STIX import kept of the partner's object, as the partner gave it."""

    name = serializers.CharField(required=False)
    labels = serializers.ListField(child=serializers.CharField(), required=False)
    indicator_types = serializers.ListField(child=serializers.CharField(), required=False)
    kill_chain_phases = serializers.ListField(child=serializers.DictField(), required=False)
    external_references = serializers.ListField(child=serializers.DictField(), required=False)
    created_by_ref = serializers.CharField(
        required=False, help_text=_("The STIX id of the identity that made the object.")
    )
    source_identity = serializers.DictField(
        required=False, help_text=_("That identity object, when the bundle held it.")
    )
    statements = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text=_("Statement marking definitions (copyright, terms of use) that apply."),
    )
    pattern_version = serializers.CharField(required=False)


class IndicatorSerializer(ModelSerializer):
    incident = serializers.CharField(source="incident.reference", read_only=True)
    added_by = serializers.CharField(source="added_by.display_name", read_only=True)
    added_by_agency = serializers.CharField(
        source="added_by_agency.short_name", read_only=True, default=None
    )
    sightings = serializers.SerializerMethodField()
    warning_lists = serializers.SerializerMethodField(
        help_text=_(
            "MISP warning lists the value is on: it is left out of blocklists unless "
            "blocklist_allowed_at is set."
        )
    )
    audience = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text=_("Named recipients of a TLP:RED indicator (user ids), besides who added it."),
    )
    active = serializers.BooleanField(
        read_only=True,
        help_text=_("Neither revoked nor past valid_until: what blocklists and TAXII serve."),
    )
    stix_created = UTCDateTimeField(read_only=True, allow_null=True)
    stix_modified = UTCDateTimeField(read_only=True, allow_null=True)
    valid_until = UTCDateTimeField(read_only=True, allow_null=True)
    derived_from = serializers.PrimaryKeyRelatedField(
        read_only=True,
        help_text=_("The STIX pattern indicator this value was taken from, for correlation."),
    )
    blocklist_note = serializers.CharField(
        source="blocklist_reason",
        read_only=True,
        help_text=_("Why no blocklist carries this indicator; empty when one may."),
    )
    source = StixSourceSerializer(
        source="stix",
        read_only=True,
        help_text=_("Imported indicators: what the partner's STIX object said of itself."),
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "incident",
            "type",
            "value",
            "tlp",
            "audience",
            "first_seen",
            "last_seen",
            "confidence",
            "note",
            "added_by",
            "added_by_agency",
            "created_at",
            "updated_at",
            "sightings",
            "warning_lists",
            "blocklist_allowed_at",
            "blocklist_allowed_by_name",
            "blocklist_note",
            "active",
            "revoked",
            "valid_until",
            "stix_id",
            "pattern",
            "stix_created",
            "stix_modified",
            "derived_from",
            "source",
        ]
        read_only_fields = fields

    def get_warning_lists(self, indicator) -> list[str]:
        return warning_lists(indicator.type, indicator.value)

    def get_sightings(self, indicator) -> SightingsSerializer:
        found = self.context.get("sightings", {}).get(indicator.pk)
        return SightingsSerializer(found).data if found is not None else None


class IndicatorCreateSerializer(serializers.Serializer):
    incident = serializers.CharField(help_text=_("Reference of an incident you contribute to."))
    value = serializers.CharField(
        max_length=4096, help_text=_("Defanged forms (hxxp://, [.]) are refanged.")
    )
    type = serializers.ChoiceField(
        choices=TYPED_CHOICES,
        required=False,
        allow_blank=True,
        help_text=_("Detected from the value when left out."),
    )
    tlp = serializers.ChoiceField(
        choices=TLP.choices, required=False, help_text=_("The incident's label when left out.")
    )
    first_seen = UTCDateTimeField(required=False, allow_null=True)
    last_seen = UTCDateTimeField(required=False, allow_null=True)
    confidence = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    audience = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=200,
        help_text=_(
            "TLP:RED only: ids of the users of the incident's agencies who may read it besides you."
        ),
    )


class BulkCreateSerializer(serializers.Serializer):
    incident = serializers.CharField(help_text=_("Reference of an incident you contribute to."))
    text = serializers.CharField(
        max_length=500_000,
        help_text=_(
            "One indicator per line (at most %(max)d); blank lines and lines starting with # "
            "are skipped."
        )
        % {"max": MAX_PASTE_LINES},
    )
    tlp = serializers.ChoiceField(choices=TLP.choices, required=False)
    confidence = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    audience = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=200,
        help_text=_(
            "TLP:RED only: ids of the users of the incident's agencies who may read it besides you."
        ),
    )
    skip_refused = serializers.BooleanField(
        default=False,
        help_text=_(
            "Store the accepted lines even if some are refused. Otherwise a refused line "
            "means nothing is stored."
        ),
    )
    preview = serializers.BooleanField(default=False, help_text=_("Report without storing."))


class LineResultSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    raw = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["added", "merged", "refused"])
    type = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    duplicate_of_line = serializers.IntegerField(allow_null=True)
    warning_lists = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "MISP warning lists the value is on: stored, but left out of blocklists "
            "until an analyst allows the indicator."
        ),
    )


class BulkReportSerializer(serializers.Serializer):
    stored = serializers.BooleanField(help_text=_("False: nothing was stored."))
    added = serializers.IntegerField()
    merged = serializers.IntegerField()
    refused = serializers.IntegerField()
    lines = LineResultSerializer(many=True)


class ContactRequestResultSerializer(serializers.Serializer):
    asked = serializers.IntegerField(help_text=_("Incidents whose lead agency was notified."))
