"""Personas of cross-border requests, beside the shared four (tests/conftest.py).

Germany (lead_agency, BKA-CC) asks the Netherlands (NL-HTC) for assistance; a second
Dutch agency (NL-OM) is the competent authority a request can be forwarded to. France is
invited on the incident (it sees sent requests, not drafts); Spain is a third country.
European Production and Preservation Orders go to Example Cloud Ltd's legal representative
in the Netherlands; NL-HTC is the enforcing authority notified of production orders.
"""

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.choices import AgencyKind, Role
from coordination.assistance import actions
from coordination.assistance.choices import (
    PROVIDER_BASES,
    DataKind,
    LegalBasis,
    Measure,
    ProviderRole,
    Urgency,
)
from coordination.assistance.models import ProviderEstablishment, ServiceProvider
from coordination.assistance.transitions import transition_request
from tests.factories import AgencyFactory, UserFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    """Time stands still at T0 (Monday 2 March 2026, 09:00 UTC); ``frozen.move_to(...)``."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def nl_agency(db):
    return AgencyFactory(
        name="Team High Tech Crime",
        short_name="NL-HTC",
        country="NL",
        mailbox="htc-intake@politie.example.nl",
        timezone="Europe/Amsterdam",
        is_24_7_contact=True,
    )


@pytest.fixture
def nl_prosecutor(db):
    return AgencyFactory(
        name="Landelijk Parket",
        short_name="NL-OM",
        country="NL",
        kind=AgencyKind.PROSECUTOR,
        mailbox="irc@om.example.nl",
        timezone="Europe/Amsterdam",
    )


@pytest.fixture
def de_liaison(lead_agency):
    return UserFactory(username="dora", agency=lead_agency, role=Role.LIAISON_OFFICER)


@pytest.fixture
def de_liaison_2(lead_agency):
    return UserFactory(username="dieter", agency=lead_agency, role=Role.LIAISON_OFFICER)


@pytest.fixture
def de_supervisor(lead_agency):
    return UserFactory(username="sven", agency=lead_agency, role=Role.SUPERVISOR)


@pytest.fixture
def de_admin(lead_agency):
    return UserFactory(username="ada", agency=lead_agency, role=Role.AGENCY_ADMIN)


@pytest.fixture
def nl_liaison(nl_agency):
    return UserFactory(username="noor", agency=nl_agency, role=Role.LIAISON_OFFICER)


@pytest.fixture
def nl_investigator(nl_agency):
    return UserFactory(username="niels", agency=nl_agency, role=Role.INVESTIGATOR)


@pytest.fixture
def nl_om_liaison(nl_prosecutor):
    return UserFactory(username="olaf", agency=nl_prosecutor, role=Role.LIAISON_OFFICER)


@pytest.fixture
def de_prosecution(db):
    return AgencyFactory(
        name="Generalstaatsanwaltschaft Frankfurt am Main",
        short_name="DE-ZIT",
        country="DE",
        kind=AgencyKind.PROSECUTOR,
        mailbox="zit@gsta.example.de",
    )


@pytest.fixture
def de_court(db):
    return AgencyFactory(
        name="Amtsgericht Wiesbaden",
        short_name="DE-AG",
        country="DE",
        kind=AgencyKind.COURT,
        mailbox="ermittlungsrichter@ag.example.de",
    )


@pytest.fixture
def de_prosecutor(de_prosecution):
    return UserFactory(username="petra", agency=de_prosecution, role=Role.LIAISON_OFFICER)


@pytest.fixture
def de_judge(de_court):
    return UserFactory(username="jakob", agency=de_court, role=Role.LIAISON_OFFICER)


@pytest.fixture
def approve(request, de_liaison):
    """``approve(req, by=None, **data)``: sends a pending request the lawful way.

    Four eyes (de_liaison) where no judicial validation is needed; else the German
    prosecutor, or the German judge where the Regulation asks for a court. An EIO to a
    police unit is sent with the addressee confirmed.
    """
    from accounts.choices import AgencyKind
    from coordination.assistance.validation_rules import validation_needed

    def _approve(req, by=None, comment="", **data):
        if by is None:
            requirement = validation_needed(req)
            if requirement is None:
                by = de_liaison
            elif AgencyKind.PROSECUTOR in requirement.kinds:
                by = request.getfixturevalue("de_prosecutor")
            else:
                by = request.getfixturevalue("de_judge")
        data.setdefault("confirm_addressee", True)
        return transition_request(req, "approve", by, comment=comment, **data)

    return _approve


def complete_fields(basis=LegalBasis.EIO, receiving_agency=None, **overrides):
    """Every essential element a request of ``basis`` needs."""
    measures = {
        LegalBasis.BUDAPEST_PRESERVATION: [Measure.PRESERVATION],
        LegalBasis.EPOC_PR: [Measure.PRESERVATION],
        LegalBasis.EPOC: [Measure.SUBSCRIBER, Measure.TRAFFIC],
    }.get(basis, [Measure.SUBSCRIBER, Measure.TRAFFIC])
    fields = {
        "legal_basis": basis,
        "measures": measures,
        "urgency": Urgency.ROUTINE,
        "requested_country": "NL",
        "receiving_agency": receiving_agency,
        "facts": "Ransomware operators used a VPS in Amsterdam to stage the attack.",
        "offences": "§ 303b StGB (computer sabotage), § 253 StGB (extortion).",
        "dual_criminality": "Art. 138b and 317 Sr criminalise the same conduct.",
    }
    fields.update(overrides)
    return fields


DATA = [
    {
        "kind": DataKind.IP_TIME,
        "value": "203.0.113.7",
        "observed_at": datetime(2026, 2, 27, 23, 14, tzinfo=UTC),
        "provider": "Example Hosting B.V.",
    },
    {"kind": DataKind.ACCOUNT, "value": "ops@example.net", "provider": "Example Mail"},
]


def example_cloud_representative():
    """Example Cloud Ltd's legal representative in the Netherlands (Art. 7(1))."""
    provider, _ = ServiceProvider.objects.get_or_create(
        name="Example Cloud Ltd",
        defaults={"services": "Hosting, e-mail", "website": "https://cloud.example"},
    )
    row, _ = ProviderEstablishment.objects.get_or_create(
        provider=provider,
        role=ProviderRole.LEGAL_REPRESENTATIVE,
        country="NL",
        defaults={
            "name": "Example Cloud Legal Representative B.V.",
            "address": "Keizersgracht 1, Amsterdam",
            "email": "lawful-requests@cloud.example",
            "timezone": "Europe/Amsterdam",
        },
    )
    return row


@pytest.fixture
def nl_representative(db):
    return example_cloud_representative()


@pytest.fixture
def make_request(lead_user, nl_agency):
    def _make(basis=LegalBasis.EIO, by=None, incident=None, data=DATA, **overrides):
        by = by or lead_user
        if basis in PROVIDER_BASES:
            # An order goes to the provider; NL-HTC is notified when Art. 8(1) asks for it.
            overrides.setdefault("provider_addressee", example_cloud_representative())
            overrides.setdefault("enforcing_agency", nl_agency)
        return actions.create_request(
            by,
            incident=incident,
            data_sought=data,
            **complete_fields(basis, receiving_agency=nl_agency, **overrides),
        )

    return _make


@pytest.fixture
def sent_request(make_request, lead_user, approve):
    """``sent_request(basis, **fields)``: drafted by lead_user, approved by de_liaison or,
    where the law asks for it, validated by a German prosecutor or judge."""

    def _sent(basis=LegalBasis.EIO, **overrides):
        req = make_request(basis, **overrides)
        transition_request(req, "submit", lead_user)
        approve(req)
        return req

    return _sent
