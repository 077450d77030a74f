"""Fixtures of the exchange tests: indicators of every type, a validator, API tokens."""

import pytest
from django.utils import timezone
from stix2validator import ValidationOptions, validate_instance

from accounts import actions
from accounts.choices import TokenScope
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from incidents.choices import TLP

# One normalised value per type, with characters a pattern must escape.
SAMPLE_VALUES = {
    IndicatorType.IPV4: "198.51.100.7",
    IndicatorType.IPV6: "2001:db8::7",
    IndicatorType.CIDR: "203.0.113.0/24",
    IndicatorType.DOMAIN: "evil.example",
    IndicatorType.URL: "http://evil.example/o'neil\\path?q=1",
    IndicatorType.EMAIL: "phish@evil.example",
    IndicatorType.MD5: "d41d8cd98f00b204e9800998ecf8427e",
    IndicatorType.SHA1: "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    IndicatorType.SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    IndicatorType.SHA512: "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    IndicatorType.SSDEEP: "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C",
    IndicatorType.TLSH: "T1"
    + "A3B2C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5"
    + "E6F708192A3B4C5D6E7F8091A2B3C4",
    IndicatorType.IMPHASH: "f34d5f2d4577ed6d9ceec516c1f5a744",
    IndicatorType.FILENAME: "invoice 'final'.pdf.exe",
}


@pytest.fixture
def add_indicator():
    """``add_indicator(incident, type, value, by=user, tlp=...)`` stores one indicator."""

    def _add(incident, kind, value, *, by, tlp=TLP.AMBER, **fields):
        return Indicator.objects.create(
            incident=incident,
            type=kind,
            value=value,
            tlp=tlp,
            added_by=by,
            added_by_agency=by.agency,
            first_seen=fields.pop("first_seen", timezone.now() - timezone.timedelta(days=1)),
            **fields,
        )

    return _add


@pytest.fixture
def every_type(incident, lead_user, add_indicator):
    """One AMBER indicator of every type on the shared incident."""
    return [
        add_indicator(incident, kind, value, by=lead_user, confidence=80, note="Seen in logs")
        for kind, value in SAMPLE_VALUES.items()
    ]


def validate(bundle):
    """The OASIS validator's verdict on ``bundle`` (a dict)."""
    return validate_instance(bundle, ValidationOptions(version="2.1"))


def validation_errors(bundle):
    result = validate(bundle)
    errors = [str(e) for e in result.errors]
    for obj in result.object_results if hasattr(result, "object_results") else ():
        errors += [str(e) for e in obj.errors]
    return errors


@pytest.fixture
def token_for():
    """``token_for(user)``: the key of a new read-only API token of ``user``."""

    def _token(user, scope=TokenScope.READ):
        return actions.create_api_token(user, name="TAXII client", scope=scope, days=30)[1]

    return _token
