"""Two app servers side by side on one PostgreSQL and one Redis behave as one.

Two gunicorn instances (separate processes, as on two hosts) share the database, Redis
(sessions, caches), ``SECRET_KEY`` and ``MEDIA_ROOT``, as ``bench/two_instances.py`` runs them
behind nginx. A user signs in through one and works through the other: the session, the CSRF
token, a grant, a sign-out, a timeline entry and an uploaded file all carry over. Each instance
has warmed its own per-process memos (permission ids, navigation, country names) before the
change made through the other.
"""

import os
import re
import secrets
import urllib.parse
import uuid

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from accounts.models import User
from bench.server import (
    CSRF_FIELD,
    HOST,
    free_port,
    request,
    server_env,
    sign_in_cookies,
    start_gunicorn,
    stop,
    wait_healthy,
)
from incidents.choices import ParticipationRole
from incidents.models import EntryAttachment, TimelineEntry
from tests.conftest import services_required
from tests.factories import TEST_PASSWORD, AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _missing_services():
    if connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if not os.environ.get("REDIS_URL"):
        return "needs Redis: set REDIS_URL=redis://... (instances share sessions through it)"
    return None


def _database_url():
    s = connection.settings_dict
    password = f":{urllib.parse.quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return (
        f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


class Instance:
    """One app server, spoken to like a browser: cookies kept by the caller."""

    def __init__(self, name, port, process):
        self.name = name
        self.port = port
        self.process = process

    def get(self, path, cookies=None, headers=None):
        return request(
            self.port, "GET", path, headers={"Cookie": _cookie_header(cookies), **(headers or {})}
        )

    def post(self, path, fields, cookies, files=None):
        headers = {"Cookie": _cookie_header(cookies), "Origin": f"http://{HOST}:{self.port}"}
        if files:
            boundary = uuid.uuid4().hex
            body = _multipart(fields, files, boundary)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return request(self.port, "POST", path, headers=headers, body=body)

    def csrf_token_of(self, path, cookies):
        """The form token a page drawn by this instance carries."""
        status, _headers, body = self.get(path, cookies)
        assert status == 200, f"{self.name} answered {status} to {path}"
        return CSRF_FIELD.search(body)[1].decode()


def _cookie_header(cookies):
    return "; ".join(
        f"{k}={v}" for k, v in (cookies or {}).items() if k in ("sessionid", "csrftoken")
    )


def _multipart(fields, files, boundary):
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (file_name, content) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


@pytest.fixture
def instances(transactional_db, tmp_path):
    """Instances A and B: one database, one Redis, one secret key, one media directory.

    Started for each test: the database is emptied between tests, and the instances'
    per-process caches (Django's content types, among others) must not outlive it.
    """
    missing = _missing_services()
    if missing:
        if services_required():
            pytest.fail(f"This test runs in CI: {missing}")
        pytest.skip(missing)
    database_url = _database_url()
    var_dir = tmp_path / "two-instances"
    env = server_env(
        database_url,
        var_dir,
        redis_url=os.environ["REDIS_URL"],
        secret_key=secrets.token_urlsafe(50),
    )
    # DEBUG serves static files from the app directories (no collectstatic needed); the
    # caches and sessions are configured as in production.
    env.update(DEBUG="true", CONN_MAX_AGE="0", LOG_LEVEL="ERROR")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    started = []
    try:
        for name in ("A", "B"):
            port = free_port()
            started.append(Instance(name, port, start_gunicorn(env, port, workers=1)))
        for instance in started:
            wait_healthy(instance.port, instance.process, limit=90)
        yield started
    finally:
        for instance in started:
            stop(instance.process)


