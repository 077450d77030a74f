"""Running Concord locally: worker heartbeat, quiet logs, one date format, French labels."""

import re

import pytest
from django.core.cache import cache
from django.utils import translation

from coordination.celery import HEARTBEAT_CACHE_KEY, heartbeat_at_start
from coordination.exchange.blocklist import KINDS
from incidents import actions
from incidents.choices import ParticipationRole
from tests.factories import make_incident


def test_a_worker_reports_a_heartbeat_as_soon_as_it_starts(client, db):
    cache.delete(HEARTBEAT_CACHE_KEY)
    assert client.get("/health/").json()["worker_heartbeat"] == "never"

    heartbeat_at_start(sender=None)

    assert client.get("/health/").json()["worker_heartbeat"] != "never"


def test_without_email_url_emails_are_files_not_log_lines(monkeypatch):
    import importlib

    import coordination.settings as settings_module

    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.setenv("DEBUG", "true")
    reloaded = importlib.reload(settings_module)
    try:
        assert reloaded.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"
        assert reloaded.EMAIL_FILE_PATH.endswith("mail")
        assert reloaded.CELERY_WORKER_REDIRECT_STDOUTS_LEVEL == "INFO"
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_the_notifications_page_shows_times_as_the_other_pages_do(
    client, lead_user, invited_agency, invited_user
):
    incident = make_incident(lead_user, title="Botnet takedown")
    actions.share_incident(incident, invited_agency, ParticipationRole.OBSERVER, lead_user)
    invited_user.language = "fr"
    invited_user.save()
    client.force_login(invited_user)

    html = client.get("/notifications/").content.decode()

    assert re.search(
        r'<time class="when" datetime="[^"]+" title="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d', html
    )
    assert "décembre" not in html and "janvier" not in html


@pytest.mark.parametrize("name", sorted(KINDS))
def test_blocklist_labels_are_translated_into_french(name):
    with translation.override("fr"):
        french = str(KINDS[name].label)
    assert french != str(KINDS[name].label)
