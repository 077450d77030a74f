"""Who hears about each transition, and what the email says."""

import pytest

from coordination.assistance.choices import LegalBasis
from coordination.assistance.transitions import transition_request
from coordination.notifications.choices import Channel, Event
from coordination.notifications.models import Notification
from incidents.choices import TLP
from tests.factories import make_incident

pytestmark = pytest.mark.django_db


def _recipients(event, **filters):
    rows = Notification.objects.filter(event=event, **filters)
    return {n.recipient.username if n.recipient_id else n.email for n in rows}


def test_submission_tells_the_requesting_liaison_officers(
    make_request, lead_user, de_liaison, de_liaison_2, nl_liaison
):
    req = make_request(LegalBasis.BUDAPEST_MLA)
    transition_request(req, "submit", lead_user)
    assert _recipients(Event.REQUEST_SUBMITTED, channel=Channel.APP) == {"dora", "dieter"}
    subject = Notification.objects.filter(event=Event.REQUEST_SUBMITTED).first().subject
    assert subject == f"[{req.reference}] [TLP:AMBER] Request awaiting your approval"


def test_sending_tells_the_receiving_agency_officers_and_its_mailbox(
    sent_request, nl_liaison, nl_investigator
):
    req = sent_request(LegalBasis.EIO)
    emails = _recipients(Event.REQUEST_SENT, channel=Channel.EMAIL)
    assert emails == {"noor", "htc-intake@politie.example.nl"}
    mail = Notification.objects.get(event=Event.REQUEST_SENT, email__startswith="htc-intake")
    assert mail.thread == f"request.{req.reference}"
    assert req.reference in mail.subject
    assert "Ransomware" not in mail.body_text  # facts stay in the app


def test_questions_reach_the_requesting_officers_and_drafter_with_the_comment(
    sent_request, lead_user, de_liaison, nl_liaison
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "ask_information", nl_liaison, comment="Which time zone?")
    rows = Notification.objects.filter(
        event=Event.REQUEST_UPDATED,
        channel=Channel.EMAIL,
        subject__contains="Information requested",
    )
    assert {n.recipient.username for n in rows} == {"dora", "lena"}
    assert all("Which time zone?" in n.body_text for n in rows)
    assert rows.first().subject == f"[{req.reference}] [TLP:AMBER] Information requested"


def test_answer_reaches_the_requested_side_officers(sent_request, lead_user, nl_liaison):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "ask_information", nl_liaison, comment="Which time zone?")
    Notification.objects.all().delete()
    transition_request(req, "answer", lead_user, comment="UTC.")
    assert _recipients(Event.REQUEST_UPDATED, channel=Channel.APP) == {"noor"}


def test_confidential_incident_keeps_the_comment_out_of_emails(
    make_request, lead_user, approve, nl_liaison
):
    incident = make_incident(lead_user, tlp=TLP.RED)
    req = make_request(LegalBasis.EIO, incident=incident)
    transition_request(req, "submit", lead_user)
    approve(req)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "refuse", nl_liaison, comment="Grounds: ne bis in idem.")
    emails = Notification.objects.filter(event=Event.REQUEST_UPDATED, channel=Channel.EMAIL)
    assert emails.exists()
    assert all("ne bis in idem" not in n.body_text + n.body_html for n in emails)
    in_app = Notification.objects.filter(
        event=Event.REQUEST_UPDATED, channel=Channel.APP, subject__contains="refused"
    )
    assert all("ne bis in idem" in n.body_text for n in in_app)


def test_forward_tells_the_new_executing_agency_and_its_mailbox(
    sent_request, nl_liaison, nl_prosecutor, nl_om_liaison, de_liaison
):
    req = sent_request(LegalBasis.EIO)
    transition_request(req, "acknowledge", nl_liaison)
    transition_request(req, "forward", nl_liaison, agency=nl_prosecutor)
    rows = Notification.objects.filter(
        event=Event.REQUEST_UPDATED, channel=Channel.EMAIL, subject__contains="forwarded"
    )
    names = {n.recipient.username if n.recipient_id else n.email for n in rows}
    assert {"olaf", "irc@om.example.nl", "dora", "lena"} <= names
    assert "noor" not in names  # the actor is not told of their own action


def test_a_failed_transition_writes_no_notification(make_request, lead_user):
    req = make_request(LegalBasis.EIO, facts="")
    with pytest.raises(Exception):  # noqa: B017 - ValidationError; nothing must be written
        transition_request(req, "submit", lead_user)
    assert not Notification.objects.exists()


def test_the_requested_country_is_named_in_each_recipients_language(
    sent_request, nl_liaison, de_liaison
):
    from coordination.notifications.choices import Channel
    from coordination.notifications.models import Notification

    nl_liaison.language = "fr"
    nl_liaison.save()
    sent_request()
    french = Notification.objects.get(recipient=nl_liaison, channel=Channel.EMAIL)
    assert "Pays-Bas" in french.body_text
