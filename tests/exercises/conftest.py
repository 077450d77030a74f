"""Three countries, their CERT and prosecutor, and the organiser's controller.

The hospital scenario's roles: lead (DE police), affected-a (FR police), affected-b
(NL police), cert (DE CERT), prosecutor (DE prosecutor); the controller is the agency
admin of an organising agency that plays no role.
"""

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.choices import AgencyKind, Role
from coordination.exercises import actions, scenarios
from tests.factories import AgencyFactory, UserFactory
from tests.notifications.conftest import smtp_sink  # noqa: F401 - a fixture for the worker test

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Frozen time that the test moves (``clock.move_to(...)``)."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def play_agencies(db):
    return {
        "lead": AgencyFactory(short_name="BKA-X", name="BKA Cybercrime", country="DE"),
        "affected-a": AgencyFactory(
            short_name="OFAC-X", name="OFAC", country="FR", timezone="Europe/Paris"
        ),
        "affected-b": AgencyFactory(
            short_name="THTC-X",
            name="Team High Tech Crime",
            country="NL",
            timezone="Europe/Amsterdam",
        ),
        "cert": AgencyFactory(
            short_name="CERT-X", name="CERT-Bund", country="DE", kind=AgencyKind.CERT
        ),
        "prosecutor": AgencyFactory(
            short_name="ZIT-X", name="ZIT Frankfurt", country="DE", kind=AgencyKind.PROSECUTOR
        ),
    }


@pytest.fixture
def players(play_agencies):
    """An investigator and a liaison officer in every playing agency."""
    people = {}
    for role, agency in play_agencies.items():
        people[role] = UserFactory(username=f"{role}-inv", agency=agency, role=Role.INVESTIGATOR)
        people[f"{role}-liaison"] = UserFactory(
            username=f"{role}-lo", agency=agency, role=Role.LIAISON_OFFICER
        )
    return people


@pytest.fixture
def organiser(db):
    return AgencyFactory(
        short_name="EXC", name="Exercise Control Cell", country="BE", kind=AgencyKind.INTERNATIONAL
    )


@pytest.fixture
def controller(organiser):
    return UserFactory(username="controller", agency=organiser, role=Role.AGENCY_ADMIN)


@pytest.fixture
def hospital():
    return scenarios.get("hospital-ransomware")


@pytest.fixture
def exercise(controller, hospital, play_agencies, players):
    return actions.create_exercise(
        controller, scenario=hospital, starts_at=START, agencies=play_agencies
    )
