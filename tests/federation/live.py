"""Live nodes for the federation tests: each its own PostgreSQL database, web server on the
loopback, and Celery worker with beat (file-based broker under the node's own directory, so
no node reads another's queue). Set up with the management commands, as an admin would."""

import json
import os
import subprocess
import time
from urllib.parse import quote

import psycopg2
from django.conf import settings

from bench.server import (
    HOST,
    PYTHON,
    ROOT,
    free_port,
    request,
    start_celery_worker,
    start_gunicorn,
    stop,
    wait_healthy,
)


def postgres_settings():
    """The connection settings of the suite's PostgreSQL server, or None on SQLite."""
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        return None
    return db


def _admin_connection(db):
    conn = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db.get("PASSWORD") or None,
        host=db["HOST"] or HOST, port=db["PORT"] or 5432,
    )  # fmt: skip
    conn.autocommit = True
    return conn


def _url(db, name):
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{name}"


class Node:
    def __init__(self, name, database, var_dir, db):
        self.name = name
        self.database = database
        self.var_dir = var_dir
        self.db = db
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.processes = []
        env = dict(os.environ)
        for key in ("REDIS_URL", "CACHE_REDIS_URL", "SESSION_REDIS_URL", "AUDIT_BUFFER_URL",
                    "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_DEFAULT_QUEUE"):  # fmt: skip
            env.pop(key, None)
        env.update(
            DATABASE_URL=_url(db, database),
            DJANGO_SETTINGS_MODULE="coordination.settings",
            DEBUG="true",
            CONN_MAX_AGE="0",
            LOG_LEVEL="WARNING",
            CONCORD_VAR_DIR=str(var_dir),
            SITE_URL=self.base_url,
            FEDERATION_NODE_NAME=name,
            FEDERATION_BASE_URL=self.base_url,
            FEDERATION_SWEEP_SECONDS="1",
            FEDERATION_RETRY_FIRST_SECONDS="1",
            FEDERATION_RETRY_MAX_SECONDS="2",
        )
        self.env = env

    def manage(self, *args, timeout=120):
        result = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"{self.name}: manage.py {args[0]} failed:\n{result.stderr}")
        return result.stdout

    def start(self):
        self.processes.append(start_gunicorn(self.env, self.port, workers=1, threads=2))
        self.processes.append(
            start_celery_worker(
                self.env, beat=True, name=self.name, log_file=self.var_dir / "worker.log"
            )
        )
        wait_healthy(self.port, self.processes[0], limit=90)

    def stop(self):
        for process in self.processes:
            stop(process)
        self.processes = []

    def document(self):
        status, _headers, body = request(self.port, "GET", "/.well-known/concord-node")
        assert status == 200, f"{self.name} answered {status}"
        return json.loads(body)

    def query(self, sql, *params):
        conn = psycopg2.connect(_url(self.db, self.database))
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            conn.close()


def create_databases(db, names):
    """Fresh databases: the first migrated, the others copied from it (faster than migrating)."""
    conn = _admin_connection(db)
    try:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{names[0]}"')
    finally:
        conn.close()
    return conn


def copy_database(db, source, target):
    conn = _admin_connection(db)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    finally:
        conn.close()


def drop_databases(db, names):
    conn = _admin_connection(db)
    try:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


# The nodes' workers are not awaited at start: on a machine busy with the rest of the
# suite they may take most of a minute to take their first task.
def wait_for(check, limit=150, what="the condition"):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {limit} s")


AGENCY = (
    "from accounts.models import Agency; "
    "Agency.objects.create(name={name!r}, short_name={short!r}, country={country!r}, "
    "kind='police', mailbox={mailbox!r}, is_24_7_contact=True)"
)


def start_nodes(db, prefix, tmp_path, specs):
    """Live nodes, one per ``(node name, agency name, short name, country)``, each with its
    key and its one agency; the caller stops them and drops their databases (``names``)."""
    names = [f"{prefix}_node_{n}" for n in range(len(specs))]
    create_databases(db, names)
    first = Node(specs[0][0], names[0], tmp_path / "n0", db)
    first.manage("migrate", "-v0", timeout=300)
    for name in names[1:]:
        copy_database(db, names[0], name)
    nodes = [first] + [
        Node(spec[0], name, tmp_path / f"n{n}", db)
        for n, (spec, name) in enumerate(zip(specs[1:], names[1:], strict=True), start=1)
    ]
    for node, (_node_name, agency, short, country) in zip(nodes, specs, strict=True):
        node.manage("federation_key", "--generate")
        node.manage(
            "shell", "-c",
            AGENCY.format(name=agency, short=short, country=country,
                          mailbox=f"{short.lower()}@example.org"),
        )  # fmt: skip
    try:
        for node in nodes:
            node.start()
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return nodes, names


def add_peers(a, b):
    """Each node adds the other by its fingerprint, as their admins would."""
    a.manage("federation_add_peer", b.base_url, b.document()["fingerprint"])
    b.manage("federation_add_peer", a.base_url, a.document()["fingerprint"])
