"""Every evidence page and endpoint × the four personas: the status code each one gets.

Lead agency investigator (holds the item), invited contributor, outsider, anonymous.
Not visible answers 404; visible but not allowed answers 403 (or 409 for a custody step
the caller may not record now); anonymous is sent to sign in (pages) or gets 401 (API).
"""

import pytest

from accounts.choices import Role
from incidents import actions as incident_actions
from incidents.choices import ParticipationRole
from tests.evidence.conftest import evidence_fields, upload_of
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("lead", "invited", "outsider", "anonymous")


def expect(lead, invited, outsider, anonymous):
    return dict(zip(PERSONAS, (lead, invited, outsider, anonymous), strict=True))


@pytest.fixture
def item(incident, lead_user, make_evidence):
    return make_evidence(incident, lead_user, upload=upload_of())


@pytest.fixture
def users(lead_user, invited_user, outsider):
    return {"lead": lead_user, "invited": invited_user, "outsider": outsider, "anonymous": None}


PAGES = {
    "evidence list": ("get", "/evidence/", expect(200, 200, 200, 302)),
    "incident evidence": ("get", "/incidents/{inc}/evidence/", expect(200, 200, 404, 302)),
    "incident panel": ("get", "/incidents/{inc}/evidence/panel/", expect(200, 200, 404, 302)),
    "log evidence form": ("get", "/incidents/{inc}/evidence/new/", expect(200, 200, 404, 302)),
    "evidence detail": ("get", "/evidence/{ev}/", expect(200, 200, 404, 302)),
    "custody step form": ("get", "/evidence/{ev}/custody/analysed/", expect(200, 409, 404, 302)),
    "verify chain": ("post", "/evidence/{ev}/verify/", expect(200, 200, 404, 302)),
    "report": ("get", "/evidence/{ev}/report/", expect(200, 200, 404, 302)),
    "report pdf": ("get", "/evidence/{ev}/report.pdf", expect(200, 200, 404, 302)),
    "download": ("post", "/evidence/{ev}/download/", expect(200, 200, 404, 302)),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(PAGES))
def test_pages_answer_each_persona(client, users, incident, item, name, persona):
    method, template, expected = PAGES[name]
    if users[persona] is not None:
        client.force_login(users[persona])
    path = template.format(inc=incident.reference, ev=item.reference)
    response = getattr(client, method)(path)
    assert response.status_code == expected[persona], (name, persona)
    if expected[persona] == 302:
        assert "/accounts/login/" in response["Location"]


API = {
    "evidence list": ("get", "/api/v1/evidence/", None, expect(200, 200, 200, 401)),
    "evidence create": ("post", "/api/v1/evidence/", "create", expect(201, 201, 400, 401)),
    "evidence detail": ("get", "/api/v1/evidence/{ev}/", None, expect(200, 200, 404, 401)),
    "custody list": ("get", "/api/v1/evidence/{ev}/custody/", None, expect(200, 200, 404, 401)),
    "custody append": (
        "post",
        "/api/v1/evidence/{ev}/custody/",
        {"action": "analysed", "purpose": "Triage"},
        expect(201, 409, 404, 401),
    ),
    "custody verify": (
        "get",
        "/api/v1/evidence/{ev}/custody/verify/",
        None,
        expect(200, 200, 404, 401),
    ),
    "file download": (
        "post",
        "/api/v1/evidence/{ev}/file/",
        {"purpose": "Triage"},
        expect(200, 200, 404, 401),
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", list(API))
def test_endpoints_answer_each_persona(api_client, users, incident, item, name, persona):
    method, template, body, expected = API[name]
    if users[persona] is not None:
        api_client.force_authenticate(users[persona])
    if body == "create":
        fields = evidence_fields()
        body = {
            **{k: v for k, v in fields.items() if k != "acquired_at"},
            "acquired_at": fields["acquired_at"].isoformat(),
            "incident": incident.reference,
        }
    path = template.format(ev=item.reference)
    response = getattr(api_client, method)(path, body, format="json")
    assert response.status_code == expected[persona], (name, persona, response.content[:300])


def test_outsider_list_shows_none_of_the_case_items(api_login, outsider, item, client):
    assert api_login(outsider).get("/api/v1/evidence/").json()["results"] == []
    client.force_login(outsider)
    assert item.reference not in client.get("/evidence/").content.decode()


def test_observer_sees_the_item_but_may_not_log(client, api_login, incident, item, lead_user):
    observer_agency = AgencyFactory(country="NL", short_name="NHTCU")
    incident_actions.share_incident(
        incident, observer_agency, ParticipationRole.OBSERVER, lead_user
    )
    observer = UserFactory(agency=observer_agency, role=Role.INVESTIGATOR)
    client.force_login(observer)
    assert client.get(f"/evidence/{item.reference}/").status_code == 200
    assert client.get(f"/incidents/{incident.reference}/evidence/new/").status_code == 403
    assert client.get(f"/evidence/{item.reference}/custody/analysed/").status_code == 403
    response = api_login(observer).post(
        f"/api/v1/evidence/{item.reference}/custody/",
        {"action": "analysed", "purpose": "x"},
        format="json",
    )
    assert response.status_code == 403
