"""Request API: authorisation matrix, drafting, one POST per transition, history."""

import json

import pytest

from coordination.assistance.choices import LegalBasis, Status
from coordination.assistance.models import AssistanceRequest
from coordination.assistance.transitions import transition_request
from tests.assistance.conftest import complete_fields
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

LIST = "/api/v1/requests/"


def detail(req):
    return f"{LIST}{req.reference}/"


@pytest.fixture
def personas(lead_user, de_liaison, nl_liaison, outsider, invited_user):
    return {
        "requesting_investigator": lead_user,
        "requesting_liaison": de_liaison,
        "requested_liaison": nl_liaison,
        "third_country": outsider,
        "incident_participant": invited_user,
    }


@pytest.fixture
def shared_incident(lead_user, invited_agency):
    from incidents.choices import ParticipationRole

    return make_incident(lead_user, shared_with=[(invited_agency, ParticipationRole.OBSERVER)])


# Who sees a request, by its status (True: 200, False: 404).
VISIBILITY = {
    "draft": {
        "requesting_investigator": True,
        "requesting_liaison": True,
        "requested_liaison": False,
        "third_country": False,
        "incident_participant": False,
    },
    "sent": {
        "requesting_investigator": True,
        "requesting_liaison": True,
        "requested_liaison": True,
        "third_country": False,
        "incident_participant": True,
    },
}


@pytest.mark.parametrize("state", ["draft", "sent"])
@pytest.mark.parametrize(
    "persona",
    [
        "requesting_investigator",
        "requesting_liaison",
        "requested_liaison",
        "third_country",
        "incident_participant",
    ],
)
def test_who_sees_a_request(
    api_login, personas, make_request, lead_user, approve, shared_incident, state, persona
):
    req = make_request(LegalBasis.EIO, incident=shared_incident)
    if state == "sent":
        transition_request(req, "submit", lead_user)
        approve(req)
    client = api_login(personas[persona])
    visible = VISIBILITY[state][persona]
    assert client.get(detail(req)).status_code == (200 if visible else 404)
    listed = [r["reference"] for r in client.get(LIST).json()["results"]]
    assert (req.reference in listed) is visible
    assert client.get(f"{detail(req)}history/").status_code == (200 if visible else 404)


def test_anonymous_gets_401_everywhere(api_client, make_request):
    req = make_request(LegalBasis.EIO)
    for url in (LIST, detail(req), f"{detail(req)}history/"):
        assert api_client.get(url).status_code == 401
    assert api_client.post(f"{detail(req)}submit/", {}).status_code == 401


def test_requested_side_sees_the_request_but_not_the_incident(
    api_login, sent_request, nl_liaison, lead_user
):
    incident = make_incident(lead_user)
    req = sent_request(LegalBasis.EIO, incident=incident)
    client = api_login(nl_liaison)
    body = client.get(detail(req)).json()
    # The case is the requesting agency's: not even its reference reaches the other side.
    assert body["incident"] is None
    assert incident.reference not in json.dumps(body)
    assert client.get(LIST, {"incident": incident.reference}).json()["count"] == 0
    assert client.get(f"/api/v1/incidents/{incident.reference}/").status_code == 404
    assert api_login(lead_user).get(detail(req)).json()["incident"] == incident.reference


