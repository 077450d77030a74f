"""Pages kept while the database is unchanged (coordination/page_cache.py).

These tests commit for real (``transaction=True``): inside a test transaction the cache
stands aside, because a transaction's own writes do not move its snapshot.
"""

import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotFound
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import actions as account_actions
from accounts.choices import TokenScope
from coordination import page_cache
from incidents import actions
from incidents.choices import ParticipationRole
from incidents.models import Incident
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _one_minute(require_postgres, monkeypatch):
    """Pages are kept per minute: a test must not straddle two. (Nothing is cleared: the
    cache may share its Redis database with the broker of tests running alongside.)"""
    minute = page_cache.current_minute()
    monkeypatch.setattr(page_cache, "current_minute", lambda: minute)


def browse(client, user):
    """A signed-in browser that already holds its CSRF cookie, as after any first page."""
    client.force_login(user)
    client.get(reverse("incidents:dashboard"))
    assert "csrftoken" in client.cookies
    return client


# Any commit in the PostgreSQL cluster moves the snapshot, and in CI the tests of the other
# worker commit in bursts: a page may be drawn again between two requests. What is
# checked is that, in a quiet moment between two commits, the page is served from the cache.
QUIET_MOMENT_WAIT_SECONDS = 20


def in_a_quiet_moment(attempt):
    """Repeats ``attempt()`` until it returns something, for at most the wait above."""
    deadline = time.monotonic() + QUIET_MOMENT_WAIT_SECONDS
    while time.monotonic() < deadline:
        result = attempt()
        if result is not None:
            return result
        time.sleep(0.02)
    pytest.fail(f"no quiet moment between two commits in {QUIET_MOMENT_WAIT_SECONDS} s")


@pytest.fixture
def served_from_cache():
    """Asks ``url`` again until the answer comes from the cache, reading no data."""

    def check(client, url, **kwargs):
        def attempt():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, **kwargs)
            assert response.status_code == 200
            return response if len(queries) <= 2 else None  # the session user, the snapshot

        return in_a_quiet_moment(attempt)

    return check


def test_a_page_asked_again_is_served_without_reading_the_data_again(
    client, incident, lead_user, served_from_cache
):
    browse(client, lead_user)
    url = reverse("incidents:detail", args=[incident.reference])
    first = client.get(url)
    second = served_from_cache(client, url)
    # Each drawing masks the CSRF token afresh; the rest of the page is the same.
    assert without_csrf_tokens(second) == without_csrf_tokens(first)
    assert second["Content-Type"] == first["Content-Type"]


