"""Country fields of the API output the stored codes, whatever the model holds in memory."""

import pytest
from django_countries.fields import Country

from accounts.api.serializers import AgencySummarySerializer
from incidents.api.serializers import IncidentSerializer
from tests.factories import AgencyFactory, make_incident

pytestmark = pytest.mark.django_db


def test_codes_come_out_as_stored(lead_user, rf):
    incident = make_incident(lead_user, affected_countries=["FR", "DE"])
    incident.refresh_from_db()

    data = IncidentSerializer(incident, context={"request": rf.get("/")}).data

    assert data["affected_countries"] == ["DE", "FR"]
    assert data["lead_agency"]["country"] == "DE"


def test_countries_assigned_in_memory_come_out_as_codes():
    agency = AgencyFactory.build(country=Country("BE"))

    assert AgencySummarySerializer(agency).data["country"] == "BE"
