"""The hash chain: canonical form, and verification naming the first broken link.

Tampering is written with raw SQL, as an attacker with database access would; on
PostgreSQL the append-only trigger is disabled for it inside the test's transaction.
"""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from incidents.evidence import actions, chain
from incidents.evidence.choices import CustodyAction
from incidents.models import CustodyEvent
from tests.evidence.conftest import CONTENT_SHA256

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_chain(evidence, lead_user):
    for i in range(5):
        actions.record_custody_event(
            evidence, lead_user, CustodyAction.ANALYSED, purpose=f"Pass {i}", location="Lab 2"
        )
    evidence.refresh_from_db()
    return evidence


def row(evidence, seq):
    return CustodyEvent.objects.get(evidence=evidence, seq=seq)


def test_canonical_json_is_sorted_compact_utf8_and_times_in_utc(evidence):
    import json

    event = row(evidence, 1)
    data = chain.canonical_json(evidence.reference, chain.event_values(event))
    document = json.loads(data.decode("utf-8"))
    assert list(document) == sorted(document)
    assert data == json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert document["evidence"] == evidence.reference
    assert document["occurred_at"].endswith("Z") and document["recorded_at"].endswith("Z")
    assert set(chain.HASHED_FIELDS) <= set(document)


def test_entry_hash_is_sha256_of_previous_hash_and_canonical_json(evidence):
    import hashlib

    event = row(evidence, 1)
    expected = hashlib.sha256(
        CONTENT_SHA256.encode()
        + chain.canonical_json(evidence.reference, chain.event_values(event))
    ).hexdigest()
    assert event.entry_hash == expected


def test_intact_chain_verifies_with_its_final_hash(long_chain):
    result = chain.verify(long_chain)
    assert result.ok
    assert result.length == 6
    assert result.final_hash == long_chain.custody_head


def test_custody_chain_detects_edited_row(long_chain, tamper):
    tamper(
        "UPDATE incidents_custodyevent SET location = %s WHERE evidence_id = %s AND seq = 3",
        ["Somewhere else", long_chain.pk],
    )
    result = chain.verify(long_chain)
    assert not result.ok
    assert (result.broken.seq, result.broken.what) == (3, "entry_hash")
    assert result.broken.found == row(long_chain, 3).entry_hash
    assert result.broken.expected != result.broken.found


def test_custody_chain_detects_deleted_row(long_chain, tamper):
    tamper("DELETE FROM incidents_custodyevent WHERE evidence_id = %s AND seq = 4", [long_chain.pk])
    result = chain.verify(long_chain)
    assert (result.broken.seq, result.broken.what) == (4, "seq")
    assert (result.broken.expected, result.broken.found) == ("4", "5")


def test_custody_chain_detects_deleted_last_row(long_chain, tamper):
    tamper("DELETE FROM incidents_custodyevent WHERE evidence_id = %s AND seq = 6", [long_chain.pk])
    result = chain.verify(long_chain)
    assert (result.broken.seq, result.broken.what) == (6, "head")


def test_custody_chain_detects_reordered_rows(long_chain, tamper):
    # Swap steps 2 and 3 (through a free number: (evidence, seq) is unique).
    for old, new in ((2, 1000), (3, 2), (1000, 3)):
        tamper(
            "UPDATE incidents_custodyevent SET seq = %s WHERE evidence_id = %s AND seq = %s",
            [new, long_chain.pk, old],
        )
    result = chain.verify(long_chain)
    assert (result.broken.seq, result.broken.what) == (2, "prev_hash")


def test_custody_chain_detects_forged_hash(long_chain, tamper):
    forged = "0" * 64
    tamper(
        "UPDATE incidents_custodyevent SET entry_hash = %s WHERE evidence_id = %s AND seq = 5",
        [forged, long_chain.pk],
    )
    result = chain.verify(long_chain)
    assert (result.broken.seq, result.broken.what, result.broken.found) == (
        5,
        "entry_hash",
        forged,
    )


def test_custody_chain_detects_a_rewritten_chain_that_no_longer_starts_at_the_item_hash(
    long_chain, tamper
):
    tamper(
        "UPDATE incidents_custodyevent SET prev_hash = %s WHERE evidence_id = %s AND seq = 1",
        ["1" * 64, long_chain.pk],
    )
    result = chain.verify(long_chain)
    assert (result.broken.seq, result.broken.what) == (1, "prev_hash")
    assert result.broken.expected == CONTENT_SHA256


def test_broken_link_is_described_for_people(long_chain, tamper):
    tamper(
        "UPDATE incidents_custodyevent SET purpose = 'x' WHERE evidence_id = %s AND seq = 2",
        [long_chain.pk],
    )
    text = chain.verify(long_chain).broken.describe()
    assert text.startswith("Step 2: entry hash expected")


@pytest.mark.postgres
def test_postgres_trigger_refuses_update_and_delete_of_custody_rows(require_postgres, evidence):
    for sql in (
        "UPDATE incidents_custodyevent SET purpose = 'x' WHERE evidence_id = %s",
        "DELETE FROM incidents_custodyevent WHERE evidence_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [evidence.pk])
    assert evidence.custody.count() == 1


class TestCommand:
    def test_verify_custody_reports_every_item_intact(self, long_chain, capsys):
        call_command("verify_custody")
        out = capsys.readouterr().out
        assert long_chain.reference in out and "intact" in out

    def test_verify_custody_names_the_first_broken_link_and_fails(self, long_chain, tamper):
        tamper(
            "UPDATE incidents_custodyevent SET notes = 'x' WHERE evidence_id = %s AND seq = 2",
            [long_chain.pk],
        )
        with pytest.raises(SystemExit) as exc:
            call_command("verify_custody", "--incident", long_chain.incident.reference)
        assert exc.value.code == 1

    def test_verify_custody_refuses_an_unknown_incident(self, long_chain):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError):
            call_command("verify_custody", "--incident", "CC-1999-000001")
