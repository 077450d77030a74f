"""Every incident endpoint × every persona: the status code each one gets.

Personas: the lead agency's investigator, the contributor agency's investigator, an
observer agency's investigator, an outsider and an anonymous caller. Not visible
answers 404; visible but not allowed answers 403; anonymous answers 401.
"""

import pytest

from accounts.choices import Role
from incidents import actions
from incidents.choices import ParticipationRole
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("lead", "contributor", "observer", "outsider", "anonymous")


@pytest.fixture
def observer_agency(db):
    return AgencyFactory(name="Polizia Postale", short_name="POLPOST", country="IT")


@pytest.fixture
def observer(observer_agency, incident, lead_user):
    actions.share_incident(incident, observer_agency, ParticipationRole.OBSERVER, lead_user)
    return UserFactory(username="oscar", agency=observer_agency, role=Role.INVESTIGATOR)


@pytest.fixture
def caller(request, api_client, lead_user, invited_user, observer, outsider):
    """``caller(persona)``: the API client signed in as that persona (or anonymous)."""
    users = {
        "lead": lead_user,
        "contributor": invited_user,
        "observer": observer,
        "outsider": outsider,
        "anonymous": None,
    }

    def _caller(persona):
        if users[persona] is not None:
            api_client.force_authenticate(users[persona])
        return api_client

    return _caller


def expect(lead, contributor, observer, outsider, anonymous=401):
    return dict(zip(PERSONAS, (lead, contributor, observer, outsider, anonymous), strict=True))


