"""Live federated nodes on this machine, for the federation tests and benchmarks.

Each node has its own PostgreSQL database, web server (gunicorn) on the loopback and Celery
worker with beat (kombu's file-based broker under the node's own directory, so no node reads
another's queue), set up with the management commands, as an admin would. ``Node.start()``
returns once the web server answers and the worker has taken a task; ``Node.stop()`` stops
both and keeps the database and the key, so the node can be started again.

No Django in this module: ``db`` is the connection settings of the PostgreSQL server as
Django names them (``USER``, ``PASSWORD``, ``HOST``, ``PORT``); ``db_from_url`` makes them
from a ``DATABASE_URL``.
"""

import json
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import psycopg2

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

# How long a node's web server and worker may take to come up on a busy machine.
START_LIMIT = 150


def db_from_url(url):
    parts = urlparse(url)
    return {
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or HOST,
        "PORT": parts.port or 5432,
        "NAME": parts.path.lstrip("/"),
    }


def _admin_connection(db):
    conn = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db.get("PASSWORD") or None,
        host=db["HOST"] or HOST, port=db["PORT"] or 5432,
    )  # fmt: skip
    conn.autocommit = True
    return conn


def database_url(db, name):
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{name}"


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return f"({path} could not be read)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


class Node:
    """One node. ``env``: settings added to (or replacing) the node's environment;
    ``prefix``: a command its web server and worker run under (``taskset -c 1``)."""

    def __init__(self, name, database, var_dir, db, env=None, prefix=()):
        self.name = name
        self.database = database
        self.var_dir = Path(var_dir)
        self.db = db
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.processes = []
        self.prefix = tuple(prefix)
        environment = dict(os.environ)
        for key in ("REDIS_URL", "CACHE_REDIS_URL", "SESSION_REDIS_URL", "AUDIT_BUFFER_URL",
                    "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_DEFAULT_QUEUE"):  # fmt: skip
            environment.pop(key, None)
        environment.update(
            DATABASE_URL=database_url(db, database),
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
        environment.update(env or {})
        self.env = environment

    @property
    def worker_log(self):
        return self.var_dir / "worker.log"

    def manage(self, *args, timeout=120):
        result = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env,
            capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(f"{self.name}: manage.py {args[0]} failed:\n{result.stderr}")
        return result.stdout

    def shell(self, code, timeout=600):
        """Run ``code`` in the node's ``manage.py shell``; the JSON it prints last."""
        output = self.manage("shell", "-c", code, timeout=timeout)
        return json.loads(output.strip().splitlines()[-1])

    def start(self, limit=START_LIMIT):
        """Start the web server and the worker (with beat); return once both take work.

        Started again after ``stop()``, the node keeps its port, database and key."""
        if self.processes:
            raise RuntimeError(f"{self.name} is already running")
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.processes = [
            start_gunicorn(self.env, self.port, workers=1, threads=2, prefix=self.prefix),
            start_celery_worker(
                self.env, beat=True, name=self.name, log_file=self.worker_log, prefix=self.prefix
            ),
        ]
        try:
            wait_healthy(self.port, self.processes[0], limit=limit, what=f"{self.name}'s gunicorn")
            self.wait_worker(limit=limit)
        except BaseException:
            self.stop()
            raise

    def wait_worker(self, limit=START_LIMIT):
        """Send the worker a ``concord.ping`` through the node's own broker and wait for its
        answer: the worker is then consuming the queue the node's tasks go to. Fails with the
        tail of the worker's log if it exits or does not answer within ``limit`` seconds."""
        from celery import Celery

        from coordination.celery_config import broker_settings

        probe = Celery(f"probe-{self.name}", set_as_current=False)
        probe.conf.update(
            broker_settings("", self.var_dir),
            task_serializer="json", result_serializer="json",
            accept_content=["json"], result_accept_content=["json"],
        )  # fmt: skip
        worker = self.processes[1]
        started = time.monotonic()
        deadline = started + limit
        result = probe.send_task("concord.ping")
        try:
            while not result.ready():
                if worker.poll() is not None:
                    raise AssertionError(
                        f"{self.name}'s worker exited with code {worker.returncode}; "
                        f"{self.worker_log}:\n{tail(self.worker_log)}"
                    )
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{self.name}'s worker took no task within {limit} s; "
                        f"{self.worker_log}:\n{tail(self.worker_log)}"
                    )
                time.sleep(0.2)
            answer = result.get(timeout=5)
            result.forget()
        finally:
            probe.close()
        if answer != "pong":
            raise AssertionError(f"{self.name}'s worker answered {answer!r} to a ping")
        return time.monotonic() - started

    def stop(self):
        """Stop the web server and the worker; the database, key and port are kept."""
        for process in self.processes:
            stop(process)
        self.processes = []

    def cpu_seconds(self):
        """CPU time used so far by the web server's and the worker's processes (each a
        process group of its own): ``{"web": s, "worker": s}``, from ``/proc``."""
        groups = dict(zip((p.pid for p in self.processes if p), ("web", "worker"), strict=False))
        used = dict.fromkeys(groups.values(), 0.0)
        tick = os.sysconf("SC_CLK_TCK")
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            group = groups.get(int(fields[2]))  # pgrp
            if group:  # utime, stime, and those of children waited for
                used[group] += sum(int(v) for v in fields[11:15]) / tick
        return used

    @property
    def running(self):
        return bool(self.processes)

    def document(self):
        status, _headers, body = request(self.port, "GET", "/.well-known/concord-node")
        assert status == 200, f"{self.name} answered {status}"
        return json.loads(body)

    def query(self, sql, *params):
        conn = psycopg2.connect(database_url(self.db, self.database))
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            conn.close()

    def scalar(self, sql, *params):
        return self.query(sql, *params)[0][0]


