"""Custody rules, one test per rule: creation, holder, hand-over, disposal, hashes, sealing."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.choices import Role
from incidents import actions as incident_actions
from incidents.choices import ParticipationRole, TimelineKind
from incidents.evidence import actions, chain
from incidents.evidence.choices import CustodyAction, EvidenceStatus
from incidents.exceptions import TransitionNotAllowed
from incidents.models import CustodyEvent, Evidence
from tests.evidence.conftest import CONTENT_SHA256
from tests.factories import AgencyFactory, UserFactory
from tests.mfa import verified_login

pytestmark = pytest.mark.django_db

OTHER_HASH = "f" * 64


def transfer(evidence, by, to_agency, **extra):
    return actions.record_custody_event(
        evidence,
        by,
        CustodyAction.TRANSFERRED,
        to_agency=to_agency,
        purpose="Analysis by the French unit",
        channel="Courier, sealed bag",
        **extra,
    )


class TestCreation:
    def test_creating_an_item_writes_the_acquired_event_and_a_timeline_entry(
        self, evidence, lead_user, lead_agency
    ):
        first = evidence.custody.get()
        assert first.seq == 1 and first.action == CustodyAction.ACQUIRED
        assert first.prev_hash == CONTENT_SHA256  # the chain starts at the item's own hash
        assert first.to_agency == lead_agency and first.recorded_by == lead_user
        assert evidence.reference.startswith("EV-")
        assert evidence.status == EvidenceStatus.IN_CUSTODY
        assert evidence.holder_agency == lead_agency
        assert evidence.custody_length == 1 and evidence.custody_head == first.entry_hash
        entry = evidence.incident.timeline.get(kind=TimelineKind.EVIDENCE)
        assert evidence.reference in entry.body

    def test_an_item_needs_a_hash_or_a_file(self, incident, lead_user, make_evidence):
        with pytest.raises(ValidationError) as exc:
            make_evidence(incident, lead_user, sha256="")
        assert "sha256" in exc.value.message_dict
        assert not Evidence.objects.exists()

    def test_a_malformed_hash_is_refused_beside_the_field(self, incident, lead_user, make_evidence):
        with pytest.raises(ValidationError) as exc:
            make_evidence(incident, lead_user, sha256="not-a-hash")
        assert "sha256" in exc.value.message_dict

    def test_required_fields_are_named(self, incident, lead_user, make_evidence):
        with pytest.raises(ValidationError) as exc:
            make_evidence(incident, lead_user, title=" ", acquired_where="", acquired_by_name="")
        assert {"title", "acquired_where", "acquired_by_name"} <= set(exc.value.message_dict)

    def test_acquisition_in_the_future_is_refused(self, incident, lead_user, make_evidence):
        with pytest.raises(ValidationError) as exc:
            make_evidence(
                incident, lead_user, acquired_at=timezone.now() + timezone.timedelta(days=1)
            )
        assert "acquired_at" in exc.value.message_dict

    def test_outsider_cannot_log_evidence(self, incident, outsider, make_evidence):
        with pytest.raises(PermissionDenied):
            make_evidence(incident, outsider)

    def test_observer_agency_cannot_log_evidence(self, incident, lead_user, make_evidence):
        observer_agency = AgencyFactory(country="NL")
        observer = UserFactory(agency=observer_agency)
        incident_actions.share_incident(
            incident, observer_agency, ParticipationRole.OBSERVER, lead_user
        )
        with pytest.raises(PermissionDenied):
            make_evidence(incident, observer)

    def test_a_seal_number_at_acquisition_seals_the_item(self, incident, lead_user, make_evidence):
        item = make_evidence(incident, lead_user, seal_number="DE-0042")
        assert item.is_sealed
        assert item.custody.get().seal_ids == "DE-0042"


class TestHolderRules:
    def test_only_the_holder_can_transfer(self, evidence, invited_user, invited_agency):
        with pytest.raises(TransitionNotAllowed) as exc:
            transfer(evidence, invited_user, invited_agency)
        assert exc.value.allowed == []
        assert evidence.custody.count() == 1

    def test_holder_sees_the_actions_allowed_now(self, evidence, lead_user, invited_user):
        allowed = actions.allowed_custody_actions(evidence, lead_user)
        assert CustodyAction.TRANSFERRED in allowed and CustodyAction.SEALED in allowed
        assert CustodyAction.UNSEALED not in allowed and CustodyAction.RECEIVED not in allowed
        assert actions.allowed_custody_actions(evidence, invited_user) == []

    def test_acquired_cannot_be_logged_again(self, evidence, lead_user):
        with pytest.raises(TransitionNotAllowed) as exc:
            actions.record_custody_event(evidence, lead_user, CustodyAction.ACQUIRED)
        assert CustodyAction.TRANSFERRED in exc.value.allowed

    def test_analysis_needs_a_purpose(self, evidence, lead_user):
        with pytest.raises(ValidationError) as exc:
            actions.record_custody_event(evidence, lead_user, CustodyAction.ANALYSED)
        assert "purpose" in exc.value.message_dict
        assert evidence.custody.count() == 1

    def test_sealing_needs_a_seal_number_and_toggles(self, evidence, lead_user):
        with pytest.raises(ValidationError):
            actions.record_custody_event(evidence, lead_user, CustodyAction.SEALED)
        actions.record_custody_event(evidence, lead_user, CustodyAction.SEALED, seal_ids="S-1")
        assert evidence.is_sealed and evidence.seal_number == "S-1"
        with pytest.raises(TransitionNotAllowed) as exc:
            actions.record_custody_event(evidence, lead_user, CustodyAction.SEALED, seal_ids="S-2")
        assert CustodyAction.UNSEALED in exc.value.allowed
        actions.record_custody_event(evidence, lead_user, CustodyAction.UNSEALED)
        assert not evidence.is_sealed

    def test_a_step_in_the_future_is_refused(self, evidence, lead_user):
        with pytest.raises(ValidationError) as exc:
            actions.record_custody_event(
                evidence,
                lead_user,
                CustodyAction.ANALYSED,
                purpose="Timeline",
                occurred_at=timezone.now() + timezone.timedelta(hours=2),
            )
        assert "occurred_at" in exc.value.message_dict

    def test_liaison_officer_of_the_holder_may_log_but_agency_admin_may_not(
        self, evidence, lead_agency
    ):
        liaison = UserFactory(agency=lead_agency, role=Role.LIAISON_OFFICER)
        admin = UserFactory(agency=lead_agency, role=Role.AGENCY_ADMIN)
        actions.record_custody_event(evidence, liaison, CustodyAction.ANALYSED, purpose="Triage")
        with pytest.raises(PermissionDenied):
            actions.record_custody_event(evidence, admin, CustodyAction.ANALYSED, purpose="x")


class TestHandOver:
    def test_transfer_puts_the_item_in_transit_and_receipt_makes_the_receiver_holder(
        self, evidence, lead_user, invited_user, lead_agency, invited_agency
    ):
        sent = transfer(evidence, lead_user, invited_agency)
        assert evidence.status == EvidenceStatus.IN_TRANSIT
        assert sent.from_agency == lead_agency and sent.to_agency == invited_agency
        assert evidence.holder_agency_id == lead_agency.pk  # the giver holds it until receipt
        received = actions.record_custody_event(
            evidence, invited_user, CustodyAction.RECEIVED, location="OFAC, Nanterre"
        )
        evidence.refresh_from_db()
        assert evidence.status == EvidenceStatus.IN_CUSTODY
        assert evidence.holder_agency == invited_agency
        assert received.from_agency == lead_agency and received.to_agency == invited_agency
        assert received.to_person == invited_user.display_name
        # Now the French unit holds it, the German one can no longer log steps
        assert actions.allowed_custody_actions(evidence, lead_user) == []
        assert CustodyAction.TRANSFERRED in actions.allowed_custody_actions(evidence, invited_user)

    def test_in_transit_only_the_receipt_can_be_recorded(self, evidence, lead_user, invited_agency):
        transfer(evidence, lead_user, invited_agency)
        with pytest.raises(TransitionNotAllowed) as exc:
            actions.record_custody_event(evidence, lead_user, CustodyAction.ANALYSED, purpose="x")
        assert exc.value.allowed == []  # the giver may do nothing now

    def test_receipt_must_match_the_open_transfer(
        self, evidence, incident, lead_user, invited_agency
    ):
        third = AgencyFactory(country="IT", short_name="PolPost")
        incident_actions.share_incident(incident, third, ParticipationRole.CONTRIBUTOR, lead_user)
        italian = UserFactory(agency=third)
        transfer(evidence, lead_user, invited_agency)
        with pytest.raises(TransitionNotAllowed) as exc:
            actions.record_custody_event(evidence, italian, CustodyAction.RECEIVED)
        assert "OFAC" in str(exc.value)
        assert evidence.custody.count() == 2

    def test_receipt_without_an_open_transfer_is_refused(self, evidence, lead_user):
        with pytest.raises(TransitionNotAllowed):
            actions.record_custody_event(evidence, lead_user, CustodyAction.RECEIVED)

    def test_transfer_only_to_a_contributing_agency_of_the_case(
        self, evidence, incident, lead_user, other_agency
    ):
        with pytest.raises(ValidationError) as exc:
            transfer(evidence, lead_user, other_agency)
        assert "invite it first" in exc.value.message_dict["to_agency"][0]
        observer = AgencyFactory(country="NL", short_name="NHTCU")
        incident_actions.share_incident(incident, observer, ParticipationRole.OBSERVER, lead_user)
        with pytest.raises(ValidationError) as exc:
            transfer(evidence, lead_user, observer)
        assert "contributor" in exc.value.message_dict["to_agency"][0]

    def test_transfer_to_own_agency_is_refused(self, evidence, lead_user, lead_agency):
        with pytest.raises(ValidationError) as exc:
            transfer(evidence, lead_user, lead_agency)
        assert "to_agency" in exc.value.message_dict

    def test_transfer_needs_a_receiver_and_a_purpose(self, evidence, lead_user):
        with pytest.raises(ValidationError) as exc:
            actions.record_custody_event(evidence, lead_user, CustodyAction.TRANSFERRED)
        assert {"to_agency", "purpose"} <= set(exc.value.message_dict)

    def test_transfer_outside_concord_and_back(self, evidence, lead_user):
        actions.record_custody_event(
            evidence,
            lead_user,
            CustodyAction.TRANSFERRED,
            to_person="Landgericht Mainz, evidence room",
            purpose="Court hearing",
        )
        assert evidence.status == EvidenceStatus.TRANSFERRED
        assert actions.allowed_custody_actions(evidence, lead_user) == [CustodyAction.RECEIVED]
        back = actions.record_custody_event(evidence, lead_user, CustodyAction.RECEIVED)
        assert back.from_person == "Landgericht Mainz, evidence room"
        assert evidence.status == EvidenceStatus.IN_CUSTODY


class TestEndOfLife:
    def test_no_event_after_disposal(self, evidence, lead_user):
        actions.record_custody_event(
            evidence, lead_user, CustodyAction.DISPOSED, purpose="Court order 4 KLs 12/26"
        )
        assert evidence.status == EvidenceStatus.DISPOSED
        assert actions.allowed_custody_actions(evidence, lead_user) == []
        for action in (CustodyAction.ANALYSED, CustodyAction.TRANSFERRED, CustodyAction.RECEIVED):
            with pytest.raises(TransitionNotAllowed) as exc:
                actions.record_custody_event(evidence, lead_user, action, purpose="x")
            assert "disposed" in str(exc.value)
        assert evidence.custody.count() == 2

    def test_returned_needs_a_recipient_and_ends_custody(self, evidence, lead_user):
        with pytest.raises(ValidationError) as exc:
            actions.record_custody_event(
                evidence, lead_user, CustodyAction.RETURNED, purpose="Released"
            )
        assert "to_person" in exc.value.message_dict
        actions.record_custody_event(
            evidence, lead_user, CustodyAction.RETURNED, purpose="Released", to_person="Owner"
        )
        assert evidence.status == EvidenceStatus.RETURNED
        assert evidence.holder_person == "Owner"


class TestObservedHash:
    def test_matching_hash_is_recorded_as_a_check(self, evidence, lead_user):
        event = actions.record_custody_event(
            evidence, lead_user, CustodyAction.ANALYSED, purpose="x", hash_observed=CONTENT_SHA256
        )
        assert event.hash_matches is True and not evidence.is_compromised

    def test_differing_hash_flags_the_item_and_writes_an_alert_entry(
        self, evidence, lead_user, invited_user, invited_agency
    ):
        transfer(evidence, lead_user, invited_agency)
        event = actions.record_custody_event(
            evidence, invited_user, CustodyAction.RECEIVED, hash_observed=OTHER_HASH.upper()
        )
        assert event.hash_matches is False and event.hash_observed == OTHER_HASH
        evidence.refresh_from_db()
        assert evidence.is_compromised
        assert evidence.status == EvidenceStatus.IN_CUSTODY  # recorded, never silently dropped
        alert = evidence.incident.timeline.filter(body__contains="Integrity alert").get()
        assert OTHER_HASH in alert.body
        result = chain.verify(evidence)
        assert result.ok and result.compromised == [3]

    def test_malformed_observed_hash_is_refused(self, evidence, lead_user):
        with pytest.raises(ValidationError) as exc:
            actions.record_custody_event(
                evidence, lead_user, CustodyAction.ANALYSED, purpose="x", hash_observed="abc"
            )
        assert "hash_observed" in exc.value.message_dict


class TestAppendOnly:
    def test_saving_an_existing_event_is_refused(self, evidence):
        event = evidence.custody.get()
        event.purpose = "rewritten"
        with pytest.raises(PermissionDenied):
            event.save()
        with pytest.raises(PermissionDenied):
            event.delete()

    def test_bulk_update_and_delete_are_refused(self, evidence):
        with pytest.raises(TypeError):
            CustodyEvent.objects.filter(evidence=evidence).update(purpose="x")
        with pytest.raises(TypeError):
            CustodyEvent.objects.filter(evidence=evidence).delete()


def test_numbers_are_gap_free_and_each_hash_chains_from_the_previous(evidence, lead_user):
    for i in range(4):
        actions.record_custody_event(
            evidence, lead_user, CustodyAction.ANALYSED, purpose=f"pass {i}"
        )
    rows = list(evidence.custody.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    for previous, current in itertools.pairwise(rows):
        assert current.prev_hash == previous.entry_hash
    assert chain.verify(evidence).ok


def test_admin_offers_no_add_change_or_delete_of_evidence(client, evidence, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    verified_login(client, admin_user)
    assert client.get("/admin/incidents/evidence/").status_code == 200
    assert client.get(f"/admin/incidents/evidence/{evidence.pk}/change/").status_code == 403
    assert client.get("/admin/incidents/evidence/add/").status_code == 403
    response = client.post(f"/admin/incidents/evidence/{evidence.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = client.post(
        f"/admin/incidents/evidence/{evidence.pk}/change/", {"title": "rewritten"}
    )
    assert response.status_code == 403
    evidence.refresh_from_db()
    assert evidence.title != "rewritten" and evidence.custody.count() == 1


def test_receipt_cannot_precede_the_hand_over(evidence, lead_user, invited_user, invited_agency):
    sent = transfer(evidence, lead_user, invited_agency)
    with pytest.raises(ValidationError) as exc:
        actions.record_custody_event(
            evidence,
            invited_user,
            CustodyAction.RECEIVED,
            occurred_at=sent.occurred_at - timezone.timedelta(minutes=30),
        )
    assert "occurred_at" in exc.value.message_dict
    assert evidence.custody.count() == 2
