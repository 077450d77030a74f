from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts import tokens
from accounts.choices import TokenScope
from accounts.models import Agency
from coordination.api import CountryCodeField, ModelSerializer, UTCDateTimeField


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


class TokenRequestSerializer(serializers.Serializer):
    """A username and password exchanged for a new API token."""

    username = serializers.CharField(write_only=True)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="API client")
    scope = serializers.ChoiceField(choices=TokenScope.choices, default=TokenScope.READ)
    days = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_("Days the token stays valid: 30 by default, at most the platform's maximum."),
    )

    def validate_days(self, value):
        if value > tokens.max_days():
            raise serializers.ValidationError(
                _("At most %(days)s days.") % {"days": tokens.max_days()}
            )
        return value

    def validate(self, attrs):
        user = authenticate(
            request=self.context.get("request"),
            username=attrs["username"],
            password=attrs["password"],
        )
        if user is None:
            raise serializers.ValidationError(
                _("Unable to sign in with the given credentials."), code="authorization"
            )
        attrs["user"] = user
        attrs.setdefault("days", tokens.default_days())
        return attrs


class TokenSerializer(serializers.Serializer):
    """A token just created: ``token`` is the key, shown this once."""

    token = serializers.CharField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scope = serializers.ChoiceField(choices=TokenScope.choices)
    expires_at = UTCDateTimeField()
