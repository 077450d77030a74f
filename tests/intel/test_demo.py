"""The demo holds a cross-border correlation and loading it twice changes nothing."""

import pytest
from django.core.management import call_command

from accounts.models import User
from coordination.intel.correlation import sightings
from coordination.intel.demo import SHARED_C2
from coordination.intel.models import Indicator
from incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db


def test_load_demo_correlates_an_ip_across_two_countries_and_is_idempotent():
    call_command("load_demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Indicator.objects.count(), TimelineEntry.objects.count())
    call_command("load_demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Indicator.objects.count(), TimelineEntry.objects.count()) == counts

    holders = Incident.objects.filter(indicators__type="ipv4", indicators__value=SHARED_C2)
    assert {i.lead_agency.country.code for i in holders} == {"DE", "FR"}
    german = holders.get(lead_agency__country="DE")
    french = holders.get(lead_agency__country="FR")
    key = ("ipv4", SHARED_C2)
    de_view = sightings(
        User.objects.get(username="de-investigator"), [key], exclude_incident=german
    )
    assert (de_view[key].hidden_count, de_view[key].hidden_countries) == (1, 1)
    fr_view = sightings(
        User.objects.get(username="fr-investigator"), [key], exclude_incident=french
    )
    assert [link.reference for link in fr_view[key].links] == [german.reference]
