"""Live nodes for the federation tests (``bench/federation_nodes.py``, shared with the
federation benchmarks), on the suite's PostgreSQL server."""

from contextlib import contextmanager

import pytest
from django.conf import settings

from bench.federation_nodes import (
    AGENCY,
    Node,
    add_peers,
    copy_database,
    create_databases,
    drop_databases,
    start_nodes,
    wait_directories,
    wait_for,
)
from tests.conftest import services_required

__all__ = [
    "AGENCY",
    "Node",
    "add_peers",
    "copy_database",
    "create_databases",
    "drop_databases",
    "live_nodes",
    "postgres_settings",
    "start_nodes",
    "wait_directories",
    "wait_for",
]


def postgres_settings():
    """The connection settings of the suite's PostgreSQL server, or None on SQLite."""
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        return None
    return db


@contextmanager
def live_nodes(tmp_path, label, specs, what="The live federation test"):
    """Live nodes for one test (``start_nodes``), stopped and their databases dropped after
    it. Without PostgreSQL the test is skipped, or fails in CI. ``label`` keeps the
    databases of tests running at once apart (with the xdist worker id in it)."""
    db = postgres_settings()
    if db is None:
        if services_required():
            pytest.fail(f"{what} needs PostgreSQL (DATABASE_URL) in CI.")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    prefix = f"{db['NAME']}_{label}"
    nodes, names = [], [f"{prefix}_node_{n}" for n in range(len(specs))]
    try:
        nodes, names = start_nodes(db, prefix, tmp_path, specs)
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        drop_databases(db, names)
