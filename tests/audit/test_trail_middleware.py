"""Consultations and exports leave their records, through the buffer when Redis is there."""

import pytest
from django.urls import reverse

from coordination.audit import recorder
from coordination.audit.choices import AuditAction, Category
from coordination.audit.models import AuditRecord


def _flushed():
    recorder.flush()
    return AuditRecord.objects.all()


def test_incident_page_records_consultation_with_owner(login, incident, invited_user):
    response = login(invited_user).get(reverse("incidents:detail", args=[incident.reference]))

    assert response.status_code == 200
    item = _flushed().get(action=AuditAction.VIEWED)
    assert item.category == Category.CONSULTATION
    assert (item.object_type, item.object_ref) == ("incident", incident.reference)
    assert item.actor_id == invited_user.pk
    assert item.actor_agency_id == invited_user.agency_id
    assert item.agency_id == incident.lead_agency_id


def test_refused_page_records_nothing(login, incident, outsider):
    response = login(outsider).get(reverse("incidents:detail", args=[incident.reference]))

    assert response.status_code == 404
    assert not _flushed().filter(action=AuditAction.VIEWED).exists()


def test_stix_download_records_disclosure_with_recipient(login, incident, lead_user):
    response = login(lead_user).get(reverse("exchange:incident_stix", args=[incident.reference]))

    assert response.status_code == 200
    item = _flushed().get(action=AuditAction.EXPORTED)
    assert item.category == Category.DISCLOSURE
    assert item.recipient == lead_user.username


def test_api_list_read_records_its_filters(api_login, incident, lead_user):
    response = api_login(lead_user).get("/api/v1/incidents/?status=open")

    assert response.status_code == 200
    item = _flushed().get(action=AuditAction.VIEWED)
    assert item.object_type == "incident list"
    assert item.details == {"query": "status=open"}
    assert item.via == "api"


def test_buffered_records_wait_in_redis_until_flushed(settings, login, incident, lead_user):
    if recorder.buffer_client() is None:
        pytest.skip("no Redis buffer configured (REDIS_URL)")
    login(lead_user).get(reverse("incidents:detail", args=[incident.reference]))

    assert recorder.pending() == 1
    assert not AuditRecord.objects.filter(action=AuditAction.VIEWED).exists()
    assert recorder.flush() == 1
    assert recorder.pending() == 0


def test_consultation_names_the_readers_part_in_the_case(login, incident, invited_user):
    login(invited_user).get(reverse("incidents:detail", args=[incident.reference]))

    item = _flushed().get(action=AuditAction.VIEWED)
    assert item.justification == f"contributor agency of {incident.reference}"


def test_given_justification_is_kept(incident, lead_user):
    from coordination.audit import record

    item = record(
        AuditAction.DOWNLOADED,
        actor=lead_user,
        object_type="incident",
        object_ref=incident.reference,
        justification="forensic analysis",
    )
    assert item.justification == "forensic analysis"


def test_a_page_and_its_fragments_make_one_record(login, incident, lead_user):
    client = login(lead_user)
    for name in ("incidents:detail", "intel:panel", "evidence:incident_panel"):
        assert client.get(reverse(name, args=[incident.reference])).status_code == 200

    item = _flushed().get(action=AuditAction.VIEWED)
    assert item.details["requests"] == 3
    assert len(item.details["paths"]) == 3


def test_planted_buffer_entry_is_refused_not_chained(login, incident, lead_user):
    import json

    client = recorder.buffer_client()
    forged = recorder.event(
        AuditAction.VIEWED, actor=lead_user, object_type="incident", object_ref="CC-FORGED"
    )
    client.rpush(recorder._key(), "0" * 64 + json.dumps(forged))
    login(lead_user).get(reverse("incidents:detail", args=[incident.reference]))

    assert recorder.flush() == 1
    assert not AuditRecord.objects.filter(object_ref="CC-FORGED").exists()
    assert AuditRecord.objects.filter(object_ref=incident.reference).exists()
    client.delete(recorder._key(":refused"))


def test_token_reader_costs_no_query_to_record(
    api_client, incident, lead_user, django_assert_num_queries
):
    from coordination.audit import record_buffered

    user = type(lead_user).objects.get(pk=lead_user.pk)  # agency not loaded
    with django_assert_num_queries(0):
        record_buffered(
            AuditAction.VIEWED, actor=user, object_type="incident", object_ref=incident.reference
        )
    item = _flushed().get(action=AuditAction.VIEWED)
    assert item.actor_agency_name == lead_user.agency.short_name
