"""Two live nodes (own databases, web servers, workers) hand an evidence item over: fr-node
leads a case shared with an agency of de-node, hands its item over to that agency, de-node
receives it and records a step; the chain verifies end to end on both nodes, and a step
altered by SQL in de-node's database is found there."""

import itertools
import json

import psycopg2
import pytest

from bench.federation_nodes import database_url
from tests.federation.live import (
    add_peers,
    live_nodes,
    wait_for,
)

pytestmark = [pytest.mark.federation, pytest.mark.postgres]

SPECS = [
    ("fr-node", "OFAC Cybercriminalité", "OFAC", "FR"),
    ("de-node", "BKA Cybercrime", "BKA-CC", "DE"),
]
SHA = "ab" * 32

PRELUDE = """
import json
from datetime import timedelta
from django.utils import timezone
from accounts.models import Agency, User
from incidents import actions
from incidents.evidence import actions as evidence
from incidents.exceptions import TransitionNotAllowed
from incidents.models import Evidence, Incident
"""

USER = (
    "User.objects.create_user({username!r}, password='x', agency=Agency.objects.get("
    "short_name={short!r}, node__isnull=True), role='investigator')\n"
)

LEAD_HANDS_OVER = (
    PRELUDE
    + """
lena = User.objects.get(username='lena')
case = actions.create_incident(
    lena, title='Botnet takedown', summary='C2 servers.', category='malicious-code',
    severity='high', tlp='amber')
bka = Agency.objects.get(short_name='BKA-CC', node__name='de-node')
actions.share_incident(case, bka, 'contributor', lena)
item = evidence.create_evidence(
    case, lena, title='C2 server image', kind='disk_image', sha256={sha!r},
    acquired_at=timezone.now() - timedelta(hours=1), acquired_by_name='Lena',
    acquired_where='Paris')
evidence.record_custody_event(item, lena, 'sealed', seal_ids='FR-0001')
evidence.record_custody_event(
    item, lena, 'transferred', to_agency=bka, purpose='Analysis in Wiesbaden', channel='Courier')
print(json.dumps({{'case': case.pk, 'item': item.pk}}))
"""
)

REPLICA_RECEIVES = (
    PRELUDE
    + """
item = Evidence.objects.get(origin_node='fr-node', origin_id={item_id})
hans = User.objects.get(username='hans')
before = evidence.allowed_custody_actions(item, hans)
evidence.record_custody_event(item, hans, 'received', notes='Seals intact', hash_observed={sha!r})
evidence.record_custody_event(item, hans, 'analysed', purpose='Malware triage')
print(json.dumps({{'allowed_before': before, 'pk': item.pk}}))
"""
)

LEAD_TRIES_A_STEP = (
    PRELUDE
    + """
item = Evidence.objects.get(pk={item_id})
try:
    evidence.record_custody_event(item, User.objects.get(username='lena'), 'analysed',
                                  purpose='More triage')
    print(json.dumps('allowed'))
except TransitionNotAllowed as exc:
    print(json.dumps(str(exc)))
"""
)

VERIFY = (
    PRELUDE
    + """
record, result = evidence.verify_chain(
    Evidence.objects.get(pk={item_id}), User.objects.get(username={user!r}))
print(json.dumps({{'ok': result.ok, 'length': result.length, 'final_hash': result.final_hash,
                  'broken': result.broken_seq,
                  'what': result.broken.what if result.broken else ''}}))
"""
)

# The chain as each node keeps it, steps named by the node that recorded them and their id
# there: the same rows on both nodes.
CHAIN = """
SELECT CASE WHEN c.origin_node = '' THEN %s ELSE c.origin_node END,
       COALESCE(c.origin_id, c.id), c.seq, c.action, c.prev_hash, c.entry_hash
FROM incidents_custodyevent c WHERE c.evidence_id = %s ORDER BY c.seq
"""


@pytest.fixture
def two_nodes(tmp_path, worker_id):
    with live_nodes(tmp_path, f"{worker_id}_custody", SPECS) as nodes:
        yield nodes


def run(node, code):
    """Run ``code`` in the node's shell; the JSON it prints last."""
    return json.loads(node.manage("shell", "-c", code).strip().splitlines()[-1])


def tamper(node, sql, *params):
    """Alter the node's custody table by SQL, past its append-only trigger, and commit."""
    conn = psycopg2.connect(database_url(node.db, node.database))
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE incidents_custodyevent DISABLE TRIGGER custodyevent_append_only"
            )
            cursor.execute(sql, params)
            assert cursor.rowcount == 1
            cursor.execute(
                "ALTER TABLE incidents_custodyevent ENABLE TRIGGER custodyevent_append_only"
            )
    finally:
        conn.close()


