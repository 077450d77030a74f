"""Three live nodes (own databases, web servers, workers) work one case: fr-node leads it and
invites an agency of de-node (contributor) and one of es-node (observer). What each side
writes, and a later change to an indicator, reaches the others through the lead's node; the
databases converge; TLP:AMBER+STRICT and TLP:RED material never reaches a node it must not;
de-node's user cannot decide status or sharing."""

import hashlib
import json

import pytest

from tests.federation.live import (
    add_peers,
    live_nodes,
    wait_for,
)

pytestmark = [pytest.mark.federation, pytest.mark.postgres]

SPECS = [
    ("fr-node", "OFAC Cybercriminalité", "OFAC", "FR"),
    ("de-node", "BKA Cybercrime", "BKA-CC", "DE"),
    ("es-node", "CCN-CERT", "CCN", "ES"),
]

PRELUDE = """
import json
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.exceptions import PermissionDenied
from accounts.models import Agency, User
from coordination.intel import actions as intel
from incidents import actions
from incidents.models import Incident
"""

USER = (
    "User.objects.create_user({username!r}, password='x', agency=Agency.objects.get("
    "short_name={short!r}, node__isnull=True), role='investigator')\n"
)

LEAD_FILES_AND_SHARES = (
    PRELUDE
    + """
lena, marc = User.objects.get(username='lena'), User.objects.get(username='marc')
case = actions.create_incident(
    lena, title='Botnet takedown', summary='C2 servers in three countries.',
    category='malicious-code', severity='high', tlp='amber')
actions.add_timeline_entry(case, lena, 'Written before sharing')
bka = Agency.objects.get(short_name='BKA-CC', node__name='de-node')
ccn = Agency.objects.get(short_name='CCN', node__name='es-node')
actions.share_incident(case, bka, 'contributor', lena)
actions.share_incident(case, ccn, 'observer', lena)
actions.add_timeline_entry(case, lena, 'Shared note from Paris',
    attachments=[SimpleUploadedFile('paris.txt', b'sinkhole export from Paris')])
actions.add_timeline_entry(case, lena, 'strict-secret file', tlp='amber+strict',
    attachments=[SimpleUploadedFile('strict.txt', b'strict-secret bytes')])
actions.add_timeline_entry(case, lena, 'strict-secret source', tlp='amber+strict')
actions.add_timeline_entry(case, lena, 'red-secret for Marc', tlp='red', audience=[marc])
# Hans of de-node, as de-node's directory lists him here.
actions.add_timeline_entry(case, lena, 'red-named for Hans', tlp='red',
    audience=[User.objects.get(username='de-node:hans')])
intel.add_indicator(case, lena, value='C2.Example')
intel.add_indicator(case, lena, value='strict.example', tlp='amber+strict')
print(json.dumps({'id': case.pk}))
"""
)

REPLICA_WORK = (
    PRELUDE
    + """
case = Incident.objects.get(origin_node='fr-node', origin_id={case_id})
hans = User.objects.get(username='hans')
actions.add_timeline_entry(case, hans, 'Note from Wiesbaden',
    attachments=[SimpleUploadedFile('wiesbaden.txt', b'hosting contract from Wiesbaden')])
intel.add_indicator(case, hans, value='203.0.113.7')
refusals = []
gn = Agency.objects.create(name='GN', short_name='GN', country='DE', kind='police')
for attempt in (
    lambda: actions.change_status(case, hans, 'investigating'),
    lambda: actions.share_incident(case, gn, 'observer', hans),
):
    try:
        attempt()
        refusals.append('allowed')
    except PermissionDenied as exc:
        refusals.append(str(exc))
print(json.dumps(refusals))
"""
)

LEAD_CHANGES_STATUS = (
    PRELUDE
    + """
case = Incident.objects.get(pk={case_id})
lena = User.objects.get(username='lena')
intel.add_indicator(case, lena, value='C2.Example', confidence=90)  # a sighting merged
actions.change_status(case, lena, 'investigating')
"""
)

