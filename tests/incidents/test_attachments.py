"""Files attached to timeline entries: stored hashed, seen at the entry's TLP, downloaded
as attachments, refused past the upload limit, promoted to evidence with custody."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import actions
from incidents.choices import TLP, TimelineKind
from incidents.evidence import actions as evidence_actions
from incidents.evidence import storage
from incidents.evidence.choices import CustodyAction, EvidenceKind
from incidents.models import EntryAttachment, Evidence, TimelineEntry

pytestmark = pytest.mark.django_db

NOTE = b"YOUR FILES ARE ENCRYPTED. Contact us at leak.example within 72 hours.\n"
SCREENSHOT = b"\x89PNG\r\n\x1a\n fake screenshot bytes"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(name="ransom-note.txt", content=NOTE, content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def timeline_api(incident):
    return f"/api/v1/incidents/{incident.reference}/timeline/"


def promote_fields(**overrides):
    from django.utils import timezone

    fields = {
        "title": "Ransom note",
        "kind": EvidenceKind.DOCUMENT,
        "description": "",
        "acquired_at": timezone.now(),
        "acquired_by_name": "KHK Weber",
        "acquired_where": "Concord",
        "acquisition_method": "",
        "seal_number": "",
    }
    fields.update(overrides)
    return fields


class TestUpload:
    def test_entry_form_stores_several_files_by_their_hash(self, client, incident, lead_user):
        client.force_login(lead_user)

        response = client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {
                "body": "Ransom note and screenshot from FS-02.",
                "tlp": TLP.AMBER,
                "attachments": [upload(), upload("screen.png", SCREENSHOT, "image/png")],
            },
        )

        assert response.status_code == 302
        entry = TimelineEntry.objects.filter(body__startswith="Ransom note").get()
        stored = {a.file_name: a for a in entry.attachments.all()}
        assert set(stored) == {"ransom-note.txt", "screen.png"}
        note = stored["ransom-note.txt"]
        assert note.sha256 == hashlib.sha256(NOTE).hexdigest()
        assert note.size == len(NOTE)
        assert note.uploaded_by == lead_user
        assert storage.absolute(note.file_path).read_bytes() == NOTE

    def test_too_large_is_refused_with_a_form_error_and_nothing_stored(
        self, client, incident, lead_user, settings
    ):
        settings.EVIDENCE_MAX_UPLOAD_BYTES = 40
        client.force_login(lead_user)

        response = client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {"body": "Too big", "attachments": [upload()]},
        )

        assert response.status_code == 413
        html = response.content.decode()
        assert 'id="id_attachments_error"' in html
        assert "the most one entry may carry" in html
        assert not TimelineEntry.objects.filter(body="Too big").exists()
        assert not EntryAttachment.objects.exists()
        assert not [p for p in settings.MEDIA_ROOT.glob("**/*") if p.is_file()]

    def test_files_together_count_against_the_limit(self, incident, lead_user, settings):
        settings.EVIDENCE_MAX_UPLOAD_BYTES = len(NOTE) + 10
        with pytest.raises(ValidationError) as exc:
            actions.add_timeline_entry(
                incident, lead_user, "Two notes", attachments=[upload(), upload("b.txt")]
            )
        assert "attachments" in exc.value.message_dict
        assert not EntryAttachment.objects.exists()

    def test_attachments_count_against_the_agency_quota(self, incident, lead_user, settings):
        settings.EVIDENCE_AGENCY_QUOTA_BYTES = len(NOTE) + 10
        actions.add_timeline_entry(incident, lead_user, "One", attachments=[upload()])
        assert evidence_actions.agency_storage_used(lead_user.agency_id) == len(NOTE)
        with pytest.raises(ValidationError) as exc:
            actions.add_timeline_entry(
                incident, lead_user, "Two", attachments=[upload("b.txt", NOTE + b"more")]
            )
        assert "attachments" in exc.value.message_dict

    def test_observer_cannot_attach(self, client, incident, lead_user, outsider):
        client.force_login(outsider)
        response = client.post(
            reverse("incidents:timeline_add", args=[incident.reference]),
            {"body": "x", "attachments": [upload()]},
        )
        assert response.status_code == 404
        assert not EntryAttachment.objects.exists()


class TestVisibilityAndDownload:
    def test_download_headers(self, client, incident, lead_user, invited_user):
        entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
        attachment = entry.attachments.get()
        client.force_login(invited_user)

        response = client.get(reverse("incidents:attachment", args=[attachment.pk]))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == NOTE
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "ransom-note.txt" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_red_entry_attachment_is_invisible_to_who_is_not_named(
        self, client, api_login, incident, lead_user, invited_user, invited_agency
    ):
        from tests.factories import UserFactory

        named = UserFactory(agency=invited_agency, role=invited_user.role)
        entry = actions.add_timeline_entry(
            incident, lead_user, "Red", tlp=TLP.RED, audience=[named], attachments=[upload()]
        )
        attachment = entry.attachments.get()
        url = reverse("incidents:attachment", args=[attachment.pk])
        api_url = f"{timeline_api(incident)}{entry.pk}/attachments/{attachment.pk}/"

        client.force_login(invited_user)
        assert client.get(url).status_code == 404
        assert api_login(invited_user).get(api_url).status_code == 404
        client.force_login(named)
        assert client.get(url).status_code == 200
        assert api_login(named).get(api_url).status_code == 200

    def test_amber_strict_entry_attachment_stays_in_the_authors_agency(
        self, client, incident, lead_user, invited_user
    ):
        entry = actions.add_timeline_entry(
            incident, invited_user, "Ours", tlp=TLP.AMBER_STRICT, attachments=[upload()]
        )
        url = reverse("incidents:attachment", args=[entry.attachments.get().pk])
        client.force_login(lead_user)
        assert client.get(url).status_code == 404
        client.force_login(invited_user)
        assert client.get(url).status_code == 200

    def test_outsider_and_anonymous(self, client, incident, lead_user, outsider):
        entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
        url = reverse("incidents:attachment", args=[entry.attachments.get().pk])
        assert client.get(url).status_code == 302  # to the sign-in page
        client.force_login(outsider)
        assert client.get(url).status_code == 404

    def test_api_lists_attachments_with_the_entry_and_takes_multipart(
        self, api_login, incident, lead_user
    ):
        client = api_login(lead_user)

        response = client.post(
            timeline_api(incident),
            {"body": "Phishing email", "attachments": [upload("mail.eml", b"From: x")]},
            format="multipart",
        )

        assert response.status_code == 201, response.content
        (item,) = response.json()["attachments"]
        assert item["file_name"] == "mail.eml"
        assert item["sha256"] == hashlib.sha256(b"From: x").hexdigest()
        assert item["evidence"] is None
        download = client.get(item["url"])
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == b"From: x"
        listed = client.get(timeline_api(incident)).json()["results"][0]
        assert listed["attachments"][0]["id"] == item["id"]

    def test_detail_queries_do_not_grow_with_attachments(self, client, incident, lead_user):
        def seed(n):
            for i in range(n):
                actions.add_timeline_entry(
                    incident,
                    lead_user,
                    f"Note {i}",
                    attachments=[upload(f"a{i}.txt", b"a%d" % i), upload(f"b{i}.txt", b"b%d" % i)],
                )

        client.force_login(lead_user)
        seed(2)
        client.get(incident.get_absolute_url())  # the agency's tag suggestions are now cached
        with CaptureQueriesContext(connection) as ctx:
            client.get(incident.get_absolute_url())
        few = len(ctx.captured_queries)  # read now: the next request empties the query log
        seed(10)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(incident.get_absolute_url())
        assert len(ctx.captured_queries) == few
        assert "a9.txt" in response.content.decode()


class TestPromotion:
    def test_promotion_logs_an_item_with_the_same_hash_and_custody(self, incident, lead_user):
        entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
        attachment = entry.attachments.get()

        item = evidence_actions.promote_attachment(attachment, lead_user, **promote_fields())

        assert item.sha256 == attachment.sha256 == hashlib.sha256(NOTE).hexdigest()
        assert item.file_path == attachment.file_path
        assert item.size == len(NOTE)
        assert [e.action for e in item.custody.all()] == [CustodyAction.ACQUIRED]
        attachment.refresh_from_db()
        assert attachment.evidence == item
        assert Evidence.objects.get(pk=item.pk).source_attachment == attachment
        last = incident.timeline.order_by("-pk").first()
        assert last.kind == TimelineKind.EVIDENCE and item.reference in last.body

    def test_promoted_once(self, incident, lead_user):
        entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
        attachment = entry.attachments.get()
        evidence_actions.promote_attachment(attachment, lead_user, **promote_fields())
        with pytest.raises(ValidationError):
            evidence_actions.promote_attachment(
                EntryAttachment.objects.get(pk=attachment.pk), lead_user, **promote_fields()
            )
        assert Evidence.objects.count() == 1

    @pytest.mark.parametrize("tlp", [TLP.RED, TLP.AMBER_STRICT])
    def test_narrow_tlp_attachments_are_not_promoted(self, incident, lead_user, tlp):
        entry = actions.add_timeline_entry(
            incident, lead_user, "Secret", tlp=tlp, attachments=[upload()]
        )
        with pytest.raises(ValidationError):
            evidence_actions.promote_attachment(
                entry.attachments.get(), lead_user, **promote_fields()
            )
        assert not Evidence.objects.exists()

    def test_promote_page(self, client, incident, lead_user):
        entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
        attachment = entry.attachments.get()
        url = reverse("incidents:attachment_promote", args=[attachment.pk])
        client.force_login(lead_user)

        form = client.get(url)
        assert form.status_code == 200
        assert 'value="ransom-note.txt"' in form.content.decode()
        response = client.post(
            url,
            {
                "title": "Ransom note",
                "kind": EvidenceKind.DOCUMENT,
                "acquired_at": "2026-01-05T10:00",
                "acquired_by_name": "KHK Weber",
                "acquired_where": "Concord",
            },
        )

        item = Evidence.objects.get()
        assert response.status_code == 302
        assert response["Location"] == item.get_absolute_url()
        assert item.sha256 == attachment.sha256
        page = client.get(item.get_absolute_url()).content.decode()
        assert f"#attachment-{attachment.pk}" in page

    def test_promote_page_missing_fields_answer_400_beside_them(self, client, incident, lead_user):
        entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
        client.force_login(lead_user)
        response = client.post(
            reverse("incidents:attachment_promote", args=[entry.attachments.get().pk]),
            {"title": ""},
        )
        assert response.status_code == 400
        assert 'id="id_title_error"' in response.content.decode()
        assert not Evidence.objects.exists()

    def test_who_may_not_log_evidence_is_refused(
        self, client, incident, lead_user, invited_agency, outsider
    ):
        from accounts.choices import Role
        from tests.factories import UserFactory

        entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
        url = reverse("incidents:attachment_promote", args=[entry.attachments.get().pk])
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        reader = UserFactory(agency=invited_agency, role=Role.AGENCY_ADMIN)
        client.force_login(reader)
        assert client.get(url).status_code == 403
        assert not Evidence.objects.exists()


def test_pruning_unreferenced_files_keeps_attachments(incident, lead_user):
    import io
    import os
    import time

    from django.core.management import call_command

    entry = actions.add_timeline_entry(incident, lead_user, "Note", attachments=[upload()])
    path = storage.absolute(entry.attachments.get().file_path)
    old = time.time() - 48 * 3600
    os.utime(path, (old, old))

    call_command("prune_evidence_files", stdout=io.StringIO())

    assert path.read_bytes() == NOTE
