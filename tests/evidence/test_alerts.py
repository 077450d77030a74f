"""Notifications: a hand-over tells the receiving agency, a hash mismatch tells everyone."""

import pytest

from coordination.notifications.choices import Channel, Event
from coordination.notifications.models import Notification
from incidents.choices import TLP
from incidents.evidence import actions
from incidents.evidence.choices import CustodyAction
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


def hand_over(item, by, agency):
    return actions.record_custody_event(
        item, by, CustodyAction.TRANSFERRED, to_agency=agency, purpose="Analysis", channel="DHL"
    )


def test_hand_over_notifies_the_receiving_agency_users_and_mailbox(
    evidence, lead_user, invited_user, invited_agency, outsider
):
    colleague = UserFactory(agency=invited_agency)
    hand_over(evidence, lead_user, invited_agency)
    rows = Notification.objects.filter(event=Event.CUSTODY_HANDOVER)
    app_users = set(rows.filter(channel=Channel.APP).values_list("recipient_id", flat=True))
    assert app_users == {invited_user.pk, colleague.pk}
    assert rows.filter(channel=Channel.EMAIL, email=invited_agency.mailbox).exists()
    assert not rows.filter(recipient=lead_user).exists()
    assert not rows.filter(recipient=outsider).exists()
    mailbox = rows.get(channel=Channel.EMAIL, email=invited_agency.mailbox)
    assert evidence.reference in mailbox.subject
    assert evidence.sha256 in mailbox.body_text


def test_hash_mismatch_notifies_every_participant_agency(
    evidence, lead_user, invited_user, invited_agency, outsider
):
    hand_over(evidence, lead_user, invited_agency)
    actions.record_custody_event(
        evidence, invited_user, CustodyAction.RECEIVED, hash_observed="e" * 64
    )
    rows = Notification.objects.filter(event=Event.EVIDENCE_COMPROMISED, channel=Channel.APP)
    assert set(rows.values_list("recipient_id", flat=True)) == {lead_user.pk, invited_user.pk}
    assert "compromised" in rows.first().subject


def test_confidential_case_emails_carry_no_details(lead_user, invited_agency, make_evidence):
    from incidents.choices import ParticipationRole

    incident = make_incident(
        lead_user,
        tlp=TLP.RED,
        shared_with=[(invited_agency, ParticipationRole.CONTRIBUTOR)],
    )
    item = make_evidence(incident, lead_user, title="Seized phone of the suspect")
    hand_over(item, lead_user, invited_agency)
    mail = Notification.objects.get(
        event=Event.CUSTODY_HANDOVER, channel=Channel.EMAIL, email=invited_agency.mailbox
    )
    assert "Seized phone" not in mail.body_text and "Seized phone" not in mail.body_html
    assert item.sha256 not in mail.body_text
    assert item.get_absolute_url() in mail.body_text