# (method, path template, body, expected status by persona)
MATRIX = {
    "incident list": ("get", "/api/v1/incidents/", None, expect(200, 200, 200, 200)),
    "incident create": (
        "post",
        "/api/v1/incidents/",
        {"title": "Phishing wave against a ministry", "severity": "medium"},
        expect(201, 201, 201, 201),
    ),
    "incident detail": ("get", "/api/v1/incidents/{ref}/", None, expect(200, 200, 200, 404)),
    "incident patch": (
        "patch",
        "/api/v1/incidents/{ref}/",
        {"severity": "critical"},
        expect(200, 403, 403, 404),
    ),
    "incident put": (
        "put",
        "/api/v1/incidents/{ref}/",
        {"title": "Ransomware attack on two hospitals"},
        expect(200, 403, 403, 404),
    ),
    "incident delete": ("delete", "/api/v1/incidents/{ref}/", None, expect(405, 405, 405, 405)),
    "incident status": (
        "post",
        "/api/v1/incidents/{ref}/status/",
        {"status": "investigating"},
        expect(200, 403, 403, 404),
    ),
    "timeline list": ("get", "/api/v1/incidents/{ref}/timeline/", None, expect(200, 200, 200, 404)),
    "timeline add": (
        "post",
        "/api/v1/incidents/{ref}/timeline/",
        {"body": "Leak site lists the hospital."},
        expect(201, 201, 403, 404),
    ),
    "timeline entry": (
        "get",
        "/api/v1/incidents/{ref}/timeline/{entry}/",
        None,
        expect(200, 200, 200, 404),
    ),
    "timeline entry patch": (
        "patch",
        "/api/v1/incidents/{ref}/timeline/{entry}/",
        {"body": "rewritten"},
        expect(405, 405, 405, 405),
    ),
    "timeline entry delete": (
        "delete",
        "/api/v1/incidents/{ref}/timeline/{entry}/",
        None,
        expect(405, 405, 405, 405),
    ),
    "participants list": (
        "get",
        "/api/v1/incidents/{ref}/participants/",
        None,
        expect(200, 200, 200, 404),
    ),
    "participant add": (
        "post",
        "/api/v1/incidents/{ref}/participants/",
        {"agency": "{new_agency}", "role": "observer"},
        expect(201, 403, 403, 404),
    ),
    "participant detail": (
        "get",
        "/api/v1/incidents/{ref}/participants/{invited}/",
        None,
        expect(200, 200, 200, 404),
    ),
    "participant role": (
        "patch",
        "/api/v1/incidents/{ref}/participants/{invited}/",
        {"role": "observer"},
        expect(200, 403, 403, 404),
    ),
    "participant remove": (
        "delete",
        "/api/v1/incidents/{ref}/participants/{invited}/",
        None,
        expect(204, 403, 403, 404),
    ),
    "agency list": ("get", "/api/v1/agencies/", None, expect(200, 200, 200, 200)),
    "agency detail": ("get", "/api/v1/agencies/{invited}/", None, expect(200, 200, 200, 200)),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_endpoint_answers_each_persona(
    endpoint, persona, caller, incident, invited_agency, lead_user
):
    # Given an incident led by BKA, shared with OFAC (contributor) and POLPOST (observer)
    method, template, body, expected = MATRIX[endpoint]
    entry = incident.timeline.first()
    new_agency = AgencyFactory(short_name="NCSC-NL", country="NL")
    values = {
        "ref": incident.reference,
        "entry": entry.pk,
        "invited": invited_agency.pk,
        "new_agency": new_agency.pk,
    }
    path = template.format(**values)
    if body is not None:
        body = {
            key: (int(value.format(**values)) if value == "{new_agency}" else value)
            for key, value in body.items()
        }

    # When the persona calls the endpoint
    response = getattr(caller(persona), method)(path, body, format="json")

    # Then it answers the expected status, and a hidden incident says nothing about itself
    assert response.status_code == expected[persona], response.content
    if response.status_code == 404:
        assert incident.reference not in response.content.decode()
        assert incident.title not in response.content.decode()


def test_anonymous_caller_is_challenged_for_a_token(api_client, incident):
    response = api_client.get(f"/api/v1/incidents/{incident.reference}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_liaison_officer_of_the_lead_agency_sees_but_cannot_edit(api_login, incident, lead_agency):
    # Given a liaison officer: their role does not allow changing incidents
    liaison = UserFactory(agency=lead_agency, role=Role.LIAISON_OFFICER)
    client = api_login(liaison)

    assert client.get(f"/api/v1/incidents/{incident.reference}/").status_code == 200
    response = client.patch(
        f"/api/v1/incidents/{incident.reference}/", {"severity": "low"}, format="json"
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.severity != "low"


def test_removed_agency_loses_the_incident_at_once(api_login, incident, lead_user, invited_user):
    # Given the lead removes the contributor agency
    path = f"/api/v1/incidents/{incident.reference}/"
    response = api_login(lead_user).delete(
        f"{path}participants/{invited_user.agency_id}/?reason=Out+of+scope"
    )
    assert response.status_code == 204

    # Then the contributor's next call finds nothing
    client = api_login(invited_user)
    assert client.get(path).status_code == 404
    assert client.get(f"{path}timeline/").status_code == 404
    assert client.get("/api/v1/incidents/").json()["count"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/incidents/",
        "/api/v1/incidents/{ref}/",
        "/api/v1/incidents/{ref}/timeline/",
        "/api/v1/incidents/{ref}/participants/",
        "/api/v1/agencies/",
    ],
)
def test_browsable_api_and_options_answer(api_login, lead_user, incident, path):
    client = api_login(lead_user)
    path = path.format(ref=incident.reference)
    assert client.get(path, HTTP_ACCEPT="text/html").status_code == 200
    assert client.options(path).status_code == 200


@pytest.mark.parametrize("suffix", ["", "timeline/", "participants/"])
def test_options_tells_an_outsider_nothing(api_login, outsider, incident, suffix):
    client = api_login(outsider)
    hidden = client.options(f"/api/v1/incidents/{incident.reference}/{suffix}")
    missing = client.options(f"/api/v1/incidents/CC-1999-000001/{suffix}")
    assert hidden.status_code == missing.status_code
    assert hidden.json() == missing.json()
