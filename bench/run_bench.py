"""Measure Concord's pages under load on a seeded PostgreSQL database.

Usage (after ``bench/seed_scale.py`` has filled the database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/run_bench.py [--duration 15] [--only list,detail]

Steps: ``migrate`` and ``collectstatic`` (into a temporary directory), start gunicorn
(2 sync workers, ``coordination.wsgi``, DEBUG off, 127.0.0.1 on a free port), sign in as
the benchmark user through the real login form (CSRF token included), then for each page
run ``wrk -t2 -c8 -d15s --latency`` with the session cookie, and count the SQL queries of
one request of the same page in-process (Django test client signed in as the same user,
``CaptureQueriesContext``, same database). ``--commits-per-second`` commits empty
transactions during each wrk run, as other users' writes would. The server is stopped at
the end, whatever happens. Only loopback traffic; every wait is bounded.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import (
    BENCH_USERNAME,
    ROOT,
    ensure_wrk,
    free_port,
    machine,
    manage,
    parse_latency,
    request,
    server_env,
    sign_in,
    start_gunicorn,
    stop,
    wait_healthy,
)

SEARCH_WORD = "ransomware"
LIST_PAGE_SIZE = 25  # incidents.views.LIST_PAGE_SIZE
DEEP_PAGE = 400


def run_wrk(wrk, port, path, cookie, args):
    command = [
        wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
        "--timeout", "10s", "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=args.duration + 60
    ).stdout
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "requests": int(re.search(r"(\d+) requests in", out)[1]),
        "p50_ms": parse_latency(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)[1]),
        "p99_ms": parse_latency(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)[1]),
        "errors": 0,
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    if non_2xx:
        result["errors"] += int(non_2xx[1])
    if socket_errors:
        result["errors"] += sum(int(n) for n in re.findall(r"\d+", socket_errors[0]))
    return result


def pages(deep_page, detail_reference):
    return [
        ("health", "/health/"),
        ("dashboard", "/"),
        ("list", "/incidents/"),
        ("list_deep", f"/incidents/?page={deep_page}"),
        ("search", f"/incidents/?q={SEARCH_WORD}"),
        ("filter", "/incidents/?status=investigating&severity=high"),
        ("detail", f"/incidents/{detail_reference}/"),
        ("api_list", "/api/v1/incidents/"),
    ]


def in_process_setup(env):
    """Configure Django in this process with the server's settings (for query counts)."""
    os.environ.update({k: v for k, v in env.items() if k != "ALLOWED_HOSTS"})
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def data_figures():
    from django.db import connection

    from accounts.models import Agency, User
    from incidents.models import Incident, Participation, TimelineEntry

    user = User.objects.get(username=BENCH_USERNAME)
    visible = Incident.objects.restrict(user)
    detail = visible.order_by("-updated_at", "-pk").first()
    return user, {
        "agencies": Agency.objects.count(),
        "users": User.objects.count(),
        "incidents": Incident.objects.count(),
        "participations": Participation.objects.count(),
        "timeline_entries": TimelineEntry.objects.count(),
        "visible_to_bench": visible.count(),
        "detail_reference": detail.reference if detail else None,
        "postgresql": connection.cursor().connection.server_version,
    }


def count_queries(user, path, repeat=3):
    """SQL queries and server-side time of one request, after a warm-up request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    response = client.get(path)  # warm-up: content types, templates, connection, cookies
    timings, sql_timings = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        sql_timings.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    return {
        "status": response.status_code,
        "queries": len(captured.captured_queries),
        "single_ms": round(sorted(timings)[len(timings) // 2], 1),
        "single_sql_ms": round(sorted(sql_timings)[len(sql_timings) // 2], 1),
        "sql": [q["sql"] for q in captured.captured_queries],
    }


class Committer:
    """Commits an empty transaction N times a second, as other users' writes would."""

    def __init__(self, database_url, per_second):
        import threading

        self.database_url = database_url
        self.interval = 1.0 / per_second
        self.commits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psycopg2

        conn = psycopg2.connect(self.database_url)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                while not self._stop.wait(self.interval):
                    cursor.execute("SELECT pg_current_xact_id()")  # takes an id, commits
                    self.commits += 1
        finally:
            conn.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


