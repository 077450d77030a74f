"""Fixtures of the intel tests: cases of other countries holding the same observables."""

import pytest

from accounts.choices import Role
from coordination.intel import actions
from incidents.choices import TLP
from tests.factories import AgencyFactory, UserFactory, make_incident

SHARED_IP = "198.51.100.23"


@pytest.fixture
def add_indicator():
    """``add_indicator(incident, user, value, **fields)`` through the real action."""

    def _add(incident, user, value, **fields):
        indicator, _created = actions.add_indicator(incident, user, value=value, **fields)
        return indicator

    return _add


@pytest.fixture
def italian_agency(db):
    return AgencyFactory(
        name="Polizia Postale", short_name="PP-IT", country="IT", timezone="Europe/Rome"
    )


@pytest.fixture
def italian_user(italian_agency):
    return UserFactory(username="ilaria", agency=italian_agency, role=Role.INVESTIGATOR)


@pytest.fixture
def spanish_incident(outsider):
    """A case of the outsider's agency (Spain), shared with nobody."""
    return make_incident(outsider, title="Phishing wave against Spanish banks", tlp=TLP.AMBER)


@pytest.fixture
def red_incident(italian_user):
    """A TLP:RED case of a fourth agency (Italy), shared with nobody."""
    return make_incident(
        italian_user, title="Secret operation Nightjar", tlp=TLP.RED, affected_countries=["IT"]
    )