def test_create_draft_from_an_incident_and_read_it_back(api_login, lead_user, nl_agency):
    incident = make_incident(lead_user)
    payload = complete_fields(LegalBasis.EIO, receiving_agency=nl_agency.pk)
    payload["incident"] = incident.reference
    payload["data_sought"] = [
        {
            "kind": "ip_time",
            "value": "203.0.113.7",
            "observed_at": "2026-02-27T23:14:00Z",
            "provider": "Example Hosting",
        }
    ]
    response = api_login(lead_user).post(LIST, payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("MLA-")
    assert body["status"] == "draft"
    assert body["incident"] == incident.reference
    assert body["data_sought"][0]["observed_at"] == "2026-02-27T23:14:00Z"
    assert body["allowed_actions"] == ["submit", "withdraw"]
    assert response["Location"].endswith(f"/api/v1/requests/{body['reference']}/")


def test_create_with_bad_input_answers_400_with_field_messages_and_stores_nothing(
    api_login, lead_user, nl_agency
):
    payload = complete_fields(LegalBasis.EIO, receiving_agency=nl_agency.pk)
    payload |= {"legal_basis": "magic", "measures": ["telepathy"], "requested_country": "XX"}
    response = api_login(lead_user).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert {"legal_basis", "measures", "requested_country"} <= set(response.json())
    assert not AssistanceRequest.objects.exists()


def test_create_for_an_incident_the_caller_cannot_see_is_refused(
    api_login, outsider, lead_user, nl_agency
):
    incident = make_incident(lead_user)
    payload = complete_fields(LegalBasis.EIO, receiving_agency=nl_agency.pk)
    payload["incident"] = incident.reference
    response = api_login(outsider).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert "incident" in response.json()


def test_receiving_agency_must_be_in_the_requested_country(api_login, lead_user, other_agency):
    payload = complete_fields(LegalBasis.EIO, receiving_agency=other_agency.pk)
    response = api_login(lead_user).post(LIST, payload, format="json")
    assert response.status_code == 400
    assert "receiving_agency" in response.json()


def test_update_while_draft_then_frozen(api_login, make_request, lead_user, de_liaison):
    req = make_request(LegalBasis.EIO)
    client = api_login(lead_user)
    response = client.patch(detail(req), {"facts": "New facts."}, format="json")
    assert response.status_code == 200
    assert response.json()["facts"] == "New facts."
    req.refresh_from_db()
    transition_request(req, "submit", lead_user)
    assert client.patch(detail(req), {"facts": "Later."}, format="json").status_code == 403


def test_update_by_the_requested_side_is_403_and_by_a_stranger_404(
    api_login, sent_request, nl_liaison, outsider
):
    req = sent_request(LegalBasis.EIO)
    assert (
        api_login(nl_liaison).patch(detail(req), {"facts": "x"}, format="json").status_code == 403
    )
    assert api_login(outsider).patch(detail(req), {"facts": "x"}, format="json").status_code == 404


def test_transition_endpoints_follow_the_state_machine(
    api_login, make_request, lead_user, de_liaison, de_prosecutor, nl_liaison
):
    req = make_request(LegalBasis.EIO)
    assert (
        api_login(lead_user).post(f"{detail(req)}submit/", {}).json()["status"]
        == "pending_approval"
    )
    # An EIO of a police unit is validated by a prosecutor, not its liaison officer.
    assert api_login(de_liaison).post(f"{detail(req)}approve/", {}).status_code == 403
    response = api_login(de_prosecutor).post(
        f"{detail(req)}approve/", {"confirm_addressee": True}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "sent"
    assert body["due_kind"] == "acknowledge"
    ack = next(d for d in body["deadlines"] if d["kind"] == "acknowledge")
    assert ack["is_law"] is True and "2014/41/EU" in ack["source"]
    client = api_login(nl_liaison)
    assert client.post(f"{detail(req)}acknowledge/", {}).json()["status"] == "received"
    response = client.post(f"{detail(req)}ask_information/", {"comment": ""})
    assert response.status_code == 400
    assert "comment" in response.json()
    response = client.post(f"{detail(req)}ask_information/", {"comment": "Which account?"})
    assert response.json()["status"] == "awaiting_information"
    history = api_login(lead_user).get(f"{detail(req)}history/").json()["results"]
    assert [h["action"] for h in history] == ["submit", "approve", "acknowledge", "ask_information"]
    assert history[-1]["comment"] == "Which account?"


def test_drafter_approving_own_request_gets_403(api_login, make_request, de_liaison):
    req = make_request(LegalBasis.BUDAPEST_MLA, by=de_liaison)
    client = api_login(de_liaison)
    client.post(f"{detail(req)}submit/", {})
    response = client.post(f"{detail(req)}approve/", {})
    assert response.status_code == 403
    assert "Four eyes" in response.json()["detail"]


def test_illegal_transition_answers_409_with_allowed_actions(api_login, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    response = api_login(nl_liaison).post(f"{detail(req)}accept/", {})
    assert response.status_code == 409
    assert response.json()["allowed"] == ["acknowledge"]


def test_wrong_side_gets_403_invisible_gets_404(api_login, sent_request, de_liaison, outsider):
    req = sent_request(LegalBasis.EIO)
    assert api_login(de_liaison).post(f"{detail(req)}acknowledge/", {}).status_code == 403
    assert api_login(outsider).post(f"{detail(req)}acknowledge/", {}).status_code == 404


def test_unknown_action_is_404(api_login, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    assert api_login(nl_liaison).post(f"{detail(req)}explode/", {}).status_code == 404


def test_forward_and_link_follow_up_through_the_api(
    api_login, sent_request, nl_liaison, nl_prosecutor, nl_om_liaison, lead_user
):
    req = sent_request(LegalBasis.BUDAPEST_PRESERVATION)
    client = api_login(nl_liaison)
    client.post(f"{detail(req)}acknowledge/", {})
    response = client.post(f"{detail(req)}forward/", {"agency": nl_prosecutor.pk})
    assert response.status_code == 200
    assert response.json()["executing_agency"]["short_name"] == "NL-OM"
    api_login(nl_om_liaison).post(f"{detail(req)}confirm_preservation/", {})
    follow_up = sent_request(LegalBasis.BUDAPEST_MLA)
    response = api_login(lead_user).post(
        f"{detail(req)}link_follow_up/", {"follow_up": follow_up.reference}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.HELD
    assert response.json()["follow_up"] == follow_up.reference
    assert response.json()["preserved_until"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("direction=out", {"out_eio", "out_epoc"}),
        ("direction=in", {"incoming"}),
        ("legal_basis=epoc", {"out_epoc"}),
        ("urgency=emergency", {"out_epoc"}),
        ("status=sent", {"out_eio", "incoming"}),
        ("status=received", {"out_epoc"}),  # the provider's receipt is recorded
        ("overdue=true", {"out_epoc"}),
        ("country=NL", {"out_eio", "out_epoc", "incoming"}),
    ],
)
def test_list_filters(
    api_login, frozen, sent_request, de_liaison, nl_liaison, nl_agency, lead_agency, query, expected
):
    from datetime import timedelta

    from coordination.assistance import actions
    from tests.factories import UserFactory

    names = {}
    names["out_eio"] = sent_request(LegalBasis.EIO).reference
    epoc = sent_request(LegalBasis.EPOC, urgency="emergency", urgency_reason="Threat to life.")
    transition_request(epoc, "record_receipt", de_liaison)  # the provider's clock starts
    names["out_epoc"] = epoc.reference
    nl_drafter = UserFactory(agency=nl_agency)
    nl_liaison_2 = UserFactory(agency=nl_agency, role="liaison_officer")
    incoming = actions.create_request(
        nl_drafter,
        data_sought=[{"kind": "domain", "value": "x.example", "provider": "Registrar"}],
        **complete_fields(LegalBasis.POLICE, requested_country="DE", receiving_agency=lead_agency),
    )
    transition_request(incoming, "submit", nl_drafter)
    transition_request(incoming, "approve", nl_liaison_2)
    names["incoming"] = incoming.reference
    frozen.shift(timedelta(hours=9))  # past the 8-hour emergency clock only
    results = api_login(de_liaison).get(f"{LIST}?{query}").json()["results"]
    reverse = {v: k for k, v in names.items()}
    assert {reverse[r["reference"]] for r in results} == expected


def test_list_query_count_is_constant(
    api_login, sent_request, de_liaison, django_assert_max_num_queries
):
    for _ in range(3):
        sent_request(LegalBasis.EIO)
    client = api_login(de_liaison)
    with django_assert_max_num_queries(6):
        assert client.get(LIST).status_code == 200
    for _ in range(5):
        sent_request(LegalBasis.EPOC)
    with django_assert_max_num_queries(6):
        assert len(client.get(LIST).json()["results"]) == 8


def test_schema_lists_the_request_endpoints_with_examples(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/requests/",
        "/api/v1/requests/{reference}/",
        "/api/v1/requests/{reference}/{action_name}/",
        "/api/v1/requests/{reference}/history/",
    ):
        assert path in schema["paths"], path
    action_op = schema["paths"]["/api/v1/requests/{reference}/{action_name}/"]["post"]
    assert action_op["requestBody"]["content"]["application/json"]["examples"]
    assert "409" in action_op["responses"]


def test_history_hides_internal_steps_from_the_requested_side(
    api_login, make_request, lead_user, approve, nl_liaison
):
    req = make_request(LegalBasis.EIO)
    transition_request(req, "submit", lead_user)
    approve(req, comment="Internal note.")
    rows = api_login(nl_liaison).get(f"{detail(req)}history/").json()["results"]
    assert [r["action"] for r in rows] == ["approve"]
    assert rows[0]["comment"] == ""


def test_api_deadlines_say_who_acts_how_they_count_and_what_questions_do(
    frozen, api_login, sent_request, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    body = api_login(nl_liaison).get(detail(req)).json()
    decide = next(d for d in body["deadlines"] if d["kind"] == "decide")
    assert decide["state"] == "running"
    assert decide["party"] == "requested"
    assert decide["counting"] == "eu_days"
    assert decide["zone"] == "Europe/Amsterdam"
    assert decide["information_rule"] == "keeps running during questions"
    assert decide["information_is_law"] is True
    assert decide["due_at"] == decide["legal_due_at"]
    assert "1182/71" in decide["counting_source"]


def test_api_extension_of_an_eio_needs_the_estimate(frozen, api_login, sent_request, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    client = api_login(nl_liaison)
    response = client.post(f"{detail(req)}extend/", {"comment": "Review."}, format="json")
    assert response.status_code == 400
    assert "estimate" in response.json()
    due = next(d for d in client.get(detail(req)).json()["deadlines"] if d["kind"] == "decide")
    response = client.post(
        f"{detail(req)}extend/",
        {"comment": "Review by the court.", "estimate": "2026-04-20T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    after = next(d for d in response.json()["deadlines"] if d["kind"] == "decide")
    assert after["due_at"] == "2026-04-20T10:00:00Z"
    assert after["legal_due_at"] == due["due_at"]
    assert after["extended"] is True
