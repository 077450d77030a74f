"""The pieces of the password throttle: client address, usernames, history purge."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.urls import reverse
from django.utils import timezone

from accounts import tasks, throttle

PROXY = "10.0.0.2"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "192.0.2.1"),
        (0, "203.0.113.9", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # Fewer entries than proxies: the first one, written by a trusted proxy.
        (3, "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (1, "2001:DB8::1", "2001:db8::1"),
        (1, "garbage", "192.0.2.1"),
    ],
)
def test_client_address_reads_only_what_trusted_proxies_wrote(
    rf, settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": "192.0.2.1"}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert throttle.client_address(rf.get("/", **meta)) == expected


def test_an_ipv6_client_is_counted_by_its_network(rf):
    request = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa:bbbb:cccc:dddd")
    assert throttle.throttle_address(request) == "2001:db8:1:2::"
    assert throttle.throttle_address(rf.get("/", REMOTE_ADDR="192.0.2.1")) == "192.0.2.1"


def test_an_attempted_username_fits_the_counters_columns(rf):
    request = rf.post("/")
    assert throttle.attempted_username(request, {"username": "a\x00b" + "x" * 300}) == (
        "ab" + "x" * 148
    )
    assert throttle.attempted_username(request, {"username": None}) is None


@pytest.mark.django_db
def test_a_username_too_long_or_with_a_nul_byte_is_refused_not_a_crash(client):
    for username in ("x" * 400, "lena\x00"):
        response = client.post(
            reverse("accounts:login"), {"username": username, "password": "whatever"}
        )
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_daily_purge_forgets_what_no_longer_counts(lead_user):
    now = timezone.now()
    old_sign_in = AccessLog.objects.create(username="lena", ip_address="192.0.2.1")
    recent_sign_in = AccessLog.objects.create(username="lena", ip_address="192.0.2.2")
    AccessLog.objects.filter(pk=old_sign_in.pk).update(
        attempt_time=now - timedelta(days=throttle.FAMILIAR_DAYS + 1)
    )
    stale = AccessAttempt.objects.create(
        username="lena", ip_address="192.0.2.3", failures_since_start=3
    )
    AccessAttempt.objects.filter(pk=stale.pk).update(attempt_time=now - timedelta(hours=1))
    live = AccessAttempt.objects.create(
        username="lena", ip_address="192.0.2.4", failures_since_start=3
    )

    tasks.purge_sign_in_history.apply()

    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent_sign_in.pk]
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [live.pk]


@pytest.mark.django_db
def test_basic_auth_with_a_strange_username_is_refused_not_a_crash(client, lead_user):
    import base64

    for username in ("x" * 400, "lena\x00"):
        raw = base64.b64encode(f"{username}:whatever".encode()).decode()
        response = client.get(
            reverse("taxii:discovery"),
            HTTP_AUTHORIZATION=f"Basic {raw}",
            HTTP_ACCEPT="application/taxii+json;version=2.1",
        )
        assert response.status_code == 401


@pytest.mark.django_db
def test_a_broker_outage_does_not_break_the_reset_page(
    client, lead_user, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.send_password_reset, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": lead_user.email})
    assert response["Location"] == reverse("accounts:password_reset_done")