def item_on_de(de, item_id):
    rows = de.query(
        "SELECT id, status FROM incidents_evidence WHERE origin_node = 'fr-node' "
        "AND origin_id = %s",
        item_id,
    )
    return rows[0] if rows else None


def test_custody_handed_over_across_nodes_verifies_end_to_end_and_a_tampered_step_is_found(
    two_nodes,
):
    fr, de = two_nodes
    add_peers(fr, de)
    for node in two_nodes:
        wait_for(
            lambda node=node: (
                node.query(
                    "SELECT count(*) FROM accounts_agency WHERE node_id IS NOT NULL AND is_active"
                )[0][0]
                == 1
            ),
            what=f"the other node's directory on {node.name}",
        )
    fr.manage("shell", "-c", PRELUDE + USER.format(username="lena", short="OFAC"))
    de.manage("shell", "-c", PRELUDE + USER.format(username="hans", short="BKA-CC"))

    # Given a case of fr-node shared with BKA-CC of de-node, whose item fr-node hands over
    ids = run(fr, LEAD_HANDS_OVER.format(sha=SHA))
    item_id = ids["item"]
    on_de = wait_for(
        lambda: (row := item_on_de(de, item_id)) and row[1] == "in_transit" and row,
        what="the item in transit on de-node",
    )[0]

    # When de-node's investigator receives it and records a step
    received = run(de, REPLICA_RECEIVES.format(item_id=item_id, sha=SHA))
    assert received["allowed_before"] == ["received"]

    # Then fr-node learns of both, and de-node holds the item
    wait_for(
        lambda: (
            fr.query(
                "SELECT custody_length, custody_node, status FROM incidents_evidence WHERE id = %s",
                item_id,
            )
            == [(5, "de-node", "in_custody")]
        ),
        what="de-node's steps on fr-node",
    )
    refusal = run(fr, LEAD_TRIES_A_STEP.format(item_id=item_id))
    assert "de-node" in refusal, refusal
    # and both nodes keep the same chain, de-node's receipt linked to fr-node's last hash
    chain_fr = fr.query(CHAIN, "fr-node", item_id)
    chain_de = de.query(CHAIN, "de-node", on_de)
    assert chain_fr == chain_de
    assert [(row[0], row[3]) for row in chain_fr] == [
        ("fr-node", "acquired"),
        ("fr-node", "sealed"),
        ("fr-node", "transferred"),
        ("de-node", "received"),
        ("de-node", "analysed"),
    ]
    assert chain_fr[3][4] == chain_fr[2][5]  # received.prev_hash == transferred.entry_hash
    assert all(row[4] == prev[5] for prev, row in itertools.pairwise(chain_fr))
    # and the chain verifies end to end on each node, to the same final hash
    on_fr_result = run(fr, VERIFY.format(item_id=item_id, user="lena"))
    on_de_result = run(de, VERIFY.format(item_id=on_de, user="hans"))
    assert on_fr_result["ok"] and on_de_result["ok"], (on_fr_result, on_de_result)
    assert on_fr_result["length"] == on_de_result["length"] == 5
    assert on_fr_result["final_hash"] == on_de_result["final_hash"] == chain_fr[-1][5]

    # When fr-node's hand-over step is altered in de-node's database
    tamper(
        de,
        "UPDATE incidents_custodyevent SET purpose = 'Sold' WHERE evidence_id = %s AND seq = 3",
        on_de,
    )

    # Then de-node's verification finds that step, and fr-node's own chain still verifies
    broken = run(de, VERIFY.format(item_id=on_de, user="hans"))
    assert (broken["ok"], broken["broken"], broken["what"]) == (False, 3, "entry_hash")
    assert de.query(
        "SELECT chain_broken_seq, is_compromised FROM incidents_evidence WHERE id = %s", on_de
    ) == [(3, True)]
    assert run(fr, VERIFY.format(item_id=item_id, user="lena"))["ok"]
    # and fr-node's timeline of the case learns that de-node found its record altered
    wait_for(
        lambda: (
            fr.query(
                "SELECT count(*) FROM incidents_timelineentry WHERE incident_id = %s "
                "AND origin_node = 'de-node' AND event = 'evidence.chain_broken'",
                ids["case"],
            )
            == [(1,)]
        ),
        what="de-node's integrity alert on fr-node",
    )
    assert de.query("SELECT count(*) FROM federation_inboxmessage WHERE status <> 'applied'") == [
        (0,)
    ]
    assert fr.query("SELECT count(*) FROM federation_inboxmessage WHERE status <> 'applied'") == [
        (0,)
    ]
