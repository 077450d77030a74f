from accounts.models import Agency
from coordination.api import CountryCodeField, ModelSerializer


class AgencySummarySerializer(ModelSerializer):
    """An agency as other objects name it (lead agency, participant, author's agency)."""

    country = CountryCodeField(read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "short_name", "name", "country"]
        read_only_fields = fields


class AgencySerializer(ModelSerializer):
    """One entry of the directory of agencies."""

    country = CountryCodeField(read_only=True)

    class Meta:
        model = Agency
        fields = [
            "id",
            "name",
            "short_name",
            "country",
            "kind",
            "mailbox",
            "phone",
            "is_24_7_contact",
            "timezone",
            "language",
        ]
        read_only_fields = fields
