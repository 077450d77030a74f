"""Two live nodes, each with its own database, web server and worker, federate: added to
each other with the commands and the fingerprints they print, they exchange directories."""

import pytest

from tests.conftest import services_required
from tests.federation.live import (
    Node,
    copy_database,
    create_databases,
    drop_databases,
    postgres_settings,
    wait_for,
)

pytestmark = [pytest.mark.federation, pytest.mark.postgres]

AGENCY = (
    "from accounts.models import Agency; "
    "Agency.objects.create(name={name!r}, short_name={short!r}, country={country!r}, "
    "kind='police', mailbox={mailbox!r}, is_24_7_contact=True)"
)


@pytest.fixture
def two_nodes(tmp_path, worker_id):
    db = postgres_settings()
    if db is None:
        if services_required():
            pytest.fail("The live federation test needs PostgreSQL (DATABASE_URL) in CI.")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    names = [f"{db['NAME']}_{worker_id}_node_{n}" for n in ("a", "b")]
    nodes = []
    try:
        create_databases(db, names)
        a = Node("fr-node", names[0], tmp_path / "a", db)
        a.manage("migrate", "-v0", timeout=300)
        copy_database(db, names[0], names[1])
        b = Node("de-node", names[1], tmp_path / "b", db)
        nodes = [a, b]
        for node, (name, short, country) in zip(
            nodes,
            [("OFAC Cybercriminalité", "OFAC", "FR"), ("BKA Cybercrime", "BKA-CC", "DE")],
            strict=True,
        ):
            node.manage("federation_key", "--generate")
            node.manage(
                "shell", "-c",
                AGENCY.format(name=name, short=short, country=country,
                              mailbox=f"{short.lower()}@example.org"),
            )  # fmt: skip
            node.start()
        yield a, b
    finally:
        for node in nodes:
            node.stop()
        drop_databases(db, names)


def test_two_nodes_added_by_fingerprint_exchange_their_directories_and_follow_a_key_rotation(
    two_nodes,
):
    a, b = two_nodes
    fingerprint_a = a.manage("federation_node").split("Fingerprint:")[1].strip()
    fingerprint_b = b.document()["fingerprint"]

    a.manage("federation_add_peer", b.base_url, fingerprint_b)
    b.manage("federation_add_peer", a.base_url, fingerprint_a)

    remote_on_b = wait_for(
        lambda: b.query(
            "SELECT a.short_name, a.country, a.is_24_7_contact, p.name FROM accounts_agency a "
            "JOIN federation_peer p ON p.id = a.node_id WHERE a.is_active"
        ),
        what="node A's directory on node B",
    )
    assert remote_on_b == [("OFAC", "FR", True, "fr-node")]
    remote_on_a = wait_for(
        lambda: a.query(
            "SELECT a.short_name, p.name FROM accounts_agency a "
            "JOIN federation_peer p ON p.id = a.node_id WHERE a.is_active"
        ),
        what="node B's directory on node A",
    )
    assert remote_on_a == [("BKA-CC", "de-node")]
    # Stored before applied, signed as received; delivered with the peer's receipt.
    assert b.query("SELECT type, status FROM federation_inboxmessage") == [
        ("directory.published", "applied")
    ]
    wait_for(
        lambda: (
            a.query(
                "SELECT count(*) FROM federation_outboxmessage WHERE delivered_at IS NOT NULL "
                "AND receipt <> ''"
            )[0][0]
            == 1
        ),
        what="node A recording B's receipt",
    )

    # A rotates its key; B learns the new one from the announcement signed with the old
    # one, then takes what A signs with the new key (A's directory, changed after).
    out = a.manage("federation_key", "--rotate")
    assert "1 peer(s) told" in out
    rotated = a.document()["fingerprint"]
    assert rotated != fingerprint_a.replace(" ", "")
    a.manage(
        "shell", "-c",
        AGENCY.format(name="OFAC Lyon", short="OFAC-LY", country="FR", mailbox="ly@example.org"),
    )  # fmt: skip
    wait_for(
        lambda: b.query(
            "SELECT 1 FROM accounts_agency WHERE short_name = 'OFAC-LY' AND node_id IS NOT NULL"
        ),
        what="A's directory, signed with its new key, on B",
    )
    assert b.query("SELECT fingerprint FROM federation_peer WHERE name = 'fr-node'") == [(rotated,)]
    assert b.query(
        "SELECT type, status FROM federation_inboxmessage WHERE type = 'node.key_rotated'"
    ) == [("node.key_rotated", "applied")]