# Entries, indicators and participants of the case, named the same way on every node: by the
# node where each was written and its id there.
ENTRIES = """
SELECT CASE WHEN e.origin_node = '' THEN %s ELSE e.origin_node END,
       COALESCE(e.origin_id, e.id), e.body, e.tlp
FROM incidents_timelineentry e WHERE e.incident_id = %s ORDER BY e.id
"""
INDICATORS = "SELECT value FROM intel_indicator WHERE incident_id = %s ORDER BY value"
ATTACHMENTS = "SELECT file_name, sha256, file_path FROM incidents_entryattachment"
PARTICIPANTS = """
SELECT COALESCE(p.name, %s), a.short_name, pa.role
FROM incidents_participation pa JOIN accounts_agency a ON a.id = pa.agency_id
LEFT JOIN federation_peer p ON p.id = a.node_id WHERE pa.incident_id = %s
"""


@pytest.fixture
def three_nodes(tmp_path, worker_id):
    with live_nodes(tmp_path, f"{worker_id}_shared", SPECS) as nodes:
        yield nodes


def run(node, code):
    """Run ``code`` in the node's shell; the JSON it prints last."""
    return json.loads(node.manage("shell", "-c", code).strip().splitlines()[-1])


def case_on(node, lead_id):
    if node.name == "fr-node":
        return lead_id
    rows = node.query(
        "SELECT id FROM incidents_incident WHERE origin_node = 'fr-node' AND origin_id = %s",
        lead_id,
    )
    return rows[0][0] if rows else None


def entries(node, case_id):
    return node.query(ENTRIES, node.name, case_id)


