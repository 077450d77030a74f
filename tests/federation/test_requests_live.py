"""Two live nodes (own databases, web servers, workers): fr-node's OFAC asks de-node's BKA
for assistance. The request travels when it is sent; each side takes its steps on its own
node (draft, submit, approve, answer, close on fr-node; acknowledge, accept, ask for
information, fulfil on de-node); both databases converge, with the same history and the same
deadline rows, counted from the times the steps were taken and fr-node's policy numbers."""

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
]

PRELUDE = """
import json
from django.core.exceptions import PermissionDenied
from accounts.models import Agency, User
from coordination.assistance import actions
from coordination.assistance.models import AssistanceRequest, DeadlinePolicy
from coordination.assistance.transitions import transition_request
"""

USER = (
    "User.objects.create_user({username!r}, password='x', agency=Agency.objects.get("
    "short_name={short!r}, node__isnull=True), role={role!r})\n"
)

DRAFT_SUBMIT_APPROVE = (
    PRELUDE
    + """
claire, louis = User.objects.get(username='claire'), User.objects.get(username='louis')
DeadlinePolicy.objects.create(agency=claire.agency, legal_basis='police', kind='acknowledge',
                              urgency='routine', hours=6)
bka = Agency.objects.get(short_name='BKA-CC', node__name='de-node')
request = actions.create_request(
    claire, legal_basis='police', measures=['subscriber'], urgency='routine',
    requested_country='DE', receiving_agency=bka, tlp='amber',
    facts='A phishing kit hosted in Frankfurt collects French bank logins.',
    data_sought=[{'kind': 'account', 'value': 'kit@example.net'}])
transition_request(request, 'submit', claire)
transition_request(request, 'approve', louis, comment='Four eyes: fine')
print(json.dumps({'id': request.pk}))
"""
)

STEPS = (
    PRELUDE
    + """
request = AssistanceRequest.objects.get(pk={pk})
user = User.objects.get(username={username!r})
for action, comment in {steps!r}:
    transition_request(request, action, user, comment=comment)
    request.refresh_from_db()
print(json.dumps(request.status))
"""
)

WRONG_SIDE = (
    PRELUDE
    + """
request = AssistanceRequest.objects.get(pk={pk})
user = User.objects.get(username={username!r})
refusals = []
for action in {actions!r}:
    try:
        transition_request(request, action, user, comment='Not mine to take')
        refusals.append('allowed')
    except PermissionDenied as exc:
        refusals.append(str(exc))
print(json.dumps(refusals))
"""
)

# What both nodes must hold alike, named the same way on both.
REQUEST = """
SELECT status, legal_basis, tlp, sent_at, received_at, accepted_at, information_asked_at,
       information_answered_at, fulfilled_at, closed_at, due_at, due_kind, policy_hours::text
FROM assistance_assistancerequest WHERE id = %s
"""
HISTORY = """
SELECT action, from_status, to_status, at, actor_name, actor_agency_name, comment,
       CASE WHEN origin_node = '' THEN %s ELSE origin_node END, COALESCE(origin_id, id)
FROM assistance_statushistory WHERE request_id = %s ORDER BY at, id
"""
DEADLINES = """
SELECT kind, party, counting, zone, holiday_country, clock_started_at, due_at, legal_due_at,
       extended_at, paused_at, restarted_at, met_at, ended_at
FROM assistance_requestdeadline WHERE request_id = %s ORDER BY kind
"""


@pytest.fixture
def two_nodes(tmp_path, worker_id):
    with live_nodes(tmp_path, f"{worker_id}_requests", SPECS) as nodes:
        yield nodes


def run(node, code):
    """Run ``code`` in the node's shell; the JSON it prints last."""
    return json.loads(node.manage("shell", "-c", code).strip().splitlines()[-1])


def status(node, pk):
    rows = node.query("SELECT status FROM assistance_assistancerequest WHERE id = %s", pk)
    return rows[0][0] if rows else None