def without_csrf_tokens(response):
    """The page with each masked CSRF token (64 letters and digits) blanked."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "", response.content.decode())


def test_a_new_timeline_entry_shows_at_once(client, incident, lead_user, served_from_cache):
    browse(client, lead_user)
    url = reverse("incidents:detail", args=[incident.reference])
    client.get(url)
    served_from_cache(client, url)
    actions.add_timeline_entry(incident, lead_user, "Seized the command server")
    assert "Seized the command server" in client.get(url).content.decode()


def test_a_change_made_by_a_bulk_update_shows_at_once(
    client, incident, lead_user, served_from_cache
):
    browse(client, lead_user)
    url = reverse("incidents:list")
    client.get(url)
    assert incident.title in served_from_cache(client, url).content.decode()
    Incident.objects.filter(pk=incident.pk).update(title="Renamed by a bulk update")
    assert "Renamed by a bulk update" in client.get(url).content.decode()


def test_an_agency_removed_from_a_case_loses_it_at_once(
    client, incident, lead_user, invited_user, served_from_cache
):
    browse(client, invited_user)
    url = reverse("incidents:detail", args=[incident.reference])
    client.get(url)
    served_from_cache(client, url)
    participation = incident.participations.get(agency=invited_user.agency)
    actions.remove_participation(participation, lead_user)
    assert client.get(url).status_code == 404
    assert incident.reference not in client.get(reverse("incidents:list")).content.decode()


def test_two_users_of_one_agency_each_get_their_own_page(client, incident, lead_user):
    colleague = UserFactory(agency=lead_user.agency, role=lead_user.role, first_name="Colleague")
    url = reverse("incidents:list")
    browse(client, lead_user)
    mine = client.get(url).content.decode()
    client.logout()
    browse(client, colleague)
    theirs = client.get(url).content.decode()
    assert mine != theirs
    assert "Colleague" in theirs and "Colleague" not in mine


def test_the_page_follows_the_users_language(client, incident, lead_user):
    browse(client, lead_user)
    url = reverse("incidents:list")
    client.get(url)
    type(lead_user).objects.filter(pk=lead_user.pk).update(language="fr")
    assert 'lang="fr"' in client.get(url).content.decode()


def test_htmx_fragments_and_whole_pages_are_kept_apart(
    client, incident, lead_user, served_from_cache
):
    browse(client, lead_user)
    url = reverse("incidents:list")
    htmx = {"HX-Request": "true", "HX-Target": "results"}
    client.get(url)
    client.get(url, headers=htmx)
    assert "<html" in served_from_cache(client, url).content.decode()
    assert "<html" not in served_from_cache(client, url, headers=htmx).content.decode()


def test_a_page_with_a_waiting_message_is_drawn_afresh(client, incident, lead_user):
    browse(client, lead_user)
    url = reverse("incidents:detail", args=[incident.reference])
    client.get(url)
    response = client.post(
        reverse("incidents:timeline_add", args=[incident.reference]),
        {"body": "Posted through the form", "tlp": incident.tlp},
        follow=True,
    )
    assert "Entry added to the timeline." in response.content.decode()
    assert "Entry added to the timeline." not in client.get(url).content.decode()


def test_nothing_is_kept_for_a_browser_without_its_csrf_cookie(rf_user_request):
    request = rf_user_request()
    del request.COOKIES["csrftoken"]
    assert page_cache.page_key(request, request.user) is None
    assert page_cache.page_key(request, request.user, embeds_csrf_token=False) is not None


def test_nothing_is_kept_for_anonymous_users_or_writes(rf_user_request):
    request = rf_user_request()
    assert page_cache.page_key(request, AnonymousUser()) is None
    assert page_cache.page_key(rf_user_request(method="post"), request.user) is None


def test_nothing_is_kept_inside_a_transaction(rf_user_request):
    request = rf_user_request()
    assert page_cache.page_key(request, request.user) is not None
    with transaction.atomic():
        assert page_cache.page_key(request, request.user) is None


def test_nothing_is_kept_when_turned_off(rf_user_request, settings):
    settings.PAGE_CACHE_SECONDS = 0
    request = rf_user_request()
    assert page_cache.page_key(request, request.user) is None


def test_the_key_changes_with_every_commit(rf_user_request):
    request = rf_user_request()

    def same_key_twice():
        key = page_cache.page_key(request, request.user)
        return key if page_cache.page_key(request, request.user) == key else None

    before = in_a_quiet_moment(same_key_twice)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()")  # a transaction that commits
    assert page_cache.page_key(request, request.user) != before


def test_the_key_tells_the_minute(rf_user_request, monkeypatch):
    monkeypatch.setattr(page_cache, "database_snapshot", lambda: "100:100:")
    request = rf_user_request()
    before = page_cache.page_key(request, request.user)
    assert page_cache.page_key(request, request.user) == before
    minute = page_cache.current_minute()
    monkeypatch.setattr(page_cache, "current_minute", lambda: minute + 1)
    assert page_cache.page_key(request, request.user) != before


def test_a_refused_answer_is_not_kept(rf_user_request):
    request = rf_user_request()
    key = page_cache.page_key(request, request.user)
    page_cache.serve(key, lambda: HttpResponseNotFound("gone"))
    assert page_cache.caches[page_cache.CACHE_ALIAS].get(key) is None


@pytest.fixture
def rf_user_request(lead_user):
    def build(method="get"):
        request = getattr(RequestFactory(), method)("/incidents/")
        request.user = lead_user
        request.COOKIES["csrftoken"] = "x" * 32
        request.session = {}
        request._messages = FallbackStorage(request)
        return request

    return build


def test_the_message_storage_is_consulted(rf_user_request):
    request = rf_user_request()
    request.session = {"_messages": [constants.INFO]}
    assert page_cache.page_key(request, request.user) is None


# REST API -----------------------------------------------------------------------------


def test_api_answers_are_kept_per_token_and_revocation_is_immediate(
    incident, lead_user, outsider, served_from_cache
):
    lead_token, lead_key = account_actions.create_api_token(
        lead_user, name="script", scope=TokenScope.READ, days=30
    )
    _token, outsider_key = account_actions.create_api_token(
        outsider, name="script", scope=TokenScope.READ, days=30
    )
    url = reverse("incidents-api:incident-list")
    lead, stranger = APIClient(), APIClient()
    lead.credentials(HTTP_AUTHORIZATION=f"Token {lead_key}")
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {outsider_key}")

    first = lead.get(url)
    again = served_from_cache(lead, url)
    assert again.content == first.content
    assert again["Content-Type"].startswith("application/json")
    assert incident.reference in again.content.decode()
    assert incident.reference not in stranger.get(url).content.decode()

    account_actions.revoke_api_token(lead_token, by=lead_user)
    assert lead.get(url).status_code == 401


def test_api_detail_shows_a_change_at_once(incident, lead_user, served_from_cache):
    client = APIClient()
    client.force_login(lead_user)
    url = reverse("incidents-api:incident-detail", args=[incident.reference])
    client.get(url)
    assert served_from_cache(client, url).json()["title"] == incident.title
    Incident.objects.filter(pk=incident.pk).update(title="Renamed after the first read")
    assert client.get(url).json()["title"] == "Renamed after the first read"


def test_api_participants_change_is_seen_by_the_removed_agency(incident, lead_user, invited_user):
    client = APIClient()
    client.force_login(invited_user)
    url = reverse("incidents-api:incident-detail", args=[incident.reference])
    assert client.get(url).status_code == 200
    actions.remove_participation(
        incident.participations.get(role=ParticipationRole.CONTRIBUTOR), lead_user
    )
    assert client.get(url).status_code == 404


def test_a_page_drawn_with_the_cache_on_reads_no_more_than_its_budget(
    client, incident, lead_user, django_assert_max_num_queries
):
    browse(client, lead_user)
    for url in (
        reverse("incidents:dashboard"),
        reverse("incidents:list"),
        reverse("incidents:detail", args=[incident.reference]),
    ):
        # The snapshot is one more query than the page itself reads; the incident page
        # reads its tags and, for who may tag, the agency's tag suggestions too.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # nothing kept can be served
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200


def test_an_unreachable_cache_only_means_pages_are_drawn(rf_user_request, settings, caplog):
    settings.CACHES = {
        **settings.CACHES,
        page_cache.CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    request = rf_user_request()
    key = page_cache.page_key(request, request.user)
    assert page_cache.serve(key, lambda: HttpResponse("drawn")).content == b"drawn"
    assert "page cache unreachable" in caplog.text