def test_a_case_shared_across_three_nodes_is_worked_on_each_and_converges(three_nodes):
    fr, de, es = three_nodes
    for a, b in ((fr, de), (fr, es), (de, es)):
        add_peers(a, b)
    for node in three_nodes:
        wait_for(
            lambda node=node: (
                node.query(
                    "SELECT count(*) FROM accounts_agency WHERE node_id IS NOT NULL AND is_active"
                )[0][0]
                == 2
            ),
            what=f"the directories of the other nodes on {node.name}",
        )
    fr.manage("shell", "-c", PRELUDE + USER.format(username="lena", short="OFAC")
              + USER.format(username="marc", short="OFAC"))  # fmt: skip
    de.manage(
        "shell",
        "-c",
        PRELUDE
        + USER.format(username="hans", short="BKA-CC")
        + "from coordination.federation import directory; directory.publish_changes()",
    )
    wait_for(
        lambda: (
            fr.query(
                "SELECT count(*) FROM accounts_user WHERE username = 'de-node:hans' "
                "AND listed_by_node AND NOT is_active"
            )
            == [(1,)]
        ),
        what="Hans of de-node listed on fr-node",
    )

    # Given a case filed on fr-node and shared with an agency of de-node and of es-node
    lead_id = run(fr, LEAD_FILES_AND_SHARES)["id"]
    on_de = wait_for(lambda: case_on(de, lead_id), what="the replica on de-node")
    on_es = wait_for(lambda: case_on(es, lead_id), what="the replica on es-node")
    wait_for(
        lambda: any("Shared note" in row[2] for row in entries(es, on_es)),
        what="the lead's note on es-node",
    )

    # When de-node's investigator works in the replica
    refusals = run(de, REPLICA_WORK.format(case_id=lead_id))

    # Then status and sharing are refused there, naming the lead's node
    assert len(refusals) == 2 and all("fr-node" in text for text in refusals), refusals
    # and what was written on de-node reaches fr-node and, through it, es-node
    for node, case_id in ((fr, lead_id), (es, on_es)):
        wait_for(
            lambda node=node, case_id=case_id: (
                {"Note from Wiesbaden"} <= {row[2] for row in entries(node, case_id)}
            ),
            what=f"de-node's note on {node.name}",
        )
        wait_for(
            lambda node=node, case_id=case_id: ("203.0.113.7",) in node.query(INDICATORS, case_id),
            what=f"de-node's indicator on {node.name}",
        )

    # When the lead merges a sighting into its indicator and changes the status
    fr.manage("shell", "-c", LEAD_CHANGES_STATUS.format(case_id=lead_id))
    for node, case_id in ((de, on_de), (es, on_es)):
        wait_for(
            lambda node=node, case_id=case_id: (
                node.query("SELECT status FROM incidents_incident WHERE id = %s", case_id)
                == [("investigating",)]
            ),
            what=f"the new status on {node.name}",
        )
        assert node.query(
            "SELECT confidence FROM intel_indicator WHERE incident_id = %s AND value = %s",
            case_id,
            "c2.example",
        ) == [(90,)], node.name
    # Then the databases hold the same case, but for what may not leave fr-node
    on_fr = [row for row in entries(fr, lead_id) if row[3] not in ("amber+strict", "red")]
    assert {row[2] for row in entries(fr, lead_id)} - {row[2] for row in on_fr} >= {
        "strict-secret source",
        "red-secret for Marc",
    }
    # (de-node also has the TLP:RED entry that names Hans, for him alone there.)
    named_hans = [row for row in entries(fr, lead_id) if row[2] == "red-named for Hans"]
    for node, case_id, extra in ((de, on_de, named_hans), (es, on_es, [])):
        wait_for(
            lambda node=node, case_id=case_id, extra=extra: (
                len(entries(node, case_id)) == len(on_fr) + len(extra)
            ),
            what=f"{node.name}'s timeline to catch up",
        )
        assert sorted(entries(node, case_id)) == sorted(on_fr + extra), node.name
    assert de.query(
        "SELECT u.username FROM incidents_timelineentry e "
        "JOIN incidents_timelineentry_audience a ON a.timelineentry_id = e.id "
        "JOIN accounts_user u ON u.id = a.user_id WHERE e.body = 'red-named for Hans'"
    ) == [("hans",)]
    for node, case_id in ((de, on_de), (es, on_es)):
        assert node.query(INDICATORS, case_id) == [("203.0.113.7",), ("c2.example",)]
        assert sorted(node.query(PARTICIPANTS, node.name, case_id)) == sorted(
            fr.query(PARTICIPANTS, fr.name, lead_id)
        )
        # Nothing kept home reached the node: not in its tables, not in its inbox.
        kept_home = ["%strict%", "%red-secret%"] + (["%red-named%"] if node is es else [])
        for table, column in (
            ("incidents_timelineentry", "body"),
            ("intel_indicator", "value"),
            ("federation_inboxmessage", "body::text"),
        ):
            where = " OR ".join(f"{column} LIKE %s" for _pattern in kept_home)
            leaked = node.query(f"SELECT count(*) FROM {table} WHERE {where}", *kept_home)
            assert leaked == [(0,)], (node.name, table)
        assert node.query(
            "SELECT count(*) FROM federation_inboxmessage WHERE status <> 'applied'"
        ) == [(0,)]
    # The files of the entries shared: each node fetched them (es-node de-node's file
    # through fr-node), by the hash announced; the AMBER+STRICT file stayed home.
    files = {("paris.txt", "sinkhole export from Paris"),
             ("wiesbaden.txt", "hosting contract from Wiesbaden")}  # fmt: skip
    for node in (fr, de, es):
        wait_for(
            lambda node=node: (
                {row[0] for row in node.query(ATTACHMENTS) if row[2]}
                >= {name for name, _content in files}
            ),
            what=f"the entries' files on {node.name}",
        )
        stored = {name: (sha, path) for name, sha, path in node.query(ATTACHMENTS)}
        assert "strict.txt" not in stored or node is fr, node.name
        for name, content in files:
            sha, path = stored[name]
            assert sha == hashlib.sha256(content.encode()).hexdigest()
            assert (node.var_dir / "media" / path).read_bytes() == content.encode()
    # In the order the lead's node sent them: de-node's replica of fr-node's entries was
    # written in the order of fr-node's stream to it.
    sent_to_de = [
        row[0]
        for row in fr.query(
            "SELECT (m.body->'entry'->>'id')::int FROM federation_outboxmessage m "
            "JOIN federation_peer p ON p.id = m.peer_id "
            "WHERE p.name = 'de-node' AND m.type = 'incident.entry' ORDER BY m.seq"
        )
    ]
    applied_on_de = [row[1] for row in entries(de, on_de) if row[0] == "fr-node"]
    assert applied_on_de == sent_to_de
    assert fr.query("SELECT status FROM incidents_incident WHERE id = %s", lead_id) == [
        ("investigating",)
    ]
