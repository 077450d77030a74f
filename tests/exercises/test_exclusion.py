"""Exercise content never reaches real lists, counts, correlation, STIX exports, TAXII
collections or blocklists; on its own pages it is there, marked."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse

from coordination.assistance.models import AssistanceRequest
from coordination.exchange.collections import agency_collection_id, incident_collection_id
from coordination.exercises import actions
from coordination.intel.actions import add_indicator
from coordination.intel.correlation import sightings
from incidents.models import Evidence
from tests.exercises.conftest import START
from tests.factories import TEST_PASSWORD, make_incident

pytestmark = pytest.mark.exercise

SHARED_IP = "203.0.113.77"  # pasted by the exercise, also seen in a real case
EXERCISE_ONLY = "rdx-support-desk.net"
REAL_DOMAIN = "login-verify-account.net"
TAXII = "application/taxii+json;version=2.1"


@pytest.fixture
def played(clock, exercise, controller, players):
    """The hospital exercise three hours in, beside a real case of the lead agency."""
    actions.start(exercise, controller)
    clock.move_to(START + timedelta(hours=3))
    actions.release_due()
    clock.move_to(START + timedelta(hours=3, minutes=5))
    lead = players["lead"]
    real = make_incident(lead, title="Real phishing wave", tlp="green")
    add_indicator(real, lead, value=SHARED_IP)
    add_indicator(real, lead, value=REAL_DOMAIN)
    drill = exercise.incidents.get(key="hospital-lead").incident
    return {
        "real": real,
        "drill": drill,
        "evidence": Evidence.objects.get(incident=drill),
        "request": AssistanceRequest.objects.get(incident=drill),
    }


def basic(user):
    raw = base64.b64encode(f"{user.username}:{TEST_PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}", "HTTP_ACCEPT": TAXII}


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("incidents:list", {}),
        ("incidents:dashboard", {}),
        ("evidence:all", {}),
        ("intel:search", {"q": SHARED_IP}),
        ("assistance:requests", {}),
        ("incidents:list", {"q": "hospital"}),
    ],
)
def test_real_pages_leave_exercise_content_out(client, played, players, url_name, params):
    drill, request, evidence = played["drill"], played["request"], played["evidence"]
    client.force_login(players["lead"])
    body = client.get(reverse(url_name), params).content.decode()
    if 'id="results"' in body:  # the rows, not a placeholder of the filters
        body = body[body.index('id="results"') :]
    assert drill.reference not in body
    assert request.reference not in body
    assert evidence.reference not in body


def test_the_requested_side_desk_and_list_leave_the_exercise_request_out(client, played, players):
    client.force_login(players["affected-a-liaison"])
    for name in ("assistance:desk", "assistance:requests"):
        body = client.get(reverse(name)).content.decode()
        assert played["request"].reference not in body, name
    # ... yet it is reachable from the exercise, marked
    detail = client.get(played["request"].get_absolute_url())
    assert detail.status_code == 200


def test_the_exercise_list_filter_shows_them_on_demand(client, played, players):
    client.force_login(players["lead"])
    body = client.get(reverse("incidents:list"), {"is_exercise": "true"}).content.decode()
    assert played["drill"].reference in body
    assert played["real"].reference not in body


def test_api_lists_and_counts_hold_real_cases_only(api_client, played, players):
    api_client.force_authenticate(players["lead"])
    incidents = api_client.get("/api/v1/incidents/").json()
    assert [row["reference"] for row in incidents["results"]] == [played["real"].reference]
    assert incidents["count"] == 1
    indicators = api_client.get("/api/v1/indicators/").json()["results"]
    assert {row["value"] for row in indicators} == {SHARED_IP, REAL_DOMAIN}
    assert api_client.get("/api/v1/evidence/").json()["results"] == []
    assert api_client.get("/api/v1/requests/").json()["results"] == []
    # One exercise incident's own list shows its content
    own = api_client.get("/api/v1/indicators/", {"incident": played["drill"].reference}).json()
    assert EXERCISE_ONLY in {row["value"] for row in own["results"]}


def test_real_and_exercise_sightings_never_meet(played, players):
    lead = players["lead"]
    key = ("ipv4", SHARED_IP)
    from_real = sightings(lead, [key], exclude_incident=played["real"])[key]
    from_drill = sightings(lead, [key], exclude_incident=played["drill"])[key]
    assert not from_real.any
    assert not from_drill.any


def test_no_stix_bundle_or_blocklist_of_an_exercise_incident(client, played, players):
    client.force_login(players["lead"])
    drill = played["drill"].reference
    for name in ("exchange:incident_stix", "exchange:incident_blocklist"):
        response = client.get(reverse(name, args=[drill]))
        assert response.status_code == 403, name
        assert "exercise" in response.content.decode()
    api = client.get(f"/api/v1/incidents/{drill}/stix/")
    assert api.status_code == 403
    real = client.get(reverse("exchange:incident_stix", args=[played["real"].reference]))
    assert real.status_code == 200
    assert EXERCISE_ONLY not in real.content.decode()


def test_taxii_collections_and_blocklists_leave_exercise_content_out(client, played, players):
    lead = players["lead"]
    listed = client.get(reverse("taxii:collections"), **basic(lead)).json()
    ids = {c["id"] for c in listed["collections"]}
    assert incident_collection_id(played["drill"].reference) not in ids
    assert incident_collection_id(played["real"].reference) in ids

    agency = agency_collection_id(lead.agency_id)
    objects = client.get(
        reverse("taxii:objects", kwargs={"collection_id": agency}), **basic(lead)
    ).content.decode()
    assert SHARED_IP in objects and EXERCISE_ONLY not in objects
    blocklist = client.get(
        reverse("exchange:collection_blocklist", kwargs={"collection_id": agency}),
        {"type": "domain"},
        **basic(lead),
    )
    assert blocklist.status_code == 200
    lines = b"".join(blocklist.streaming_content).decode()
    assert REAL_DOMAIN in lines and EXERCISE_ONLY not in lines


def test_an_exercise_incident_offers_no_export_link_and_says_why(client, played, players):
    client.force_login(players["lead"])
    drill = played["drill"].reference
    page = client.get(reverse("incidents:detail", args=[drill])).content.decode()
    panel = client.get(reverse("exchange:incident_panel", args=[drill])).content.decode()
    for body in (page, panel):
        assert reverse("exchange:incident_stix", args=[drill]) not in body
        assert reverse("exchange:incident_blocklist", args=[drill]) not in body
        assert "Exercise content is never exported" in body
    assert reverse("exchange:incident_import", args=[drill]) in panel  # players still paste
    real = played["real"].reference
    real_panel = client.get(reverse("exchange:incident_panel", args=[real])).content.decode()
    assert reverse("exchange:incident_stix", args=[real]) in real_panel


def test_an_ended_exercise_leaves_the_exercise_list_but_stays_readable(
    client, api_client, played, players, exercise, controller
):
    drill = played["drill"]
    actions.end(exercise, controller)
    client.force_login(players["lead"])
    listed = client.get(reverse("incidents:list"), {"is_exercise": "true"}).content.decode()
    listed = listed[listed.index('id="results"') :]
    assert drill.reference not in listed
    api_client.force_authenticate(players["lead"])
    api = api_client.get("/api/v1/incidents/", {"is_exercise": "true"}).json()
    assert api["count"] == 0
    # ... still readable on its own page, marked archived, with the way to the report
    page = client.get(reverse("incidents:detail", args=[drill.reference]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "the case is archived, read-only" in body
    assert reverse("exercises:report", args=[exercise.pk]) in body
    assert 'id="add-entry"' not in body  # no way to write into it


def test_the_requests_of_an_ended_exercise_take_no_further_step(
    client, played, players, exercise, controller
):
    from django.core.exceptions import PermissionDenied

    from coordination.assistance.actions import update_draft
    from coordination.assistance.transitions import allowed_actions, transition_request

    request = played["request"]
    liaison = players["lead-liaison"]
    before = request.status
    actions.end(exercise, controller)
    request.refresh_from_db()

    assert allowed_actions(request, liaison) == []
    with pytest.raises(PermissionDenied, match="exercise that has ended"):
        transition_request(request, "withdraw", liaison, comment="After the end")
    if request.status == "draft":
        with pytest.raises(PermissionDenied, match="exercise that has ended"):
            update_draft(request, players["lead"], facts="After the end")
    request.refresh_from_db()
    assert request.status == before
    # The request page offers no step either
    client.force_login(liaison)
    body = client.get(request.get_absolute_url()).content.decode()
    assert "exercise that has ended" in body
