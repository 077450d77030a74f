"""Federation benchmarks: two live nodes on this machine share a case; figures printed.

Each node is a live node of ``bench/federation_nodes.py`` (its own PostgreSQL database,
gunicorn with 1 worker and 2 threads, a Celery worker with beat), DEBUG off. fr-node (A)
leads a case shared with an agency of de-node (B); A's user writes timeline entries through
``incidents.actions`` in a ``manage.py shell``, each its own transaction, as a user would.
Times come from the databases: A's outbox ``created_at`` (written) and B's inbox
``applied_at`` (applied), on the same clock.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/federation_bench.py throughput --messages 500
    ... federation_bench.py catchup --messages 10000
    ... federation_bench.py pages --rate 5 --requests 30
    ... federation_bench.py paste --messages 1000

- ``throughput``: A writes N entries while B is up; messages/s from the first written to
  the last applied on B, and each message's latency (written on A -> applied on B).
- ``catchup``: B is stopped (web server and worker), A writes N entries, B is started
  again: time until B has applied them all, counted from B's start.
- ``paste``: A's user pastes N values into the shared case at once (one action, as the
  indicators form does): its seconds and queries on A, then the time until B has them all.
- ``pages``: B's drawn pages (as ``drawn_pages.py`` measures them: in-process, median
  wall and Python CPU ms, queries) idle, under a steady stream of entries from A, and idle
  again.

The databases (``<prefix>_node_0``, ``_node_1``) are made on DATABASE_URL's server and
dropped at the end unless ``--keep``.
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.federation_nodes import (
    add_peers,
    db_from_url,
    drop_databases,
    start_nodes,
    wait_directories,
    wait_for,
)
from bench.server import PYTHON, machine

SPECS = [
    ("fr-node", "OFAC Cybercriminalité", "OFAC", "FR"),
    ("de-node", "BKA Cybercrime", "BKA-CC", "DE"),
]

USERS_A = """
import json
from accounts.models import Agency, User
User.objects.create_user('lena', password='x', role='investigator',
    agency=Agency.objects.get(short_name='OFAC', node__isnull=True))
print(json.dumps({}))
"""

USERS_B = """
import json
from accounts.models import Agency, User
from incidents import actions
hans = User.objects.create_user('hans', password='x', role='investigator',
    agency=Agency.objects.get(short_name='BKA-CC', node__isnull=True))
for n in range({local_cases}):
    case = actions.create_incident(hans, title=f'Local case {{n}}', summary='Phishing wave.',
        category='fraud', severity='medium', tlp='amber')
    actions.add_timeline_entry(case, hans, f'First note on local case {{n}}')
print(json.dumps({{}}))
"""

SHARE = """
import json
from accounts.models import Agency, User
from incidents import actions
lena = User.objects.get(username='lena')
case = actions.create_incident(lena, title={title!r}, summary='Encrypted terminals.',
    category='malicious-code', severity='high', tlp='amber')
actions.share_incident(case, Agency.objects.get(short_name='BKA-CC', node__name='de-node'),
    'contributor', lena)
print(json.dumps({{'id': case.pk}}))
"""

WRITE = """
import json, time
from accounts.models import User
from incidents import actions
from incidents.models import Incident
case, lena = Incident.objects.get(pk={case_id}), User.objects.get(username='lena')
interval = {interval}
started = time.monotonic()
for n in range({count}):
    if interval:
        time.sleep(max(0.0, started + n * interval - time.monotonic()))
    actions.add_timeline_entry(case, lena, f'{label} {{n:05d}}')
