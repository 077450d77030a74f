"""A request's transition, through the outbox, a real Celery worker and a real SMTP server."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings

from coordination.assistance.choices import LegalBasis
from coordination.assistance.transitions import transition_request
from incidents.choices import TLP
from tests.factories import make_incident
from tests.notifications.conftest import (  # noqa: F401  (fixtures)
    require_redis,
    smtp_sink,
    wait_until,
    workers,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_sending_a_red_case_request_mails_the_requested_side_once_threaded_in_its_language(
    workers,  # noqa: F811
    smtp_sink,  # noqa: F811
    lead_user,
    de_liaison,
    nl_liaison,
    nl_agency,
    make_request,
):
    nl_liaison.language = "fr"
    nl_liaison.save()
    incident = make_incident(lead_user, tlp=TLP.RED, title="Operation Nightjar")
    # A basis approved by four eyes (an EIO of a police unit goes to a prosecutor first).
    req = make_request(LegalBasis.BUDAPEST_MLA, incident=incident, facts="Nightjar facts: secret.")
    workers.start()

    transition_request(req, "submit", lead_user)
    transition_request(req, "approve", de_liaison)

    # submit -> the requesting liaison officer; approve (sent) -> requested side + mailbox
    assert wait_until(lambda: len(smtp_sink.messages) >= 3, timeout=90)
    by_address = {rcpt[0]: message for rcpt, message in smtp_sink.messages}
    assert len(smtp_sink.messages) == 3
    assert set(by_address) == {de_liaison.email, nl_liaison.email, nl_agency.mailbox}

    host = urlsplit(settings.SITE_URL).hostname
    for message in by_address.values():
        assert message["Subject"].strip().startswith(f"[{req.reference}] ")
        assert message["In-Reply-To"] == f"<request.{req.reference}@{host}>"
        assert message["References"] == message["In-Reply-To"]
        assert message["Auto-Submitted"] == "auto-generated"
        text = message.get_payload(0).get_payload(decode=True).decode()
        html = message.get_payload(1).get_payload(decode=True).decode()
        assert "Nightjar" not in text + html, "a RED case's details travelled by email"
        assert f"{settings.SITE_URL}{req.get_absolute_url()}" in text
    assert by_address[de_liaison.email]["Subject"].endswith("Request awaiting your approval")
    assert by_address[nl_agency.mailbox]["Subject"].endswith("Request for assistance received")
    assert not by_address[nl_liaison.email]["Subject"].endswith("Request for assistance received")