class AuditFlusher:
    """Appends the buffered audit records every N seconds, as the Celery beat task does
    in production, alongside the pages measured."""

    def __init__(self, every):
        import threading

        self.every = every
        self.appended = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection

        from coordination.audit import recorder

        try:
            while not self._stop.wait(self.every):
                self.appended += recorder.flush()
            self.appended += recorder.flush()
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=60)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--duration", type=int, default=15, help="seconds per page (wrk -d)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (above 1: the gthread worker class)",
    )
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--no-load", action="store_true", help="query counts only, no wrk")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--pg-options",
        default="",
        help='PostgreSQL session settings for every connection (PGOPTIONS), e.g. "-c jit=off"',
    )
    parser.add_argument("--show-sql", action="store_true", help="print each page's queries")
    parser.add_argument(
        "--commits-per-second",
        type=float,
        default=0,
        help="commit this many empty transactions a second during each wrk run",
    )
    parser.add_argument("--redis-url", default="", help="give the server Redis (REDIS_URL)")
    parser.add_argument(
        "--audit-reads",
        choices=("on", "off"),
        default="on",
        help="record consultations and exports in the audit trail (the product's behaviour) "
        "or not, to measure what recording them costs",
    )
    parser.add_argument(
        "--audit-flush-seconds",
        type=float,
        default=5.0,
        help="with --redis-url, append the buffered audit records this often during each "
        "wrk run (the production default); 0 leaves them in Redis",
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL (or --database-url) to the seeded PostgreSQL database")
    if not 1 <= args.duration <= 300:
        parser.error("--duration must be between 1 and 300 seconds")
    wrk = None if args.no_load else ensure_wrk()

    var_dir = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    env = server_env(
        args.database_url,
        var_dir,
        redis_url=args.redis_url,
        audit_reads=args.audit_reads == "on",
    )
    if args.pg_options:
        env["PGOPTIONS"] = args.pg_options  # read by libpq: server and in-process alike
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    in_process_setup(env)
    user, data = data_figures()
    if not data["detail_reference"]:
        sys.exit("the benchmark user sees no incident: run bench/seed_scale.py first")
    last_page = max(1, -(-data["visible_to_bench"] // LIST_PAGE_SIZE))
    deep_page = min(DEEP_PAGE, max(1, last_page // 2))
    selected = pages(deep_page, data["detail_reference"])
    if args.only:
        wanted = set(args.only.split(","))
        selected = [p for p in selected if p[0] in wanted]

    results = []
    for name, path in selected:
        counted = count_queries(user, path)
        if args.show_sql:
            print(f"--- {name} {path}")
            for sql in counted["sql"]:
                print("   ", sql[:400])
        results.append({"page": name, "path": path, **counted})
    from django.db import connections

    connections.close_all()  # the server gets the database to itself while measured

    port = free_port()
    process = None
    try:
        if wrk:
            process = start_gunicorn(env, port, workers=args.workers, threads=args.worker_threads)
            wait_healthy(port, process)
            cookie = sign_in(port)
            for result in results:
                status, _headers, _body = request(
                    port, "GET", result["path"], headers={"Cookie": cookie}
                )
                result["http_status"] = status
                if status != 200:
                    print(f"{result['page']}: {result['path']} answered {status}, skipped")
                    continue
                committer = (
                    Committer(args.database_url, args.commits_per_second)
                    if args.commits_per_second > 0
                    else contextlib.nullcontext()
                )
                flusher = (
                    AuditFlusher(args.audit_flush_seconds)
                    if args.redis_url and args.audit_flush_seconds > 0
                    else contextlib.nullcontext()
                )
                with committer, flusher:
                    result.update(run_wrk(wrk, port, result["path"], cookie, args))
                if isinstance(committer, Committer):
                    result["commits"] = committer.commits
                if isinstance(flusher, AuditFlusher):
                    result["audit_records"] = flusher.appended
                print(
                    f"{result['page']:>10}: {result['rps']:7.1f} req/s  "
                    f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                    f"{result['queries']} queries",
                    flush=True,
                )
    finally:
        if process is not None:
            stop(process)
        shutil.rmtree(var_dir, ignore_errors=True)

    figures = {
        "machine": machine(),
        "data": data,
        "load": {
            "tool": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency",
            "gunicorn_workers": args.workers,
            "gunicorn_threads": args.worker_threads,
            "pg_options": args.pg_options,
            "commits_per_second": args.commits_per_second,
            "redis": bool(args.redis_url),
            "audit_reads": args.audit_reads,
            "audit_flush_seconds": args.audit_flush_seconds if args.redis_url else None,
        },
        "pages": [{k: v for k, v in r.items() if k != "sql"} for r in results],
        "seconds": round(time.monotonic() - started, 1),
    }
    print()
    print(f"machine: {figures['machine']}")
    print(f"data: {data}")
    print()
    print(f"load: {figures['load']}")
    print()
    print("| page | path | req/s | p50 ms | p99 ms | queries | 1 request ms (SQL ms) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in figures["pages"]:
        load = (
            f"{r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f}" if "rps" in r else "– | – | –"
        )
        print(
            f"| {r['page']} | `{r['path']}` | {load} | {r['queries']} "
            f"| {r['single_ms']} ({r['single_sql_ms']}) |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