print(json.dumps({{'seconds': time.monotonic() - started}}))
"""


def node_env():
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "MFA_REQUIRED": "false",
    }


class Pair:
    """A and B, peered, and cases shared by A with B's agency."""

    def __init__(self, args, var_dir):
        self.db = db_from_url(os.environ["DATABASE_URL"])
        self.names = [f"{args.prefix}_node_{n}" for n in range(2)]
        self.keep = args.keep
        self.nodes = []
        self.args, self.var_dir = args, var_dir

    def setup(self):
        args = self.args
        started = time.monotonic()
        commands = [("taskset", "-c", "1"), ("taskset", "-c", "0")] if args.pin else None
        self.nodes, self.names = start_nodes(
            self.db, args.prefix, self.var_dir, SPECS, node_env(), commands
        )
        self.a, self.b = self.nodes
        add_peers(self.a, self.b)
        wait_directories(self.nodes)
        self.a.shell(USERS_A)
        self.b.shell(USERS_B.format(local_cases=args.local_cases), timeout=1800)
        print(f"two nodes up and peered in {time.monotonic() - started:.0f} s", flush=True)

    def close(self):
        for node in self.nodes:
            node.stop()
        if not self.keep:
            drop_databases(self.db, self.names)

    def share(self, title):
        """A new case on A shared with B's agency, delivered: (id on A, id on B, stream)."""
        lead_id = self.a.shell(SHARE.format(title=title))["id"]
        stream = f"incident:fr-node:{lead_id}"
        on_b = wait_for(
            lambda: self.b.query(
                "SELECT id FROM incidents_incident WHERE origin_node = 'fr-node' "
                "AND origin_id = %s",
                lead_id,
            ),
            what="the replica on de-node",
        )[0][0]
        self.wait_delivered(stream)
        return lead_id, on_b, stream

    def wait_delivered(self, stream, limit=600):
        wait_for(
            lambda: (
                self.a.scalar(
                    "SELECT count(*) FROM federation_outboxmessage WHERE stream = %s "
                    "AND delivered_at IS NULL",
                    stream,
                )
                == 0
            ),
            limit=limit,
            what="A's outbox delivered",
        )

    def writer(self, case_id, count, label, interval=0.0):
        """A manage.py shell on A writing ``count`` entries (one each ``interval`` s)."""
        code = WRITE.format(case_id=case_id, count=count, label=label, interval=interval)
        return subprocess.Popen(
            [*self.a.prefix, PYTHON, str(ROOT / "manage.py"), "shell", "-c", code],
            cwd=ROOT, env=self.a.env,
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip

    def write(self, case_id, count, label):
        process = self.writer(case_id, count, label)
        output, _ = process.communicate()
        if process.returncode != 0:
            sys.exit(f"writing on A failed ({process.returncode})")
        return json.loads(output.strip().splitlines()[-1])["seconds"]

    def applied(self, case_id, label):
        return self.b.scalar(
            "SELECT count(*) FROM incidents_timelineentry WHERE incident_id = %s AND body LIKE %s",
            case_id,
            f"{label} %",
        )

    def messages(self, stream, after_seq):
        """Per message of ``stream`` after ``after_seq``: (written on A, applied on B)."""
        written = dict(
            self.a.query(
                "SELECT message_id::text, created_at FROM federation_outboxmessage "
                "WHERE stream = %s AND seq > %s",
                stream,
                after_seq,
            )
        )
        applied = dict(
            self.b.query(
                "SELECT message_id::text, applied_at FROM federation_inboxmessage "
                "WHERE stream = %s AND seq > %s",
                stream,
                after_seq,
            )
        )
        return [(written[m], applied.get(m)) for m in written]

    def cpu(self):
        return {node.name: node.cpu_seconds() for node in self.nodes}

    def cpu_per_message(self, before, count):
        """CPU ms per message of A's worker (sends) and B's web server (receives)."""
        after = self.cpu()
        return {
            f"{node}_{part}": round((after[node][part] - before[node][part]) * 1000 / count, 1)
            for node, part in (("fr-node", "worker"), ("de-node", "web"), ("de-node", "worker"))
        }

    def last_seq(self, stream):
        return self.a.scalar(
            "SELECT COALESCE(max(seq), 0) FROM federation_outboxmessage WHERE stream = %s", stream
        )

    def check_once(self, case_id, stream, label, count):
        """(missing, applied twice) on B for the entries labelled ``label``."""
        rows = self.b.query(
            "SELECT count(DISTINCT body), count(*) FROM incidents_timelineentry "
            "WHERE incident_id = %s AND body LIKE %s",
            case_id,
            f"{label} %",
        )[0]
        inbox = self.b.query(
            "SELECT count(*) - count(DISTINCT seq) FROM federation_inboxmessage WHERE stream = %s",
            stream,
        )[0][0]
        return count - rows[0], rows[1] - rows[0] + inbox


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report_stream(pair, stream, after_seq):
    pairs = [(w, a) for w, a in pair.messages(stream, after_seq) if a is not None]
    written = [w for w, _ in pairs]
    applied = [a for _, a in pairs]
    latencies = [(a - w).total_seconds() * 1000 for w, a in pairs]
    span = (max(applied) - min(written)).total_seconds()
    applying = (max(applied) - min(applied)).total_seconds()
    return {
        "messages": len(pairs),
        "first_written_to_last_applied_s": round(span, 1),
        "messages_per_s": round(len(pairs) / span, 1) if span else None,
        "applied_per_s_while_applying": round(len(pairs) / applying, 1) if applying else None,
        "latency_ms_p50": round(statistics.median(latencies)),
        "latency_ms_p95": round(percentile(latencies, 0.95)),
        "latency_ms_max": round(max(latencies)),
    }


def throughput(pair, args):
    lead_id, on_b, stream = pair.share("Throughput")
    after = pair.last_seq(stream)
    label = "Throughput entry"
    cpu = pair.cpu()
    seconds = pair.write(lead_id, args.messages, label)
    wait_for(lambda: pair.applied(on_b, label) == args.messages, limit=3600, interval=0.25,
             what="every entry applied on B")  # fmt: skip
    pair.wait_delivered(stream)
    figures = report_stream(pair, stream, after)
    figures["cpu_ms_per_message"] = pair.cpu_per_message(cpu, args.messages)
    figures["written_on_a_per_s"] = round(args.messages / seconds, 1)
    figures["missing"], figures["applied_twice"] = pair.check_once(
        on_b, stream, label, args.messages
    )
    return figures


def catchup(pair, args):
    lead_id, on_b, stream = pair.share("Catch-up")
    after = pair.last_seq(stream)
    label = "Catch-up entry"
    pair.b.stop()
    seconds = pair.write(lead_id, args.messages, label)
    wait_for(
        lambda: pair.a.scalar("SELECT failures FROM federation_peer WHERE name = 'de-node'"),
        what="a failed delivery to B",
    )
    restarted = time.monotonic()
    pair.b.start()
    up = time.monotonic() - restarted
    cpu = pair.cpu()
    wait_for(lambda: pair.applied(on_b, label) == args.messages, limit=7200, interval=0.5,
             what="every entry applied on B")  # fmt: skip
    done = time.monotonic() - restarted
    pair.wait_delivered(stream)
    figures = report_stream(pair, stream, after)
    figures["cpu_ms_per_message"] = pair.cpu_per_message(cpu, args.messages)
    figures.pop("latency_ms_p50"), figures.pop("latency_ms_p95"), figures.pop("latency_ms_max")
    figures["messages_per_s"] = None
    figures.update(
        written_on_a_s=round(seconds, 1),
        written_on_a_per_s=round(args.messages / seconds, 1),
        b_up_s=round(up, 1),
        catch_up_from_b_start_s=round(done, 1),
    )
    figures["missing"], figures["applied_twice"] = pair.check_once(
        on_b, stream, label, args.messages
    )
    return figures


PASTE = """
import json, time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from coordination.intel import actions as intel
from incidents.models import Incident
case, lena = Incident.objects.get(pk={case_id}), User.objects.get(username='lena')
text = "\\n".join(f"10.{{n // 62500}}.{{n // 250 % 250}}.{{n % 250}}" for n in range({count}))
with CaptureQueriesContext(connection) as queries:
    started = time.perf_counter()
    report = intel.paste_indicators(case, lena, text)
    seconds = time.perf_counter() - started
print(json.dumps({{'seconds': seconds, 'queries': len(queries.captured_queries),
                  'lines': len(report.lines)}}))
"""


def paste(pair, args):
    lead_id, on_b, stream = pair.share("Paste")
    after = pair.last_seq(stream)
    pasted = pair.a.shell(PASTE.format(case_id=lead_id, count=args.messages), timeout=3600)
    written = time.monotonic()

    def on_b_count():
        return pair.b.scalar("SELECT count(*) FROM intel_indicator WHERE incident_id = %s", on_b)

    wait_for(lambda: on_b_count() == args.messages, limit=3600, interval=0.25,
             what="every indicator on B")  # fmt: skip
    pair.wait_delivered(stream)
    figures = report_stream(pair, stream, after)
    figures.update(
        paste_on_a_s=round(pasted["seconds"], 2),
        paste_queries_on_a=pasted["queries"],
        pasted=pasted["lines"],
        all_on_b_after_paste_s=round(time.monotonic() - written, 1),
    )
    return figures


DRAW = """
import json, os, statistics, sys, time
sys.path.insert(0, {root!r})
from bench.profile_page import setup
setup()
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
client = Client()
client.force_login(User.objects.get(username='hans'))
found = []
for name, path in {pages!r}:
    assert client.get(path).status_code == 200, path
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    queries = list(ctx.captured_queries)  # read now: the next request resets the log
    times, cpu = [], []
    for _ in range({requests}):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    found.append([name, statistics.median(times), statistics.median(cpu),
                  sum(float(q['time']) for q in queries) * 1000, len(queries)])
print(json.dumps(found))
"""


def draw(pair, pages, requests):
    # A persistent connection, as drawn_pages.py draws them (the nodes close theirs).
    env = {k: v for k, v in pair.b.env.items() if k not in ("CONCORD_VAR_DIR", "CONN_MAX_AGE")}
    code = DRAW.format(root=str(ROOT), pages=pages, requests=requests)
    output = subprocess.run(
        [*pair.b.prefix, PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True,
        text=True, check=False,
        timeout=3600,
    )  # fmt: skip
    if output.returncode != 0:
        sys.exit(f"drawing B's pages failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def pages(pair, args):
    quiet_a, quiet_b, _quiet_stream = pair.share("Quiet case")
    pair.write(quiet_a, args.prefill, "Quiet entry")
    wait_for(lambda: pair.applied(quiet_b, "Quiet entry") == args.prefill, limit=3600,
             what="the quiet case's entries on B")  # fmt: skip
    busy_a, busy_b, busy_stream = pair.share("Busy case")
    pair.write(busy_a, args.prefill, "Busy entry")
    wait_for(lambda: pair.applied(busy_b, "Busy entry") == args.prefill, limit=3600,
             what="the busy case's entries on B")  # fmt: skip
    references = dict(
        pair.b.query(
            "SELECT id, reference FROM incidents_incident WHERE id IN (%s, %s)", quiet_b, busy_b
        )
    )
    selected = [
        ("dashboard", "/"),
        ("list", "/incidents/"),
        ("detail (quiet shared case)", f"/incidents/{references[quiet_b]}/"),
        ("detail (case receiving the stream)", f"/incidents/{references[busy_b]}/"),
    ]
    results = {"idle": draw(pair, selected, args.requests)}
    label = "Stream entry"
    after = pair.last_seq(busy_stream)
    count = int(args.rate * args.stream_seconds)
    writer = pair.writer(busy_a, count, label, interval=1.0 / args.rate)
    try:
        wait_for(lambda: pair.applied(busy_b, label) >= 5, limit=300, what="the stream on B")
        before, started = pair.applied(busy_b, label), time.monotonic()
        results["stream"] = draw(pair, selected, args.requests)
        elapsed = time.monotonic() - started
        during = pair.applied(busy_b, label) - before
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    if writer.returncode not in (0, -15):
        sys.exit(f"the writer on A failed ({writer.returncode})")
    pair.wait_delivered(busy_stream)
    results["idle again"] = draw(pair, selected, args.requests)
    stream = report_stream(pair, busy_stream, after)
    return {
        "rate_asked_per_s": args.rate,
        "applied_on_b_per_s_while_drawing": round(during / elapsed, 2),
        "drawing_s": round(elapsed, 1),
        "stream_latency_ms_p50": stream["latency_ms_p50"],
        "stream_latency_ms_p95": stream["latency_ms_p95"],
        "pages": results,
    }


def print_pages(figures):
    runs = list(figures["pages"])
    print("| page | " + " | ".join(f"{run}: wall ms (CPU ms), SQL ms, q" for run in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for index, row in enumerate(figures["pages"][runs[0]]):
        cells = []
        for run in runs:
            _name, wall, cpu, sql, queries = figures["pages"][run][index]
            cells.append(f"{wall:.1f} ({cpu:.1f}), {sql:.1f}, {queries}")
        print(f"| {row[0]} | " + " | ".join(cells) + " |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["throughput", "catchup", "pages", "paste"])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rate", type=float, default=5.0, help="pages: entries/s from A")
    parser.add_argument("--stream-seconds", type=float, default=600.0,
                        help="pages: the longest the stream may last")  # fmt: skip
    parser.add_argument("--requests", type=int, default=30, help="pages: requests per page")
    parser.add_argument("--prefill", type=int, default=100,
                        help="pages: entries on each shared case before measuring")  # fmt: skip
    parser.add_argument("--local-cases", type=int, default=0, help="B's own cases")
    parser.add_argument("--prefix", default="fedbench")
    parser.add_argument(
        "--pin", action="store_true",
        help="A (web, worker, writer) on CPU 1, B and the pages drawn on CPU 0, as if on "
        "two machines (PostgreSQL on both)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args(argv)
    if "DATABASE_URL" not in os.environ:
        sys.exit("set DATABASE_URL to the PostgreSQL server (any database on it)")
    if args.what == "pages" and not args.local_cases:
        args.local_cases = 50
    print(json.dumps({"machine": machine(), "load": os.getloadavg()}), flush=True)
    with tempfile.TemporaryDirectory(prefix="concord-federation-bench-") as var_dir:
        pair = Pair(args, var_dir)
        try:
            pair.setup()
            measure = {"throughput": throughput, "catchup": catchup, "pages": pages, "paste": paste}
            figures = measure[args.what](pair, args)
        finally:
            pair.close()
    figures["load_after"] = os.getloadavg()
    print(json.dumps(figures, indent=1, default=str))
    if args.what == "pages":
        print_pages(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