def _fast_server_password(user):
    """A password the servers' own hashers check (the tests' MD5 hasher is not theirs)."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(TEST_PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def cast(db):
    lead_agency = AgencyFactory(short_name="BKA-TWO", country="DE")
    invited_agency = AgencyFactory(short_name="OFAC-TWO", country="FR", timezone="Europe/Paris")
    lead = _fast_server_password(UserFactory(username="lena.two", agency=lead_agency))
    invited = _fast_server_password(UserFactory(username="francois.two", agency=invited_agency))
    incident = make_incident(lead, title="Botnet seen from two servers")
    return {"lead": lead, "invited": invited, "agency": invited_agency, "incident": incident}


def sign_in(instance, user):
    cookies = sign_in_cookies(instance.port, user.username, TEST_PASSWORD)
    return {"sessionid": cookies["sessionid"], "csrftoken": cookies["csrftoken"]}


def test_a_session_opened_on_one_instance_is_signed_in_on_the_other(instances, cast):
    a, b = instances
    cookies = sign_in(a, cast["lead"])

    status, _headers, body = b.get("/", cookies)

    assert status == 200
    assert cast["lead"].display_name.encode() in body
    status, _headers, body = b.get(cast["incident"].get_absolute_url(), cookies)
    assert status == 200 and b"Botnet seen from two servers" in body


def test_a_form_drawn_by_one_instance_is_accepted_by_the_other(instances, cast):
    a, b = instances
    cookies = sign_in(a, cast["lead"])
    url = cast["incident"].get_absolute_url()
    token = a.csrf_token_of(url, cookies)

    status, _headers, _body = b.post(
        f"{url}timeline/add/",
        {"csrfmiddlewaretoken": token, "body": "Posted through the second server."},
        cookies,
    )

    assert status == 302
    assert TimelineEntry.objects.filter(
        incident=cast["incident"], body="Posted through the second server."
    ).exists()


def test_a_form_without_the_token_is_refused_by_either_instance(instances, cast):
    a, b = instances
    cookies = sign_in(a, cast["lead"])
    url = cast["incident"].get_absolute_url()

    for instance in (a, b):
        status, _headers, _body = instance.post(
            f"{url}timeline/add/", {"csrfmiddlewaretoken": "x" * 64, "body": "Forged."}, cookies
        )
        assert status == 403
    assert not TimelineEntry.objects.filter(body="Forged.").exists()


def test_a_share_made_through_one_instance_is_honoured_by_the_other_at_once(instances, cast):
    a, b = instances
    url = cast["incident"].get_absolute_url()
    invited_cookies = sign_in(b, cast["invited"])
    # B has read the permission ids, drawn the navigation and the list for this user ...
    assert b.get("/incidents/", invited_cookies)[0] == 200
    assert b.get(url, invited_cookies)[0] == 404
    lead_cookies = sign_in(a, cast["lead"])
    token = a.csrf_token_of(url, lead_cookies)

    # ... when the lead shares the case through A
    status, _headers, _body = a.post(
        f"{url}participants/invite/",
        {
            "csrfmiddlewaretoken": token,
            "agency": cast["agency"].pk,
            "role": ParticipationRole.OBSERVER,
        },
        lead_cookies,
    )

    assert status == 302
    status, _headers, body = b.get(url, invited_cookies)
    assert status == 200 and b"Botnet seen from two servers" in body
    status, _headers, body = b.get("/incidents/", invited_cookies)
    assert cast["incident"].reference.encode() in body


def test_a_page_drawn_by_one_instance_shows_an_entry_added_through_the_other(instances, cast):
    a, b = instances
    url = cast["incident"].get_absolute_url()
    cookies = sign_in(a, cast["lead"])
    for instance in (a, b):  # each has drawn the page once before the entry is added
        assert instance.get(url, cookies)[0] == 200
    token = a.csrf_token_of(url, cookies)

    status, _headers, _body = a.post(
        f"{url}timeline/add/",
        {"csrfmiddlewaretoken": token, "body": "Containment confirmed by the host."},
        cookies,
    )

    assert status == 302
    status, _headers, body = b.get(url, cookies)
    assert status == 200 and b"Containment confirmed by the host." in body


def test_a_sign_out_on_one_instance_ends_the_session_on_the_other(instances, cast):
    a, b = instances
    cookies = sign_in(a, cast["lead"])
    assert b.get("/", cookies)[0] == 200
    token = a.csrf_token_of("/", cookies)

    status, headers, _body = a.post("/accounts/logout/", {"csrfmiddlewaretoken": token}, cookies)

    assert status == 302
    status, headers, _body = b.get("/", cookies)  # the cookie the browser had
    assert status == 302
    assert dict(headers)["Location"].startswith("/accounts/login/")


def test_a_file_attached_through_one_instance_downloads_through_the_other(instances, cast):
    a, b = instances
    url = cast["incident"].get_absolute_url()
    cookies = sign_in(a, cast["lead"])
    token = a.csrf_token_of(url, cookies)
    content = b"ransom note\n" + secrets.token_bytes(2048)

    status, _headers, _body = a.post(
        f"{url}timeline/add/",
        {"csrfmiddlewaretoken": token, "body": "Ransom note attached."},
        cookies,
        files={"attachments": ("note.txt", content)},
    )

    assert status == 302
    attachment = EntryAttachment.objects.get(entry__body="Ransom note attached.")
    status, headers, body = b.get(f"/attachments/{attachment.pk}/", cookies)
    assert status == 200
    assert body == content
    assert re.search(r'filename="?note\.txt', dict(headers)["Content-Disposition"])


def test_a_role_changed_in_the_database_is_drawn_by_both_instances(instances, cast):
    a, b = instances
    cookies = sign_in(a, cast["lead"])
    for instance in (a, b):  # each draws and keeps the navigation of an investigator
        assert b'href="/audit/' not in instance.get("/", cookies)[2]
    User.objects.filter(pk=cast["lead"].pk).update(role="agency_admin")

    for instance in (a, b):
        status, _headers, body = instance.get("/", cookies)
        assert status == 200
        assert b'href="/audit/' in body


def _make_permission_ids_stale(monkeypatch):
    """As if another process had run flush or migrate: the permissions came back under
    new ids, and this process still holds the old ones (restored after the test)."""
    from incidents import querysets

    querysets.incident_permission_id("view_incident")
    stale = {codename: pk + 100_000 for codename, pk in querysets._PERMISSION_IDS.items()}
    for codename, pk in stale.items():
        monkeypatch.setitem(querysets._PERMISSION_IDS, codename, pk)
    return stale


def test_a_process_whose_permission_ids_are_stale_reads_them_again_with_the_next_request(
    client, cast, require_postgres, monkeypatch
):
    from incidents import querysets

    stale = _make_permission_ids_stale(monkeypatch)
    client.force_login(cast["lead"])

    response = client.get(cast["incident"].get_absolute_url())

    assert response.status_code == 200
    assert querysets._PERMISSION_IDS["view_incident"] == stale["view_incident"] - 100_000


def test_an_api_token_request_also_reads_stale_permission_ids_again(
    api_client, cast, require_postgres, monkeypatch
):
    from accounts.actions import create_api_token

    _token, key = create_api_token(cast["lead"], name="tool", scope="read", days=1)
    _make_permission_ids_stale(monkeypatch)

    response = api_client.get(
        f"/api/v1/incidents/{cast['incident'].reference}/", HTTP_AUTHORIZATION=f"Token {key}"
    )

    assert response.status_code == 200
