"""Issue #13, finding 3: only a deliberate request writes an access into the chain of custody.

A download records an ``accessed`` custody step in the caller's name with a purpose. A
GET link (made by anyone, followed from anywhere) must not do that: the download is a
POST, with the CSRF token for a browser session, or a call authenticated by token.
"""

import hashlib

import pytest
from django.test import Client
from rest_framework.test import APIClient

from coordination.audit import recorder
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from incidents.evidence.choices import CustodyAction
from tests.evidence.conftest import CONTENT_SHA256, upload_of

pytestmark = pytest.mark.django_db

PLANTED = "Handed to the defence (link sent by mail)"


@pytest.fixture
def item(incident, lead_user, make_evidence):
    return make_evidence(incident, lead_user, upload=upload_of())


def downloads(item):
    recorder.flush()
    return list(
        AuditRecord.objects.filter(action=AuditAction.DOWNLOADED, object_ref=item.reference)
        .order_by("pk")
        .values_list("actor_id", "justification")
    )


def steps(item):
    return list(item.custody.order_by("seq").values_list("action", "purpose"))


def browser(user):
    """A signed-in browser whose CSRF protection is on, as in real life."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token(client, item):
    client.get(f"/evidence/{item.reference}/")
    return client.cookies["csrftoken"].value


def token_client(user):
    client = APIClient()
    from accounts.actions import create_api_token
    from accounts.choices import TokenScope

    _token, key = create_api_token(user, name="tool", scope=TokenScope.READ_WRITE, days=30)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# The API -----------------------------------------------------------------------------


def test_api_link_with_a_purpose_writes_nothing_and_answers_405(invited_user, item):
    before = steps(item)
    response = browser(invited_user).get(
        f"/api/v1/evidence/{item.reference}/file/", {"purpose": PLANTED}
    )
    assert response.status_code == 405
    assert "POST" in response.json()["detail"] and "chain of custody" in response.json()["detail"]
    assert "POST" in response["Allow"] and "GET" not in response["Allow"]
    assert steps(item) == before
    assert downloads(item) == []


def test_api_link_followed_by_a_token_holder_writes_nothing(invited_user, item):
    before = steps(item)
    response = token_client(invited_user).get(f"/api/v1/evidence/{item.reference}/file/?purpose=x")
    assert response.status_code == 405
    assert steps(item) == before


def test_api_post_from_another_site_without_csrf_token_is_refused(invited_user, item):
    before = steps(item)
    response = browser(invited_user).post(
        f"/api/v1/evidence/{item.reference}/file/", {"purpose": PLANTED}
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert steps(item) == before


def test_api_post_with_session_and_csrf_token_downloads_and_records_the_purpose(invited_user, item):
    client = browser(invited_user)
    response = client.post(
        f"/api/v1/evidence/{item.reference}/file/",
        {"purpose": "Malware analysis"},
        HTTP_X_CSRFTOKEN=csrf_token(client, item),
    )
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == CONTENT_SHA256
    assert steps(item)[-1] == (CustodyAction.ACCESSED, "Malware analysis")
    assert item.custody.order_by("-seq").first().recorded_by == invited_user
    assert downloads(item) == [(invited_user.pk, "Malware analysis")]


def test_api_post_with_a_token_needs_no_csrf_token(invited_user, item):
    response = token_client(invited_user).post(
        f"/api/v1/evidence/{item.reference}/file/", {"purpose": "Sandbox run"}, format="json"
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert steps(item)[-1] == (CustodyAction.ACCESSED, "Sandbox run")


def test_api_purpose_too_long_is_a_400_and_records_nothing(invited_user, item):
    before = steps(item)
    response = token_client(invited_user).post(
        f"/api/v1/evidence/{item.reference}/file/", {"purpose": "x" * 501}, format="json"
    )
    assert response.status_code == 400 and "purpose" in response.json()
    assert steps(item) == before


# The pages ---------------------------------------------------------------------------


def test_page_link_writes_nothing_and_answers_405_with_a_message(invited_user, item):
    before = steps(item)
    response = browser(invited_user).get(
        f"/evidence/{item.reference}/download/", {"purpose": PLANTED}
    )
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "chain of custody" in response.content.decode()
    assert steps(item) == before
    assert downloads(item) == []


def test_page_post_from_another_site_is_refused(invited_user, item):
    before = steps(item)
    response = browser(invited_user).post(
        f"/evidence/{item.reference}/download/", {"purpose": PLANTED}
    )
    assert response.status_code == 403
    assert steps(item) == before


def test_download_button_is_a_form_posting_the_purpose(invited_user, item):
    client = browser(invited_user)
    html = client.get(f"/evidence/{item.reference}/").content.decode()
    form = html.split('class="ev-download"')[0].rsplit("<form", 1)[1]
    assert 'method="post"' in form and f"/evidence/{item.reference}/download/" in form
    assert 'name="purpose"' in html.split('class="ev-download"')[1].split("</form>")[0]
    response = client.post(
        f"/evidence/{item.reference}/download/",
        {"purpose": "Copy for the court file", "csrfmiddlewaretoken": csrf_token(client, item)},
    )
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert steps(item)[-1] == (CustodyAction.ACCESSED, "Copy for the court file")
    assert downloads(item) == [(invited_user.pk, "Copy for the court file")]


def test_page_purpose_too_long_shows_the_error_beside_the_field(invited_user, item):
    client = browser(invited_user)
    before = steps(item)
    response = client.post(
        f"/evidence/{item.reference}/download/",
        {"purpose": "x" * 501, "csrfmiddlewaretoken": csrf_token(client, item)},
    )
    assert response.status_code == 400
    assert 'id="download_purpose_error"' in response.content.decode()
    assert steps(item) == before