def create_databases(db, names):
    """Fresh, empty databases (any left by an earlier run are dropped): the first created,
    the others to be copied from it once migrated (``copy_database``)."""
    conn = _admin_connection(db)
    try:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{names[0]}"')
    finally:
        conn.close()


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


# The nodes' workers are awaited at start (Node.start), so what is left is the delivery
# itself: a few seconds, more on a machine busy with the rest of the suite.
def wait_for(check, limit=60, what="the condition", interval=0.5):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {limit} s")


AGENCY = (
    "from accounts.models import Agency; "
    "Agency.objects.create(name={name!r}, short_name={short!r}, country={country!r}, "
    "kind='police', mailbox={mailbox!r}, is_24_7_contact=True)"
)


def start_nodes(db, prefix, var_dir, specs, env=None, commands=None):
    """Live nodes, one per ``(node name, agency name, short name, country)``, each with its
    key and its one agency; the caller stops them and drops their databases (``names``).
    ``commands``: per node, a command its processes run under (``Node``'s ``prefix``)."""
    commands = commands or [()] * len(specs)
    names = [f"{prefix}_node_{n}" for n in range(len(specs))]
    var_dir = Path(var_dir)
    create_databases(db, names)
    first = Node(specs[0][0], names[0], var_dir / "n0", db, env, commands[0])
    first.manage("migrate", "-v0", timeout=300)
    for name in names[1:]:
        copy_database(db, names[0], name)
    nodes = [first] + [
        Node(spec[0], name, var_dir / f"n{n}", db, env, commands[n])
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


def wait_directories(nodes, limit=60):
    """Each node lists the agencies of every other (one agency per node)."""
    for node in nodes:
        wait_for(
            lambda node=node: (
                node.scalar(
                    "SELECT count(*) FROM accounts_agency WHERE node_id IS NOT NULL AND is_active"
                )
                == len(nodes) - 1
            ),
            limit=limit,
            what=f"the directories of the other nodes on {node.name}",
        )