def test_a_request_between_two_nodes_lives_its_whole_life_and_both_databases_agree(two_nodes):
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
    fr.manage("shell", "-c", PRELUDE
              + USER.format(username="claire", short="OFAC", role="investigator")
              + USER.format(username="louis", short="OFAC", role="liaison_officer"))  # fmt: skip
    de.manage("shell", "-c", PRELUDE
              + USER.format(username="hans", short="BKA-CC", role="liaison_officer"))  # fmt: skip

    # Given a request drafted, submitted and approved (sent) on fr-node
    pk = run(fr, DRAFT_SUBMIT_APPROVE)["id"]
    assert status(fr, pk) == "sent"
    replica = wait_for(
        lambda: (
            de.query(
                "SELECT id FROM assistance_assistancerequest "
                "WHERE origin_node = 'fr-node' AND origin_id = %s",
                pk,
            )
            or [[None]]
        )[0][0],
        what="the request on de-node",
    )

    # Each node escalates only what its own side owes: the requested side's clocks, de-node.
    escalating = (
        "SELECT count(*) FROM assistance_requestdeadline "
        "WHERE request_id = %s AND party = 'requested' AND escalate_at IS NOT NULL"
    )
    assert fr.query(escalating, pk) == [(0,)]
    assert de.query(escalating, replica) == [(2,)]

    # When de-node acknowledges, accepts and asks for information
    steps = [("acknowledge", ""), ("accept", "Taken on"), ("ask_information", "Which bank?")]
    assert run(de, STEPS.format(pk=replica, username="hans", steps=steps)) == (
        "awaiting_information"
    )
    # Then fr-node sees it, and de-node cannot take the requesting side's steps
    wait_for(lambda: status(fr, pk) == "awaiting_information", what="the questions on fr-node")
    refusals = run(de, WRONG_SIDE.format(pk=replica, username="hans", actions=["answer"]))
    assert len(refusals) == 1 and "fr-node" in refusals[0], refusals

    # When fr-node answers, de-node fulfils and fr-node closes
    run(fr, STEPS.format(pk=pk, username="claire", steps=[("answer", "Banque Exemple")]))
    refusals = run(fr, WRONG_SIDE.format(pk=pk, username="louis", actions=["fulfil"]))
    assert len(refusals) == 1 and "de-node" in refusals[0], refusals
    wait_for(lambda: status(de, replica) == "in_execution", what="the answer on de-node")
    run(de, STEPS.format(pk=replica, username="hans", steps=[("fulfil", "Subscriber: J. Doe")]))
    wait_for(lambda: status(fr, pk) == "fulfilled", what="the result on fr-node")
    run(fr, STEPS.format(pk=pk, username="claire", steps=[("close", "")]))
    wait_for(lambda: status(de, replica) == "closed", what="the closing on de-node")

    # Then both databases hold the same request, history and deadlines
    assert fr.query(REQUEST, pk) == de.query(REQUEST, replica)
    on_fr, on_de = fr.query(HISTORY, fr.name, pk), de.query(HISTORY, de.name, replica)
    assert [row[0] for row in on_fr] == [
        "submit", "approve", "acknowledge", "accept", "ask_information", "answer", "fulfil",
        "close",
    ]  # fmt: skip
    # de-node holds the steps from the sending on, without the approving officer's note.
    shared = [row[:6] + row[7:] for row in on_fr[1:]]
    assert [row[:6] + row[7:] for row in on_de] == shared
    assert on_de[0][6] == ""
    assert [row[6] for row in on_de[1:]] == [row[6] for row in on_fr[2:]]
    deadlines = fr.query(DEADLINES, pk)
    assert {row[0] for row in deadlines} == {"acknowledge", "answer"}
    assert deadlines == de.query(DEADLINES, replica)
    acknowledge = next(row for row in deadlines if row[0] == "acknowledge")
    assert (acknowledge[6] - acknowledge[5]).total_seconds() == 6 * 3600  # fr-node's policy
    for node in two_nodes:
        assert node.query(
            "SELECT count(*) FROM federation_inboxmessage WHERE status <> 'applied'"
        ) == [(0,)], node.name
