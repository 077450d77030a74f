"""Evidence pages: logging with an upload, custody forms, verification, report, queries."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.evidence import actions
from incidents.evidence.choices import CustodyAction, EvidenceStatus
from incidents.models import Evidence
from tests.evidence.conftest import CONTENT, CONTENT_SHA256

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "title": "Seized laptop of the suspect",
        "kind": "disk_image",
        "description": "",
        "sha256": "",
        "size": "",
        "acquired_at": (timezone.now() - timezone.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "acquired_by_name": "KHK Weber",
        "acquired_where": "Suspect's flat, Mainz",
        "acquisition_method": "Imaged with a write blocker",
        "seal_number": "",
    }
    data.update(overrides)
    return data


def new_url(incident):
    return f"/incidents/{incident.reference}/evidence/new/"


class TestLogEvidence:
    def test_upload_through_the_page_is_hashed_and_stored(
        self, client, lead_user, incident, _media_root
    ):
        client.force_login(lead_user)
        upload = SimpleUploadedFile("laptop.e01", CONTENT)
        response = client.post(new_url(incident), {**form_data(), "file": upload})
        item = Evidence.objects.get()
        assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
        assert item.sha256 == CONTENT_SHA256 and item.file_name == "laptop.e01"
        assert (_media_root / item.file_path).read_bytes() == CONTENT
        assert not list((_media_root / "evidence/incoming").iterdir())

    def test_hash_mismatch_is_shown_beside_the_file_and_nothing_is_stored(
        self, client, lead_user, incident, _media_root
    ):
        client.force_login(lead_user)
        upload = SimpleUploadedFile("laptop.e01", CONTENT)
        response = client.post(new_url(incident), {**form_data(sha256="c" * 64), "file": upload})
        assert response.status_code == 400
        assert CONTENT_SHA256 in response.context["form"].errors["file"][0]
        assert "Seized laptop of the suspect" in response.content.decode()  # input kept
        assert not Evidence.objects.exists()
        assert not (_media_root / "evidence/objects").exists()
        assert not list((_media_root / "evidence/incoming").iterdir())

    def test_invalid_form_discards_the_uploaded_part_file(
        self, client, lead_user, incident, _media_root
    ):
        client.force_login(lead_user)
        upload = SimpleUploadedFile("laptop.e01", CONTENT)
        response = client.post(new_url(incident), {**form_data(title=""), "file": upload})
        assert response.status_code == 400 and "title" in response.context["form"].errors
        assert not list((_media_root / "evidence/incoming").iterdir())

    def test_without_file_or_hash_the_form_asks_for_the_hash(self, client, lead_user, incident):
        client.force_login(lead_user)
        response = client.post(new_url(incident), form_data())
        assert response.status_code == 400
        assert "sha256" in response.context["form"].errors

    def test_csrf_is_still_enforced_on_the_upload_form(self, lead_user, incident):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(lead_user)
        response = client.post(new_url(incident), form_data(sha256=CONTENT_SHA256))
        assert response.status_code == 403
        assert not Evidence.objects.exists()


class TestDetailAndCustody:
    def test_detail_offers_only_the_actions_allowed_now(self, client, lead_user, evidence):
        client.force_login(lead_user)
        html = client.get(evidence.get_absolute_url()).content.decode()
        assert f"/evidence/{evidence.reference}/custody/transferred/" in html
        assert f"/evidence/{evidence.reference}/custody/received/" not in html
        assert f"/evidence/{evidence.reference}/custody/unsealed/" not in html

    def test_receiver_sees_only_receive_while_in_transit(
        self, client, lead_user, invited_user, invited_agency, evidence
    ):
        actions.record_custody_event(
            evidence, lead_user, CustodyAction.TRANSFERRED, to_agency=invited_agency, purpose="x"
        )
        client.force_login(invited_user)
        html = client.get(evidence.get_absolute_url()).content.decode()
        assert f"/evidence/{evidence.reference}/custody/received/" in html
        assert f"/evidence/{evidence.reference}/custody/transferred/" not in html

    def test_transfer_form_offers_the_case_agencies_and_records_the_step(
        self, client, lead_user, invited_agency, other_agency, evidence
    ):
        client.force_login(lead_user)
        url = f"/evidence/{evidence.reference}/custody/transferred/"
        form = client.get(url).context["form"]
        assert list(form.fields["to_agency"].queryset) == [invited_agency]
        response = client.post(
            url, {"to_agency": invited_agency.pk, "purpose": "Analysis", "channel": "Courier"}
        )
        assert response.status_code == 302 and response["Location"].endswith("#step-2")
        evidence.refresh_from_db()
        assert evidence.status == EvidenceStatus.IN_TRANSIT

    def test_bad_step_input_shows_errors_beside_the_fields(self, client, lead_user, evidence):
        client.force_login(lead_user)
        response = client.post(
            f"/evidence/{evidence.reference}/custody/transferred/", {"hash_observed": "xyz"}
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert {"to_agency", "purpose", "hash_observed"} <= set(errors)
        assert evidence.custody.count() == 1

    def test_a_mismatching_hash_warns_the_recorder(self, client, lead_user, evidence):
        client.force_login(lead_user)
        response = client.post(
            f"/evidence/{evidence.reference}/custody/analysed/",
            {"purpose": "Re-hash", "hash_observed": "d" * 64},
            follow=True,
        )
        assert "flagged as compromised" in response.content.decode()
        assert "Integrity alert" in response.content.decode()

    def test_unknown_action_is_404(self, client, lead_user, evidence):
        client.force_login(lead_user)
        assert client.get(f"/evidence/{evidence.reference}/custody/stolen/").status_code == 404

    def test_verify_returns_the_result_fragment_for_htmx(self, client, invited_user, evidence):
        client.force_login(invited_user)
        response = client.post(f"/evidence/{evidence.reference}/verify/", HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200 and "Chain verified" in html
        assert evidence.custody_head in html
        assert "<html" not in html

    def test_verify_shows_the_broken_link(self, client, lead_user, evidence, tamper):
        tamper(
            "UPDATE incidents_custodyevent SET purpose = 'x' WHERE evidence_id = %s",
            [evidence.pk],
        )
        client.force_login(lead_user)
        html = client.post(f"/evidence/{evidence.reference}/verify/").content.decode()
        assert "Chain broken" in html and "Step 1: entry hash expected" in html

    def test_download_sends_the_file_and_adds_an_access_step(
        self, client, invited_user, incident, lead_user, make_evidence
    ):
        from tests.evidence.conftest import upload_of

        item = make_evidence(incident, lead_user, upload=upload_of())
        client.force_login(invited_user)
        response = client.post(f"/evidence/{item.reference}/download/")
        body = b"".join(response.streaming_content)
        assert hashlib.sha256(body).hexdigest() == CONTENT_SHA256
        assert 'filename="fs02.dd"' in response["Content-Disposition"]
        assert item.custody.order_by("-seq").first().action == CustodyAction.ACCESSED


def test_report_shows_both_parties_hashes_and_the_final_chain_hash(
    client, lead_user, invited_user, invited_agency, lead_agency, evidence
):
    actions.record_custody_event(
        evidence, lead_user, CustodyAction.TRANSFERRED, to_agency=invited_agency, purpose="x"
    )
    actions.record_custody_event(evidence, invited_user, CustodyAction.RECEIVED)
    client.force_login(invited_user)
    html = client.get(f"/evidence/{evidence.reference}/report/").content.decode()
    evidence.refresh_from_db()
    assert lead_agency.name in html and invited_agency.name in html
    assert CONTENT_SHA256 in html and evidence.custody_head in html
    assert "Chain verified" in html


def test_incident_page_loads_the_panel_lazily(client, lead_user, incident, evidence):
    client.force_login(lead_user)
    html = client.get(incident.get_absolute_url()).content.decode()
    assert f'hx-get="/incidents/{incident.reference}/evidence/panel/"' in html
    assert "ev-panel__item" not in html  # the panel comes with its own request
    panel = client.get(f"/incidents/{incident.reference}/evidence/panel/").content.decode()
    assert evidence.reference in panel and "Log evidence" in panel


def test_list_filters_by_status(client, lead_user, invited_agency, incident, make_evidence):
    kept = make_evidence(incident, lead_user, title="Kept here")
    moving = make_evidence(incident, lead_user, title="On the road")
    actions.record_custody_event(
        moving, lead_user, CustodyAction.TRANSFERRED, to_agency=invited_agency, purpose="x"
    )
    client.force_login(lead_user)
    html = client.get("/evidence/?status=in_transit").content.decode()
    assert moving.reference in html and kept.reference not in html


def test_long_chain_is_shown_fifty_steps_a_page_oldest_first(client, lead_user, evidence, settings):
    for i in range(55):
        actions.record_custody_event(
            evidence, lead_user, CustodyAction.ACCESSED, purpose=f"look {i}", location="Lab"
        )
    client.force_login(lead_user)
    first = client.get(evidence.get_absolute_url()).content.decode()
    second = client.get(evidence.get_absolute_url(), {"page": 2}).content.decode()
    assert "56 steps" in first and "56 steps" in second
    assert 'id="step-1"' in first and 'id="step-50"' in first and 'id="step-51"' not in first
    assert 'id="step-51"' in second and 'id="step-56"' in second and 'id="step-1"' not in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_list_says_more_than_when_it_stops_counting(
    client, lead_user, incident, make_evidence, monkeypatch
):
    from incidents.pagination import LookaheadPaginator

    monkeypatch.setattr("incidents.evidence.views.LIST_PAGE_SIZE", 1)
    monkeypatch.setattr(LookaheadPaginator, "lookahead", 1)
    for n in range(4):
        make_evidence(incident, lead_user, title=f"Item {n}")
    client.force_login(lead_user)
    html = client.get("/evidence/").content.decode()
    assert "1–1 of more than 2" in html and 'rel="next"' in html


class TestQueryCounts:
    def _count(self, client, url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def test_detail_and_report_queries_do_not_grow_with_steps(
        self, client, lead_user, evidence, django_assert_max_num_queries
    ):
        client.force_login(lead_user)
        pages = [evidence.get_absolute_url(), f"/evidence/{evidence.reference}/report/"]
        few = [self._count(client, page) for page in pages]
        for i in range(20):
            actions.record_custody_event(
                evidence, lead_user, CustodyAction.ANALYSED, purpose=f"p{i}", location="Lab"
            )
        for page, budget in zip(pages, few, strict=True):
            with django_assert_max_num_queries(budget):
                client.get(page)

    @pytest.mark.parametrize("which", ["all", "incident", "panel"])
    def test_list_queries_do_not_grow_with_items(
        self, client, lead_user, incident, make_evidence, django_assert_max_num_queries, which
    ):
        url = {
            "all": "/evidence/",
            "incident": f"/incidents/{incident.reference}/evidence/",
            "panel": f"/incidents/{incident.reference}/evidence/panel/",
        }[which]
        client.force_login(lead_user)
        make_evidence(incident, lead_user)
        few = self._count(client, url)
        for _ in range(12):
            make_evidence(incident, lead_user)
        with django_assert_max_num_queries(few):
            client.get(url)
        assert few <= 10


def test_upload_by_someone_who_may_not_log_leaves_no_part_file(
    client, incident, lead_user, _media_root
):
    from accounts.choices import Role
    from incidents import actions as incident_actions
    from incidents.choices import ParticipationRole
    from tests.factories import AgencyFactory, UserFactory

    observer_agency = AgencyFactory(country="NL", short_name="NHTCU")
    incident_actions.share_incident(
        incident, observer_agency, ParticipationRole.OBSERVER, lead_user
    )
    client.force_login(UserFactory(agency=observer_agency, role=Role.INVESTIGATOR))
    upload = SimpleUploadedFile("laptop.e01", CONTENT)
    response = client.post(new_url(incident), {**form_data(), "file": upload})
    assert response.status_code == 403
    incoming = _media_root / "evidence/incoming"
    assert not incoming.exists() or not list(incoming.iterdir())


def test_report_pdf_names_both_parties_the_hashes_and_the_verdict(
    client, lead_user, invited_user, invited_agency, lead_agency, evidence
):
    import io

    from pypdf import PdfReader

    actions.record_custody_event(
        evidence, lead_user, CustodyAction.TRANSFERRED, to_agency=invited_agency, purpose="x"
    )
    actions.record_custody_event(evidence, invited_user, CustodyAction.RECEIVED)
    client.force_login(invited_user)
    response = client.get(f"/evidence/{evidence.reference}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        f'filename="{evidence.reference}-chain-of-custody.pdf"' in response["Content-Disposition"]
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = " ".join(text.split())
    evidence.refresh_from_db()
    assert lead_agency.name in flat and invited_agency.name in flat
    assert "Chain verified" in flat
    assert CONTENT_SHA256 in flat.replace(" ", "")
    assert evidence.custody_head in flat.replace(" ", "")
