"""A custody chain verification leaves a mark: a recorded row, a compromised item whose
broken step is shown, no further custody step, and a report that describes the whole chain.

Tampering is written with raw SQL (``tamper``), as an attacker with database access would.
"""

import io

import pytest
from pypdf import PdfReader

from incidents.evidence import actions, chain
from incidents.evidence.choices import CustodyAction
from incidents.exceptions import TransitionNotAllowed
from incidents.models import CustodyEvent, CustodyVerification

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_steps(evidence, lead_user):
    for purpose in ("First pass", "Second pass"):
        actions.record_custody_event(
            evidence, lead_user, CustodyAction.ANALYSED, purpose=purpose, location="Lab 2"
        )
    evidence.refresh_from_db()
    return evidence


@pytest.fixture
def broken(three_steps, tamper):
    tamper(
        "UPDATE incidents_custodyevent SET location = 'Elsewhere' "
        "WHERE evidence_id = %s AND seq = 2",
        [three_steps.pk],
    )
    return three_steps


def pdf_text(content):
    """The PDF's text with its line breaks (cell wrapping) read as spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def test_an_intact_verification_is_recorded_with_who_and_what(three_steps, invited_user):
    record, result = actions.verify_chain(three_steps, invited_user)
    assert result.ok
    stored = CustodyVerification.objects.get(pk=record.pk)
    assert stored.ok and stored.broken_seq is None
    assert stored.checked_by == invited_user and stored.checked_by_agency == invited_user.agency
    assert (stored.length, stored.final_hash) == (3, three_steps.custody_head)
    three_steps.refresh_from_db()
    assert not three_steps.is_compromised


def test_a_broken_chain_is_recorded_and_flags_the_item_compromised(broken, lead_user):
    record, _result = actions.verify_chain(broken, lead_user)
    assert not record.ok
    assert (record.broken_seq, record.broken_what) == (2, "entry_hash")
    broken.refresh_from_db()
    assert broken.is_compromised and broken.chain_broken_seq == 2
    alert = broken.incident.timeline.filter(body__contains="broken at step 2").get()
    assert "Integrity alert" in alert.body


def test_a_second_verification_of_a_broken_chain_writes_no_second_alert(broken, lead_user):
    actions.verify_chain(broken, lead_user)
    actions.verify_chain(broken, lead_user)
    assert broken.verifications.count() == 2
    assert broken.incident.timeline.filter(body__contains="broken at step").count() == 1


def test_length_and_final_hash_describe_the_whole_broken_chain(broken):
    result = chain.verify(broken)
    last = CustodyEvent.objects.get(evidence=broken, seq=3)
    assert not result.ok and result.broken.seq == 2
    assert (result.length, result.final_hash) == (3, last.entry_hash)
    assert result.verified_length == 1


def test_a_compromised_item_takes_no_further_step_and_says_why(broken, lead_user):
    actions.verify_chain(broken, lead_user)
    broken.refresh_from_db()
    assert actions.allowed_custody_actions(broken, lead_user) == []
    with pytest.raises(TransitionNotAllowed) as exc:
        actions.record_custody_event(broken, lead_user, CustodyAction.ANALYSED, purpose="x")
    assert "broken at step 2" in exc.value.message
    assert broken.custody.count() == 3


def test_an_item_with_a_differing_hash_takes_no_further_step(evidence, lead_user):
    actions.record_custody_event(
        evidence, lead_user, CustodyAction.ANALYSED, purpose="Re-hash", hash_observed="d" * 64
    )
    assert actions.allowed_custody_actions(evidence, lead_user) == []
    with pytest.raises(TransitionNotAllowed):
        actions.record_custody_event(evidence, lead_user, CustodyAction.COPIED, purpose="x")


class TestPages:
    def test_verify_page_records_and_the_item_page_marks_the_broken_step(
        self, client, lead_user, broken
    ):
        client.force_login(lead_user)
        response = client.post(f"/evidence/{broken.reference}/verify/", HTTP_HX_REQUEST="true")
        assert response["HX-Refresh"] == "true"
        assert broken.verifications.count() == 1
        html = client.get(broken.get_absolute_url()).content.decode()
        assert "chain broken at this step" in html
        assert "after the break: not verifiable" in html
        assert "The chain of custody is broken at step 2" in html
        assert "Compromised" in html
        assert f"/evidence/{broken.reference}/custody/" not in html  # no step offered
        assert "no further step can be recorded" in html

    def test_custody_form_of_a_compromised_item_answers_409(self, client, lead_user, broken):
        actions.verify_chain(broken, lead_user)
        client.force_login(lead_user)
        response = client.get(f"/evidence/{broken.reference}/custody/analysed/")
        assert response.status_code == 409

    def test_acquisition_method_is_labelled_method_not_purpose(self, client, lead_user, evidence):
        client.force_login(lead_user)
        html = client.get(evidence.get_absolute_url()).content.decode()
        assert "<dt>Method</dt><dd>dd via hardware write blocker</dd>" in html


class TestApi:
    def test_verify_reports_the_whole_chain_and_is_recorded(self, api_login, lead_user, broken):
        body = api_login(lead_user).get(f"/api/v1/evidence/{broken.reference}/custody/verify/")
        body = body.json()
        last = CustodyEvent.objects.get(evidence=broken, seq=3)
        assert body["ok"] is False and body["first_broken_link"]["seq"] == 2
        assert body["length"] == 3 and body["final_hash"] == last.entry_hash
        assert body["verified_length"] == 1
        assert broken.verifications.get().broken_seq == 2
        item = api_login(lead_user).get(f"/api/v1/evidence/{broken.reference}/").json()
        assert item["is_compromised"] is True and item["chain_broken_seq"] == 2
        assert item["allowed_custody_actions"] == []

    def test_a_step_on_a_compromised_item_answers_409(self, api_login, lead_user, broken):
        actions.verify_chain(broken, lead_user)
        response = api_login(lead_user).post(
            f"/api/v1/evidence/{broken.reference}/custody/",
            {"action": "analysed", "purpose": "x"},
            format="json",
        )
        assert response.status_code == 409


class TestCustodyPdf:
    def test_pdf_marks_the_break_and_the_whole_chain_hash(self, client, lead_user, broken):
        client.force_login(lead_user)
        response = client.get(f"/evidence/{broken.reference}/report.pdf")
        text = pdf_text(response.content)
        last = CustodyEvent.objects.get(evidence=broken, seq=3)
        assert "Chain broken at step 2" in text
        assert "chain broken at this step" in text
        assert "whole chain (3 steps, broken at step 2)" in text
        assert last.entry_hash in text
        assert broken.verifications.count() == 1

    def test_pdf_labels_details_and_numbers_pages_of_n(self, client, lead_user, three_steps):
        client.force_login(lead_user)
        content = client.get(f"/evidence/{three_steps.reference}/report.pdf").content
        text = pdf_text(content)
        pages = len(PdfReader(io.BytesIO(content)).pages)
        assert "Where: Lab 2" in text and "Purpose: First pass" in text
        assert "Method: dd via hardware write blocker" in text
        assert f"Page 1 of {pages}" in text
        assert "TLP:AMBER" in text

    def test_long_agency_names_are_not_cut_mid_word(self, client, lead_user, three_steps):
        lead_user.agency.name = "Bundesamt für Sicherheit in der Informationstechnik"
        lead_user.agency.save()
        client.force_login(lead_user)
        text = pdf_text(client.get(f"/evidence/{three_steps.reference}/report.pdf").content)
        words = text.split()
        assert "Informationstechnik" in words
