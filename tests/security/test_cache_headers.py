"""Issue #13, finding 10: nothing private stays in a browser's or a proxy's cache."""

import base64

import pytest
from django.urls import reverse

from incidents.evidence import actions as evidence_actions
from tests.evidence.conftest import evidence_fields, upload_of

pytestmark = pytest.mark.django_db


def no_store(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives and "public" not in directives


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/incidents/",
        "/notifications/",
        "/notifications/bell/",
        "/accounts/profile/",
        "/api/v1/incidents/",
    ],
)
def test_signed_in_pages_are_not_stored(login, lead_user, incident, url):
    response = login(lead_user).get(url)
    assert response.status_code == 200
    assert no_store(response)


def test_incident_page_and_its_exports_are_not_stored(login, lead_user, incident):
    client = login(lead_user)
    for url in (incident.get_absolute_url(), f"/api/v1/incidents/{incident.reference}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), url


def test_evidence_download_and_custody_pdf_are_not_stored(login, lead_user, incident):
    item = evidence_actions.create_evidence(
        incident, lead_user, upload=upload_of(), **evidence_fields(sha256="")
    )
    client = login(lead_user)
    download = client.post(
        reverse("evidence:download", args=[item.reference]), {"purpose": "Court copy"}
    )
    assert download.status_code == 200
    assert no_store(download)
    b"".join(download.streaming_content)
    pdf = client.get(reverse("evidence:report_pdf", args=[item.reference]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert no_store(pdf)


def test_tool_answers_with_credentials_are_not_stored(client, lead_user):
    lead_user.set_password("correct horse battery")
    lead_user.save()
    credentials = base64.b64encode(b"lena:correct horse battery").decode()
    response = client.get("/taxii2/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 200
    assert no_store(response)


def test_api_answers_to_an_authenticated_tool_are_not_stored(api_login, lead_user, incident):
    response = api_login(lead_user).get("/api/v1/incidents/")
    assert response.status_code == 200
    assert no_store(response)


def test_sign_in_answer_that_sets_the_session_cookie_is_not_stored(client, lead_user):
    lead_user.set_password("correct horse battery")
    lead_user.save()
    response = client.post(
        "/accounts/login/", {"username": "lena", "password": "correct horse battery"}
    )
    assert response.status_code == 302 and "sessionid" in response.cookies
    assert no_store(response)


def test_static_files_stay_cacheable_for_a_signed_in_browser(login, lead_user):
    static = login(lead_user).get("/static/css/concord.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
