"""Evidence API: create (JSON or multipart), custody list and append, verify, file."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.evidence import actions
from incidents.evidence.choices import CustodyAction, EvidenceStatus
from incidents.models import Evidence
from tests.evidence.conftest import CONTENT, CONTENT_SHA256, upload_of

pytestmark = pytest.mark.django_db


def payload(incident, **overrides):
    data = {
        "incident": incident.reference,
        "title": "Mailbox export of the CFO",
        "kind": "email",
        "sha256": CONTENT_SHA256,
        "acquired_at": (timezone.now() - timezone.timedelta(hours=1)).isoformat(),
        "acquired_by_name": "KHK Weber",
        "acquired_where": "Mail server, Frankfurt",
    }
    data.update(overrides)
    return data


def url(item, suffix=""):
    return f"/api/v1/evidence/{item.reference}/{suffix}"


class TestCreate:
    def test_create_by_hash_returns_the_item_with_its_first_step(
        self, api_login, lead_user, incident
    ):
        response = api_login(lead_user).post("/api/v1/evidence/", payload(incident), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["reference"].startswith("EV-") and body["custody_length"] == 1
        assert body["status"] == EvidenceStatus.IN_CUSTODY
        assert "transferred" in body["allowed_custody_actions"]
        assert response["Location"].endswith(f"/api/v1/evidence/{body['reference']}/")

    def test_create_with_a_file_hashes_it(self, api_login, lead_user, incident, _media_root):
        data = payload(incident, sha256="")
        data["file"] = upload_of()
        response = api_login(lead_user).post("/api/v1/evidence/", data, format="multipart")
        assert response.status_code == 201, response.json()
        assert response.json()["sha256"] == CONTENT_SHA256
        assert response.json()["has_file"] is True
        assert not list((_media_root / "evidence/incoming").iterdir())

    def test_file_with_a_different_typed_hash_answers_400_and_stores_nothing(
        self, api_login, lead_user, incident, _media_root
    ):
        data = payload(incident, sha256="b" * 64)
        data["file"] = upload_of()
        response = api_login(lead_user).post("/api/v1/evidence/", data, format="multipart")
        assert response.status_code == 400
        assert CONTENT_SHA256 in response.json()["file"][0]
        assert not Evidence.objects.exists()
        assert not (_media_root / "evidence/objects").exists()
        assert not list((_media_root / "evidence/incoming").iterdir())

    def test_bad_input_answers_400_with_field_messages(self, api_login, lead_user, incident):
        response = api_login(lead_user).post(
            "/api/v1/evidence/",
            payload(incident, kind="floppy", sha256="xyz", acquired_by_name=""),
            format="json",
        )
        assert response.status_code == 400
        assert {"kind", "acquired_by_name"} <= set(response.json())
        response = api_login(lead_user).post(
            "/api/v1/evidence/", payload(incident, sha256="xyz"), format="json"
        )
        assert response.status_code == 400 and "sha256" in response.json()
        assert not Evidence.objects.exists()

    def test_an_incident_the_caller_cannot_see_is_a_field_error(
        self, api_login, outsider, incident
    ):
        response = api_login(outsider).post("/api/v1/evidence/", payload(incident), format="json")
        assert response.status_code == 400 and "incident" in response.json()


class TestCustody:
    def test_list_returns_the_chain_in_order(self, api_login, lead_user, evidence):
        actions.record_custody_event(evidence, lead_user, CustodyAction.ANALYSED, purpose="x")
        response = api_login(lead_user).get(url(evidence, "custody/"))
        assert response.status_code == 200
        steps = response.json()["results"]
        assert [s["seq"] for s in steps] == [1, 2]
        assert steps[1]["prev_hash"] == steps[0]["entry_hash"]

    def test_hand_over_across_agencies(
        self, api_login, lead_user, invited_user, invited_agency, evidence
    ):
        response = api_login(lead_user).post(
            url(evidence, "custody/"),
            {
                "action": "transferred",
                "to_agency": invited_agency.pk,
                "purpose": "Analysis",
                "channel": "Courier",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["to_agency"]["short_name"] == invited_agency.short_name
        response = api_login(invited_user).post(
            url(evidence, "custody/"),
            {"action": "received", "hash_observed": CONTENT_SHA256},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["hash_matches"] is True
        detail = api_login(invited_user).get(url(evidence)).json()
        assert detail["holder_agency"]["id"] == invited_agency.pk

    def test_illegal_action_answers_409_naming_the_allowed_ones(
        self, api_login, lead_user, evidence
    ):
        response = api_login(lead_user).post(
            url(evidence, "custody/"), {"action": "received"}, format="json"
        )
        assert response.status_code == 409
        assert "transferred" in response.json()["allowed"]
        assert evidence.custody.count() == 1

    def test_bad_custody_input_answers_400(self, api_login, lead_user, evidence):
        response = api_login(lead_user).post(
            url(evidence, "custody/"),
            {"action": "transferred", "hash_observed": "nope"},
            format="json",
        )
        assert response.status_code == 400
        assert {"to_agency", "purpose", "hash_observed"} <= set(response.json())
        response = api_login(lead_user).post(
            url(evidence, "custody/"), {"action": "teleported"}, format="json"
        )
        assert response.status_code == 400 and "action" in response.json()
        assert evidence.custody.count() == 1

    def test_verify_reports_an_intact_chain_and_its_final_hash(
        self, api_login, invited_user, evidence
    ):
        response = api_login(invited_user).get(url(evidence, "custody/verify/"))
        assert response.status_code == 200
        body = response.json()
        assert body["ok"] is True and body["first_broken_link"] is None
        assert body["final_hash"] == evidence.custody_head and body["length"] == 1

    def test_verify_names_the_first_broken_link(self, api_login, lead_user, evidence, tamper):
        tamper(
            "UPDATE incidents_custodyevent SET location = 'x' WHERE evidence_id = %s",
            [evidence.pk],
        )
        body = api_login(lead_user).get(url(evidence, "custody/verify/")).json()
        assert body["ok"] is False
        assert body["first_broken_link"]["seq"] == 1
        assert body["first_broken_link"]["what"] == "entry_hash"

    def test_custody_list_queries_do_not_grow_with_steps(
        self, api_login, lead_user, evidence, django_assert_max_num_queries
    ):
        client = api_login(lead_user)

        def count():
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url(evidence, "custody/")).status_code == 200
            return len(ctx.captured_queries)

        few = count()
        for i in range(15):
            actions.record_custody_event(
                evidence, lead_user, CustodyAction.ANALYSED, purpose=f"pass {i}"
            )
        with django_assert_max_num_queries(few):
            client.get(url(evidence, "custody/"))


class TestFile:
    def test_download_returns_the_file_and_logs_an_accessed_step(
        self, api_login, lead_user, invited_user, incident, make_evidence
    ):
        item = make_evidence(incident, lead_user, upload=upload_of())
        response = api_login(invited_user).post(
            url(item, "file/"), {"purpose": "Malware analysis"}, format="json"
        )
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == CONTENT_SHA256
        last = item.custody.order_by("-seq").first()
        assert last.action == CustodyAction.ACCESSED and last.recorded_by == invited_user
        assert last.purpose == "Malware analysis"

    def test_download_without_a_file_is_404(self, api_login, lead_user, evidence):
        assert api_login(lead_user).post(url(evidence, "file/")).status_code == 404

    def test_upload_later_must_match_the_item_hash(self, api_login, lead_user, evidence):
        client = api_login(lead_user)
        response = client.put(
            url(evidence, "file/"), {"file": upload_of(b"other bytes")}, format="multipart"
        )
        assert response.status_code == 400 and "file" in response.json()
        response = client.put(url(evidence, "file/"), {"file": upload_of()}, format="multipart")
        assert response.status_code == 200 and response.json()["has_file"] is True
        assert response.json()["size"] == len(CONTENT)


class TestList:
    def test_filters_by_kind_status_holder_and_incident(
        self, api_login, lead_user, invited_agency, incident, make_evidence
    ):
        disk = make_evidence(incident, lead_user, kind="disk_image")
        mail = make_evidence(incident, lead_user, kind="email", title="Mail export")
        actions.record_custody_event(
            mail, lead_user, CustodyAction.TRANSFERRED, to_agency=invited_agency, purpose="x"
        )
        client = api_login(lead_user)

        def refs(query):
            response = client.get(f"/api/v1/evidence/?{query}")
            assert response.status_code == 200
            return {row["reference"] for row in response.json()["results"]}

        assert refs("kind=disk_image") == {disk.reference}
        assert refs("status=in_transit") == {mail.reference}
        assert refs(f"holder={lead_user.agency_id}") == {disk.reference, mail.reference}
        assert refs(f"incident={incident.reference.lower()}") == {disk.reference, mail.reference}
        assert refs("q=mail") == {mail.reference}

    def test_list_queries_do_not_grow_with_items(
        self, api_login, lead_user, incident, make_evidence, django_assert_max_num_queries
    ):
        client = api_login(lead_user)
        make_evidence(incident, lead_user)
        with CaptureQueriesContext(connection) as ctx:
            client.get("/api/v1/evidence/")
        for _ in range(10):
            make_evidence(incident, lead_user)
        with django_assert_max_num_queries(len(ctx.captured_queries)):
            assert len(client.get("/api/v1/evidence/").json()["results"]) == 11


def test_refused_upload_leaves_no_part_file(api_login, incident, lead_user, _media_root):
    from accounts.choices import Role
    from incidents import actions as incident_actions
    from incidents.choices import ParticipationRole
    from tests.factories import AgencyFactory, UserFactory

    observer_agency = AgencyFactory(country="NL", short_name="NHTCU")
    incident_actions.share_incident(
        incident, observer_agency, ParticipationRole.OBSERVER, lead_user
    )
    observer = UserFactory(agency=observer_agency, role=Role.INVESTIGATOR)
    data = payload(incident, sha256="")
    data["file"] = upload_of()
    response = api_login(observer).post("/api/v1/evidence/", data, format="multipart")
    assert response.status_code == 403
    assert not Evidence.objects.exists()
    incoming = _media_root / "evidence/incoming"
    assert not incoming.exists() or not list(incoming.iterdir())
    assert not (_media_root / "evidence/objects").exists()
