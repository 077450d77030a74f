"""Live nodes for the federation tests (``bench/federation_nodes.py``, shared with the
federation benchmarks), on the suite's PostgreSQL server."""

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

__all__ = [
    "AGENCY",
    "Node",
    "add_peers",
    "copy_database",
    "create_databases",
    "drop_databases",
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
