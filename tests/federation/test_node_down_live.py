"""A node that is down while a shared case is worked catches up by itself when it returns:
two live nodes share a case; de-node (web server and worker) is stopped for a minute while
fr-node writes 200 timeline entries, then started again. Nobody retries by hand; de-node's
database ends with every entry exactly once, each message stored and applied once, in
fr-node's order."""

import time

import pytest

from tests.federation.live import (
    add_peers,
    live_nodes,
    wait_directories,
    wait_for,
)

pytestmark = [pytest.mark.federation, pytest.mark.postgres]

SPECS = [
    ("fr-node", "OFAC Cybercriminalité", "OFAC", "FR"),
    ("de-node", "BKA Cybercrime", "BKA-CC", "DE"),
]
CHANGES = 200
DOWN_SECONDS = 60

SHARE = """
import json
from accounts.models import Agency, User
from incidents import actions
lena = User.objects.create_user('lena', password='x', role='investigator',
    agency=Agency.objects.get(short_name='OFAC', node__isnull=True))
case = actions.create_incident(
    lena, title='Ransomware at a port operator', summary='Encrypted terminals.',
    category='malicious-code', severity='high', tlp='amber')
actions.share_incident(case, Agency.objects.get(short_name='BKA-CC', node__name='de-node'),
    'contributor', lena)
print(json.dumps({'id': case.pk}))
"""

WRITE = """
import json
from accounts.models import User
from incidents import actions
from incidents.models import Incident
case, lena = Incident.objects.get(pk={case_id}), User.objects.get(username='lena')
for n in range({changes}):
    actions.add_timeline_entry(case, lena, f'Change {{n:03d}} written while de-node is down')
print(json.dumps({{'written': {changes}}}))
"""

DOWN_ENTRIES = """
SELECT e.body FROM incidents_timelineentry e
WHERE e.incident_id = %s AND e.body LIKE '%%while de-node is down' ORDER BY e.id
"""


@pytest.fixture
def two_nodes(tmp_path, worker_id):
    with live_nodes(tmp_path, f"{worker_id}_down", SPECS) as nodes:
        yield nodes


def test_a_node_down_while_200_changes_are_written_catches_up_alone_with_each_once_in_order(
    two_nodes,
):
    fr, de = two_nodes
    add_peers(fr, de)
    wait_directories(two_nodes)
    lead_id = fr.shell(SHARE)["id"]
    stream = f"incident:fr-node:{lead_id}"
    on_de = wait_for(
        lambda: de.query(
            "SELECT id FROM incidents_incident WHERE origin_node = 'fr-node' AND origin_id = %s",
            lead_id,
        ),
        what="the replica on de-node",
    )[0][0]
    wait_for(
        lambda: (
            fr.scalar(
                "SELECT count(*) FROM federation_outboxmessage WHERE stream = %s "
                "AND delivered_at IS NULL",
                stream,
            )
            == 0
        ),
        what="the shared case delivered to de-node",
    )
    sent_before = fr.scalar(
        "SELECT count(*) FROM federation_outboxmessage WHERE stream = %s", stream
    )

    # Given de-node down (web server and worker)
    de.stop()
    stopped = time.monotonic()
    # When fr-node writes 200 entries on the case meanwhile
    assert fr.shell(WRITE.format(case_id=lead_id, changes=CHANGES)) == {"written": CHANGES}
    # fr-node tries to deliver them, and fails, while de-node is down
    wait_for(
        lambda: fr.scalar(
            "SELECT failures > 0 AND last_error <> '' FROM federation_peer WHERE name = 'de-node'"
        ),
        what="a failed delivery to de-node",
    )
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - stopped)))
    assert de.query(DOWN_ENTRIES, on_de) == []
    waiting = fr.scalar(
        "SELECT count(*) FROM federation_outboxmessage WHERE stream = %s AND delivered_at IS NULL",
        stream,
    )
    assert waiting >= CHANGES

    # Then, started again, de-node catches up with nobody retrying by hand
    de.start()
    wait_for(
        lambda: len(de.query(DOWN_ENTRIES, on_de)) == CHANGES,
        limit=240,
        what=f"the {CHANGES} entries on de-node",
    )
    wait_for(
        lambda: (
            fr.scalar(
                "SELECT count(*) FROM federation_outboxmessage WHERE stream = %s "
                "AND (delivered_at IS NULL OR receipt = '')",
                stream,
            )
            == 0
        ),
        what="fr-node recording de-node's receipts",
    )

    # Every entry exactly once, in the order written
    assert de.query(DOWN_ENTRIES, on_de) == [
        (f"Change {n:03d} written while de-node is down",) for n in range(CHANGES)
    ]
    assert (
        de.query(
            "SELECT origin_id FROM incidents_timelineentry WHERE incident_id = %s "
            "AND origin_node = 'fr-node' GROUP BY origin_id HAVING count(*) > 1",
            on_de,
        )
        == []
    )
    # in fr-node's stream order: de-node wrote fr-node's entries in the order of the stream
    sent = [
        row[0]
        for row in fr.query(
            "SELECT (body->'entry'->>'id')::bigint FROM federation_outboxmessage "
            "WHERE stream = %s AND type = 'incident.entry' ORDER BY seq",
            stream,
        )
    ]
    applied = [
        row[0]
        for row in de.query(
            "SELECT origin_id FROM incidents_timelineentry WHERE incident_id = %s "
            "AND origin_node = 'fr-node' ORDER BY id",
            on_de,
        )
    ]
    assert applied == sent
    # Each message of the stream stored once and applied once, without a gap
    total = fr.scalar("SELECT count(*) FROM federation_outboxmessage WHERE stream = %s", stream)
    assert total >= sent_before + CHANGES
    inbox = de.query(
        "SELECT seq, count(*), count(DISTINCT message_id), min(status), max(status), "
        "bool_and(applied_at IS NOT NULL) FROM federation_inboxmessage "
        "WHERE stream = %s GROUP BY seq ORDER BY seq",
        stream,
    )
    assert inbox == [(seq, 1, 1, "applied", "applied", True) for seq in range(1, total + 1)]
    assert de.query("SELECT applied_seq FROM federation_inboxstream WHERE stream = %s", stream) == [
        (total,)
    ]
    assert sorted(
        de.query("SELECT message_id::text FROM federation_inboxmessage WHERE stream = %s", stream)
    ) == sorted(
        fr.query("SELECT message_id::text FROM federation_outboxmessage WHERE stream = %s", stream)
    )
    # Delivered by fr-node's own retries: what waited was tried more than once.
    assert (
        fr.scalar(
            "SELECT count(*) FROM federation_outboxmessage WHERE stream = %s AND attempts > 1",
            stream,
        )
        >= 1
    )
    assert fr.query(
        "SELECT failures, next_attempt_at IS NULL FROM federation_peer WHERE name = 'de-node'"
    ) == [(0, True)]
