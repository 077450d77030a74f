"""The audit trail's hash chain: append, verify, tampering found, purge keeps it verifiable."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from coordination.audit import chain, record, recorder
from coordination.audit.choices import AuditAction, Category
from coordination.audit.models import AuditAnchor, AuditRecord
from coordination.audit.retention import purge_before


def test_records_chain_from_genesis_and_verify(lead_user):
    first = record(AuditAction.SIGN_IN, actor=lead_user, target=lead_user)
    second = record(AuditAction.PASSWORD_CHANGED, actor=lead_user, target=lead_user)

    assert first.prev_hash == chain.GENESIS
    assert second.prev_hash == first.entry_hash
    assert second.seq == first.seq + 1
    assert first.category == Category.SECURITY
    assert first.agency_id == lead_user.agency_id
    assert chain.verify().ok


def test_altered_record_is_found_by_verify(lead_user, require_postgres):
    record(AuditAction.SIGN_IN, actor=lead_user)
    victim = record(AuditAction.EXPORTED, actor=lead_user, object_type="incident", object_ref="X")
    record(AuditAction.SIGN_OUT, actor=lead_user)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER auditrecord_append_only")
        cursor.execute(
            "UPDATE audit_auditrecord SET recipient = 'nobody' WHERE seq = %s", [victim.seq]
        )
        cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER auditrecord_append_only")

    result = chain.verify()

    assert not result.ok
    assert result.broken_seq == victim.seq
    assert "altered" in result.problem


def test_removed_record_is_found_by_verify(lead_user):
    record(AuditAction.SIGN_IN, actor=lead_user)
    middle = record(AuditAction.SIGN_OUT, actor=lead_user)
    record(AuditAction.SIGN_IN, actor=lead_user)
    AuditRecord.objects.filter(pk=middle.pk)._raw_delete(connection.alias) if (
        connection.vendor != "postgresql"
    ) else _delete_bypassing_trigger(middle.seq)

    result = chain.verify()

    assert not result.ok
    assert result.broken_seq == middle.seq


def _delete_bypassing_trigger(seq):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER auditrecord_append_only")
        cursor.execute("DELETE FROM audit_auditrecord WHERE seq = %s", [seq])
        cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER auditrecord_append_only")


def test_last_record_removed_is_found_by_verify(lead_user):
    record(AuditAction.SIGN_IN, actor=lead_user)
    last = record(AuditAction.SIGN_OUT, actor=lead_user)
    if connection.vendor == "postgresql":
        _delete_bypassing_trigger(last.seq)
    else:
        AuditRecord.objects.filter(pk=last.pk)._raw_delete(connection.alias)

    assert not chain.verify().ok


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditrecord SET recipient = 'x'", "DELETE FROM audit_auditrecord"]
)
def test_database_refuses_to_change_records(lead_user, require_postgres, statement):
    record(AuditAction.SIGN_IN, actor=lead_user)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_model_refuses_to_change_records(lead_user):
    item = record(AuditAction.SIGN_IN, actor=lead_user)
    with pytest.raises(ValueError):
        item.save()
    with pytest.raises(ValueError):
        item.delete()


def test_purge_keeps_the_remaining_chain_verifiable(lead_user):
    old = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    for _ in range(3):
        recorder.append([recorder.event(AuditAction.SIGN_IN, actor=lead_user, at=old)])
    kept = record(AuditAction.SIGN_OUT, actor=lead_user)

    removed = purge_before(datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC))

    assert removed == 3
    assert AuditAnchor.objects.get().seq == 3
    assert AuditRecord.objects.filter(seq__lte=3).count() == 0
    assert AuditRecord.objects.filter(pk=kept.pk).exists()
    assert AuditRecord.objects.filter(action=AuditAction.AUDIT_PURGED).exists()
    assert chain.verify().ok


def test_verify_command_exits_non_zero_on_a_broken_chain(lead_user, capsys):
    record(AuditAction.SIGN_IN, actor=lead_user)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out
    last = record(AuditAction.SIGN_OUT, actor=lead_user)
    if connection.vendor == "postgresql":
        _delete_bypassing_trigger(last.seq)
    else:
        AuditRecord.objects.filter(pk=last.pk)._raw_delete(connection.alias)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    assert "BROKEN" in capsys.readouterr().out


def test_event_appended_twice_is_kept_once(lead_user):
    event = recorder.event(
        AuditAction.VIEWED, actor=lead_user, object_type="incident", object_ref="CC-1"
    )
    recorder.append([event])
    recorder.append([event])
    assert AuditRecord.objects.filter(event_id=event["event_id"]).count() == 1
    assert chain.verify().ok


def test_consulted_object_names_its_owning_agency(incident, invited_user):
    item = record(
        AuditAction.VIEWED,
        actor=invited_user,
        object_type="incident",
        object_ref=incident.reference,
    )
    assert item.agency_id == incident.lead_agency_id
    assert item.actor_agency_id == invited_user.agency_id


def test_sharing_and_removing_an_agency_is_recorded(incident, lead_user, other_agency):
    from incidents.actions import remove_participation, share_incident
    from incidents.choices import ParticipationRole

    participation = share_incident(incident, other_agency, ParticipationRole.OBSERVER, lead_user)
    remove_participation(participation, lead_user, "not needed")

    shared = AuditRecord.objects.get(
        action=AuditAction.INCIDENT_SHARED, recipient__startswith="CCN"
    )
    assert shared.category == Category.DISCLOSURE
    assert shared.agency_id == incident.lead_agency_id
    removed = AuditRecord.objects.get(action=AuditAction.PARTICIPATION_REMOVED)
    assert removed.recipient == "CCN-CERT (ES)"
