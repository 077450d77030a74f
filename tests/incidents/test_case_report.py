"""The case report (PDF and JSON, page and API) holds what its reader may see and no more,
carries its highest TLP on every page, answers 404 to an agency the case is not shared
with, and leaves an audit record of the disclosure."""

import io

import pytest
from pypdf import PdfReader

from coordination.assistance import actions as request_actions
from coordination.audit import recorder
from coordination.audit.models import AuditRecord
from coordination.intel import actions as intel_actions
from incidents import actions
from incidents.choices import TLP
from incidents.evidence import actions as evidence_actions
from tests.assistance.conftest import (  # noqa: F401
    DATA,
    complete_fields,
    nl_agency,
)
from tests.evidence.conftest import evidence_fields

pytestmark = pytest.mark.django_db

RED_NOTE = "Informant named Vogel confirms the leak site"
STRICT_DOMAIN = "strict-only.example"
SHARED_DOMAIN = "shared-c2.example"


@pytest.fixture
def case(incident, lead_user, settings, tmp_path):
    """A case with content for everyone, a RED entry and an AMBER+STRICT indicator of the
    lead agency, an evidence item and a draft request of the lead agency."""
    settings.MEDIA_ROOT = tmp_path / "media"
    actions.add_timeline_entry(incident, lead_user, "Servers isolated at 09:10.")
    actions.add_timeline_entry(incident, lead_user, RED_NOTE, tlp=TLP.RED)
    intel_actions.add_indicator(incident, lead_user, value=SHARED_DOMAIN)
    intel_actions.add_indicator(incident, lead_user, value=STRICT_DOMAIN, tlp=TLP.AMBER_STRICT)
    evidence_actions.create_evidence(
        incident,
        lead_user,
        **evidence_fields(acquired_where="Rechenzentrum der Universitätsklinik Mainz"),
    )
    return incident


def pdf_pages(content):
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def sections(body):
    return {section["key"]: section["rows"] for section in body["sections"]}


class TestContentFollowsTlp:
    def test_lead_member_reads_the_red_entry_and_the_strict_indicator(
        self, client, lead_user, case
    ):
        client.force_login(lead_user)
        body = client.get(f"/incidents/{case.reference}/report.json").json()
        rows = sections(body)
        assert RED_NOTE in [row["text"] for row in rows["timeline"]]
        assert STRICT_DOMAIN in [row["value"] for row in rows["indicators"]]
        assert body["tlp"] == TLP.RED  # the highest marking it holds

        text = " ".join(pdf_pages(client.get(f"/incidents/{case.reference}/report.pdf").content))
        assert RED_NOTE in text and STRICT_DOMAIN in text

    def test_invited_agency_reads_neither(self, client, invited_user, case):
        client.force_login(invited_user)
        body = client.get(f"/incidents/{case.reference}/report.json").json()
        rows = sections(body)
        texts = [row["text"] for row in rows["timeline"]]
        values = [row["value"] for row in rows["indicators"]]
        assert "Servers isolated at 09:10." in texts and RED_NOTE not in texts
        assert SHARED_DOMAIN in values and STRICT_DOMAIN not in values
        assert RED_NOTE not in str(body) and STRICT_DOMAIN not in str(body)
        assert body["tlp"] == TLP.AMBER

        text = " ".join(pdf_pages(client.get(f"/incidents/{case.reference}/report.pdf").content))
        assert SHARED_DOMAIN in text
        assert RED_NOTE not in text and STRICT_DOMAIN not in text

    def test_api_report_follows_the_same_rules(self, api_login, lead_user, invited_user, case):
        url = f"/api/v1/incidents/{case.reference}/report/"
        lead = api_login(lead_user).get(url).json()
        assert STRICT_DOMAIN in str(sections(lead)["indicators"])
        invited = api_login(invited_user).get(url).json()
        assert STRICT_DOMAIN not in str(invited) and RED_NOTE not in str(invited)

    def test_api_gives_the_pdf_when_asked(self, api_login, invited_user, case):
        response = api_login(invited_user).get(
            f"/api/v1/incidents/{case.reference}/report/", HTTP_ACCEPT="application/pdf"
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")

    def test_draft_request_of_the_lead_stays_inside_its_agency(
        self,
        client,
        lead_user,
        invited_user,
        case,
        nl_agency,  # noqa: F811 - the fixture, imported above
    ):
        draft = request_actions.create_request(
            lead_user,
            incident=case,
            data_sought=DATA,
            **complete_fields(receiving_agency=nl_agency),
        )
        client.force_login(lead_user)
        lead = sections(client.get(f"/incidents/{case.reference}/report.json").json())
        assert [row["reference"] for row in lead["requests"]] == [draft.reference]
        client.force_login(invited_user)
        invited = sections(client.get(f"/incidents/{case.reference}/report.json").json())
        assert invited["requests"] == []


class TestPdf:
    def test_highest_tlp_and_page_x_of_n_on_every_page(self, client, lead_user, case):
        for i in range(40):  # enough entries for several pages
            actions.add_timeline_entry(case, lead_user, f"Log review step {i}: nothing new.")
        client.force_login(lead_user)
        pages = pdf_pages(client.get(f"/incidents/{case.reference}/report.pdf").content)
        assert len(pages) > 1
        for number, page in enumerate(pages, start=1):
            assert page.count("TLP:RED") >= 2, number  # header and footer
            assert f"Page {number} of {len(pages)}" in page

    def test_custody_status_and_long_values_are_shown_whole(self, client, lead_user, case):
        lead_user.agency.name = "Bundesamt für Sicherheit in der Informationstechnik"
        lead_user.agency.save()
        client.force_login(lead_user)
        text = " ".join(pdf_pages(client.get(f"/incidents/{case.reference}/report.pdf").content))
        assert "Informationstechnik" in text.split()
        assert "Evidence register" in text and "In custody" in text


class TestAuthorisation:
    @pytest.mark.parametrize("suffix", ["report.pdf", "report.json"])
    def test_agency_without_a_share_gets_404(self, client, outsider, case, suffix):
        client.force_login(outsider)
        assert client.get(f"/incidents/{case.reference}/{suffix}").status_code == 404

    def test_api_agency_without_a_share_gets_404(self, api_login, outsider, case):
        response = api_login(outsider).get(f"/api/v1/incidents/{case.reference}/report/")
        assert response.status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, client, case):
        response = client.get(f"/incidents/{case.reference}/report.pdf")
        assert response.status_code == 302 and "login" in response["Location"]

    def test_incident_page_links_to_the_report(self, client, invited_user, case):
        client.force_login(invited_user)
        html = client.get(case.get_absolute_url()).content.decode()
        assert f"/incidents/{case.reference}/report.pdf" in html
        assert f"/incidents/{case.reference}/report.json" in html


def test_a_download_is_recorded_as_an_export(client, invited_user, case):
    client.force_login(invited_user)
    client.get(f"/incidents/{case.reference}/report.pdf")
    recorder.flush()
    record = AuditRecord.objects.get(actor_id=invited_user.pk, action="exported")
    assert (record.object_type, record.object_ref) == ("incident", case.reference)


def test_report_queries_do_not_grow_with_content(
    client, lead_user, case, django_assert_max_num_queries
):
    for i in range(10):
        actions.add_timeline_entry(case, lead_user, f"Entry {i}")
        intel_actions.add_indicator(case, lead_user, value=f"host{i}.example")
    client.force_login(lead_user)
    with django_assert_max_num_queries(30):
        client.get(f"/incidents/{case.reference}/report.json")
