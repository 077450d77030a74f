"""Measure Concord's pages under load on a seeded PostgreSQL database.

Usage (after ``bench/seed_scale.py`` has filled the database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/run_bench.py [--duration 15] [--only list,detail]

Steps: ``migrate`` and ``collectstatic`` (into a temporary directory), start gunicorn
(2 sync workers, ``coordination.wsgi``, DEBUG off, 127.0.0.1 on a free port), sign in as
the benchmark user through the real login form (CSRF token included), then for each page
run ``wrk -t2 -c8 -d15s --latency`` with the session cookie, and count the SQL queries of
one request of the same page in-process (Django test client signed in as the same user,
``CaptureQueriesContext``, same database), drawn and asked again. The page cache is on
as by default (``--page-cache off`` draws every page); ``--commits-per-second`` commits
empty transactions during each wrk run, as other users' writes would. The server is
stopped at the end, whatever happens. Only loopback traffic; every wait is bounded.
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_USERNAME = "bench"
BENCH_PASSWORD = "concord-bench-password"
SEARCH_WORD = "ransomware"
LIST_PAGE_SIZE = 25  # incidents.views.LIST_PAGE_SIZE
DEEP_PAGE = 400


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url, var_dir, *, page_cache=True, redis_url="", audit_reads=True):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="coordination.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        ALLOWED_HOSTS="127.0.0.1",
        CONCORD_VAR_DIR=str(var_dir),  # cache, media, Celery queue: a throwaway directory
        STATIC_ROOT=str(var_dir / "staticfiles"),
        LOG_LEVEL="WARNING",
        MFA_REQUIRED="false",  # the benchmark user signs in with the password alone
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url  # sessions and the page cache shared by the workers
    if not page_cache:
        env["PAGE_CACHE_SECONDS"] = "0"
    if not audit_reads:
        env["DJANGO_SETTINGS_MODULE"] = "bench.settings_without_audit_reads"
    return env


def manage(env, *args, timeout=600):
    subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, check=True, timeout=timeout
    )


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    print("wrk not found: apt-get install -y wrk", flush=True)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, timeout=600)
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk is still missing after apt-get install")
    return path


def request(port, method, path, headers=None, body=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def cookies_from(headers):
    """name -> value from Set-Cookie headers (the Secure flag is ignored on loopback)."""
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            found[key.strip()] = val.strip()
    return found


def wait_healthy(port, process, limit=60):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}")
        try:
            status, _headers, _body = request(port, "GET", "/health/", timeout=5)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer /health/ within {limit} s")


def sign_in(port):
    """POST the login form like a browser; return the Cookie header of the session."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    if status != 200:
        raise RuntimeError(f"GET /accounts/login/ answered {status}")
    cookies = cookies_from(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not match or "csrftoken" not in cookies:
        raise RuntimeError("no CSRF token on the login page")
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": match[1].decode(),
            "username": BENCH_USERNAME,
            "password": BENCH_PASSWORD,
        }
    )
    status, headers, _body = request(
        port,
        "POST",
        "/accounts/login/",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Origin": f"http://127.0.0.1:{port}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
        body=form,
    )
    session = cookies_from(headers).get("sessionid")
    if status != 302 or not session:
        raise RuntimeError(f"sign-in failed (status {status}); seeded with bench/seed_scale.py?")
    return f"sessionid={session}; csrftoken={cookies['csrftoken']}"


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_latency(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


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
    """SQL queries and server-side time of one request, after a warm-up request.

    The page is drawn with the page cache off (``queries``, ``single_ms``), then asked
    again with the server's setting (``again_ms``, ``again_queries``): a cache hit when
    the page cache is on and nothing was written in between.
    """
    from django.conf import settings
    from django.test import override_settings

    with override_settings(PAGE_CACHE_SECONDS=0):
        drawn = _timed_requests(user, path, repeat)
    again = _timed_requests(user, path, repeat) if settings.PAGE_CACHE_SECONDS else drawn
    return {
        **drawn,
        "again_ms": again["single_ms"],
        "again_queries": again["queries"],
    }


def _timed_requests(user, path, repeat):
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
    """Commits an empty transaction N times a second, as other users' writes would.

    Every commit changes the database snapshot, so each one makes the next request of
    every page draw it afresh (``coordination/page_cache.py``).
    """

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
    in production: each flush commits, so the page cache starts again after it."""

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


def machine():
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    except (OSError, TypeError):
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def stop(process):
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # gunicorn's own process group (start_new_session)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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
        "--page-cache",
        choices=("on", "off"),
        default="on",
        help="serve unchanged pages from the page cache (the default setting) or draw each one",
    )
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
        page_cache=args.page_cache == "on",
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
            command = [
                str(Path(PYTHON).parent / "gunicorn"), "coordination.wsgi",
                "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
                "--log-level", "warning", "--timeout", "60",
                "--threads", str(args.worker_threads),
            ]  # fmt: skip
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
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
            "page_cache": args.page_cache,
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
    print(
        "| page | path | req/s | p50 ms | p99 ms | queries | drawn: 1 request ms (SQL ms) "
        "| asked again: ms (queries) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in figures["pages"]:
        load = (
            f"{r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f}" if "rps" in r else "– | – | –"
        )
        print(
            f"| {r['page']} | `{r['path']}` | {load} | {r['queries']} "
            f"| {r['single_ms']} ({r['single_sql_ms']}) | {r['again_ms']} ({r['again_queries']}) |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
