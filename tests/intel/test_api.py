"""Indicator API × the four personas; correlation in the API follows the browser's rule."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.intel import actions
from coordination.intel.models import ContactRequest, Indicator
from incidents.choices import TLP, ParticipationRole
from tests.factories import make_incident
from tests.intel.conftest import SHARED_IP

pytestmark = pytest.mark.django_db

LEAD, INVITED, OUTSIDER, ANONYMOUS = "lead", "invited", "outsider", "anonymous"
LIST = reverse("intel-api:indicator-list")
BULK = reverse("intel-api:indicator-bulk")


def detail(pk):
    return reverse("intel-api:indicator-detail", args=[pk])


@pytest.fixture
def as_persona(api_client, lead_user, invited_user, outsider):
    users = {LEAD: lead_user, INVITED: invited_user, OUTSIDER: outsider, ANONYMOUS: None}

    def _as(persona):
        if users[persona] is not None:
            api_client.force_authenticate(users[persona])
        return api_client

    return _as


@pytest.fixture
def shared(incident, lead_user, outsider, spanish_incident, add_indicator):
    add_indicator(spanish_incident, outsider, SHARED_IP)
    return add_indicator(incident, lead_user, SHARED_IP)


def _call(client, endpoint, incident, indicator):
    if endpoint == "list":
        return client.get(LIST)
    if endpoint == "retrieve":
        return client.get(detail(indicator.pk))
    if endpoint == "create":
        return client.post(LIST, {"incident": incident.reference, "value": "evil[.]example"})
    if endpoint == "bulk":
        return client.post(BULK, {"incident": incident.reference, "text": "192.0.2.1\n192.0.2.2"})
    if endpoint == "request_contact":
        return client.post(reverse("intel-api:indicator-request-contact", args=[indicator.pk]))
    raise AssertionError(endpoint)


MATRIX = [
    ("list", {LEAD: 200, INVITED: 200, OUTSIDER: 200, ANONYMOUS: 401}),
    ("retrieve", {LEAD: 200, INVITED: 200, OUTSIDER: 404, ANONYMOUS: 401}),
    ("create", {LEAD: 201, INVITED: 201, OUTSIDER: 400, ANONYMOUS: 401}),
    ("bulk", {LEAD: 201, INVITED: 201, OUTSIDER: 400, ANONYMOUS: 401}),
    ("request_contact", {LEAD: 200, INVITED: 200, OUTSIDER: 404, ANONYMOUS: 401}),
]


@pytest.mark.parametrize("persona", [LEAD, INVITED, OUTSIDER, ANONYMOUS])
@pytest.mark.parametrize(("endpoint", "expected"), MATRIX, ids=lambda v: str(v))
def test_authorisation_matrix(as_persona, incident, shared, persona, endpoint, expected):
    response = _call(as_persona(persona), endpoint, incident, shared)
    assert response.status_code == expected[persona], response.content


def test_outsider_list_holds_only_own_indicators(as_persona, shared, spanish_incident):
    data = as_persona(OUTSIDER).get(LIST).json()
    assert [row["incident"] for row in data["results"]] == [spanish_incident.reference]


def test_observer_gets_403_when_adding(api_client, incident, invited_user, lead_user):
    from incidents.actions import change_participation_role

    participation = incident.participations.get(agency=invited_user.agency)
    change_participation_role(participation, ParticipationRole.OBSERVER, lead_user)
    api_client.force_authenticate(invited_user)
    response = api_client.post(LIST, {"incident": incident.reference, "value": "192.0.2.1"})
    assert response.status_code == 403


def test_create_normalises_detects_and_merges(api_client, incident, lead_user):
    api_client.force_authenticate(lead_user)
    response = api_client.post(
        LIST, {"incident": incident.reference, "value": "hxxps://Evil[.]Example:443/a"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["type"], body["value"]) == ("url", "https://evil.example/a")
    assert response["Location"].endswith(detail(body["id"]))
    again = api_client.post(
        LIST,
        {"incident": incident.reference, "value": "https://evil.example/a", "tlp": TLP.RED},
        format="json",
    )
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["tlp"] == TLP.RED


def test_create_with_bad_input_answers_400_with_field_messages(api_client, incident, lead_user):
    api_client.force_authenticate(lead_user)
    response = api_client.post(
        LIST,
        {"incident": incident.reference, "value": "abc", "type": "sha256", "tlp": "green"},
    )
    assert response.status_code == 400
    errors = response.json()
    assert "64 hexadecimal" in errors["value"][0]
    assert "cannot be marked lower" in errors["tlp"][0]
    assert not Indicator.objects.exists()


def test_bulk_with_refused_line_stores_nothing_and_reports_each_line(
    api_client, incident, lead_user
):
    api_client.force_authenticate(lead_user)
    text = "1.2.3[.]4\nnonsense value\nevil.example\n1.2.3.4"
    response = api_client.post(BULK, {"incident": incident.reference, "text": text})
    assert response.status_code == 400
    report = response.json()
    assert report["stored"] is False
    assert [line["outcome"] for line in report["lines"]] == [
        "added",
        "refused",
        "added",
        "merged",
    ]
    assert report["lines"][3]["duplicate_of_line"] == 1
    assert not Indicator.objects.exists()
    preview = api_client.post(
        BULK, {"incident": incident.reference, "text": text, "preview": True}, format="json"
    )
    assert preview.status_code == 200 and not Indicator.objects.exists()
    stored = api_client.post(
        BULK, {"incident": incident.reference, "text": text, "skip_refused": True}, format="json"
    )
    assert stored.status_code == 201
    assert stored.json()["added"] == 2
    assert Indicator.objects.count() == 2


def test_sightings_in_the_api_follow_the_sharing_rule(
    api_client, incident, lead_user, shared, italian_user, red_incident, add_indicator
):
    add_indicator(red_incident, italian_user, SHARED_IP)
    second = make_incident(lead_user, title="Second case")
    add_indicator(second, lead_user, SHARED_IP)
    api_client.force_authenticate(lead_user)
    body = api_client.get(detail(shared.pk)).json()
    sightings = body["sightings"]
    assert [link["reference"] for link in sightings["visible"]] == [second.reference]
    assert sightings["visible_count"] == 1
    assert (sightings["hidden_count"], sightings["hidden_countries"]) == (1, 1)
    text = api_client.get(LIST).content.decode()
    for secret in (red_incident.reference, red_incident.title, "Polizia", "PP-IT"):
        assert secret not in text


def test_red_incident_leaks_nothing_through_the_api(
    api_client, incident, lead_user, italian_user, red_incident, add_indicator
):
    add_indicator(red_incident, italian_user, SHARED_IP)
    mine = add_indicator(incident, lead_user, SHARED_IP)
    api_client.force_authenticate(lead_user)
    sightings = api_client.get(detail(mine.pk)).json()["sightings"]
    assert sightings == {
        "visible": [],
        "visible_count": 0,
        "hidden_count": 0,
        "hidden_countries": 0,
        "contact_requested": 0,
    }
    response = api_client.post(reverse("intel-api:indicator-request-contact", args=[mine.pk]))
    assert response.status_code == 400
    assert not ContactRequest.objects.exists()
    response = api_client.get(LIST, {"value": SHARED_IP})
    assert response.json()["count"] == 1


def test_filters(api_client, incident, lead_user, invited_user, add_indicator):
    add_indicator(incident, lead_user, "evil.example")
    add_indicator(incident, lead_user, "http://evil.example/x")
    french = make_incident(invited_user, title="French", affected_countries=["FR"])
    add_indicator(french, invited_user, "evil.example")
    api_client.force_authenticate(invited_user)

    def values(**params):
        rows = api_client.get(LIST, params).json()["results"]
        return sorted((row["incident"], row["value"]) for row in rows)

    assert values(value="EVIL[.]example") == sorted(
        [(incident.reference, "evil.example"), (french.reference, "evil.example")]
    )
    assert values(value="evil", type="url") == [(incident.reference, "http://evil.example/x")]
    assert values(country="fr") == [(french.reference, "evil.example")]
    assert values(incident=french.reference) == [(french.reference, "evil.example")]
    assert values(added_after="2999-01-01T00:00:00Z") == []
    assert api_client.get(LIST, {"type": "bogus"}).status_code == 400


def test_list_queries_do_not_grow_with_rows(
    api_client, lead_user, outsider, add_indicator, django_assert_max_num_queries
):
    api_client.force_authenticate(lead_user)
    mine = make_incident(lead_user, title="Mine")
    theirs = make_incident(outsider, title="Theirs")
    actions.paste_indicators(mine, lead_user, "192.0.2.1")
    actions.paste_indicators(theirs, outsider, "192.0.2.1")
    with CaptureQueriesContext(connection) as few:
        api_client.get(LIST)
    values = "\n".join(f"192.0.2.{i}" for i in range(2, 40))
    actions.paste_indicators(mine, lead_user, values)
    actions.paste_indicators(theirs, outsider, values)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api_client.get(LIST)
    assert all(row["sightings"]["hidden_count"] == 1 for row in response.json()["results"])


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["added_after", "added_before"])
@pytest.mark.parametrize(
    "value",
    ["2026-01-01T00:00:00-22:30", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "soon"],
)
def test_bad_added_timestamps_are_400_with_the_field_named(api_client, lead_user, parameter, value):
    api_client.force_authenticate(lead_user)

    response = api_client.get(LIST, {parameter: value})

    assert response.status_code == 400
    assert parameter in response.json()


def test_added_timestamps_with_an_offset_filter_in_utc_on_postgresql(
    require_postgres, api_client, incident, lead_user, add_indicator
):
    add_indicator(incident, lead_user, "evil.example")
    api_client.force_authenticate(lead_user)

    def count(**params):
        response = api_client.get(LIST, params)
        assert response.status_code == 200
        return len(response.json()["results"])

    assert count(added_after="2000-01-01T00:00:00-10:00") == 1
    assert count(added_before="2000-01-01T00:00:00+13:45") == 0
    assert count(added_before="2999-01-01T00:00:00+05:30") == 1
