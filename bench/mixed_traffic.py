"""Measure Concord under mixed traffic: many users of many agencies, many pages at once.

Usage (after ``bench/seed_scale.py`` has filled the database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/mixed_traffic.py [--duration 30] [--redis-url redis://…]

Steps: ``migrate`` and ``collectstatic`` (into a temporary directory), start gunicorn
(``--workers`` sync workers, as ``run_bench.py``) and a Celery worker with beat (audit
flush, notifications), unless ``--base-url`` names a server already running. Then, in
this process on the same database: pick ``--users`` seeded users spread over the agencies
(and so over their roles), the incidents each one sees, ``--api-clients`` more users who
get an API token, and draw ``--pairs`` (user, page) pairs from the page mix (``--mix``).
Every session user signs in through the real login form. ``wrk`` asks the pairs with
``bench/mixed_traffic.lua`` (one connection per wrk thread, each response timed against
its own request) while a writer posts through the app, at ``--writes-per-second`` and in
turn, timeline entries and indicators (as contributors of cases they work on) and request
steps (a liaison officer submits a police-to-police request and returns it to the drafter;
the drafts are made on the first run and kept). The report gives, per
page kind and in total, the requests answered, the throughput and p50/p95/p99, and the
CPU time the load generator itself used. Everything started is stopped at the end, and
the API tokens made for the run are deleted, whatever happens.
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import (
    BENCH_PASSWORD,
    HOST,
    ROOT,
    ensure_wrk,
    free_port,
    machine,
    manage,
    request,
    server_env,
    sign_in_cookies,
    start_celery_worker,
    start_gunicorn,
    stop,
    wait_healthy,
)

LUA_SCRIPT = ROOT / "bench" / "mixed_traffic.lua"
TOKEN_NAME = "mixed traffic benchmark"
SEEDED_PREFIX = "BN-"

# Page kinds and their weights. The first six are the page views of issue 19's mix
# (detail 40 %, lists 15 %, filtered lists 10 %, dashboard 15 %, search 10 %, API list
# 10 %); the htmx panels of the incident page, the notification bell's poll and the API
# clients' incident reads come on top of them.
DEFAULT_MIX = {
    "detail": 40,
    "list": 15,
    "filter": 10,
    "dashboard": 15,
    "search": 10,
    "api_list": 10,
    "timeline_panel": 5,
    "tasks_panel": 5,
    "indicators_panel": 5,
    "evidence_panel": 5,
    "bell": 10,
    "api_detail": 5,
}
API_KINDS = {"api_list", "api_detail"}
HTMX_KINDS = {"timeline_panel", "tasks_panel", "indicators_panel", "evidence_panel", "bell"}
SEARCH_WORDS = [
    "ransomware", "phishing", "botnet", "ddos", "hospital", "bank", "university",
    "leak", "vpn", "supply", "credentials", "airport", "energy", "telecom",
]  # fmt: skip
STATUSES = ["open", "investigating", "contained", "resolved", "closed"]
SEVERITIES = ["low", "medium", "high", "critical"]
TLPS = ["clear", "green", "amber", "amber+strict"]
WRITE_KINDS = ("write_timeline", "write_indicator", "write_request_step")
REQUEST_MARKER = "Mixed traffic benchmark"  # the facts of the drafts the writer moves
REQUEST_DRAFTERS = 5


def parse_mix(text):
    if not text:
        return dict(DEFAULT_MIX)
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in DEFAULT_MIX:
            raise argparse.ArgumentTypeError(
                f"unknown page kind {name!r}; known: {', '.join(DEFAULT_MIX)}"
            )
        try:
            mix[name] = float(weight)
        except ValueError:
            raise argparse.ArgumentTypeError(f"weight of {name} is not a number") from None
    if not any(mix.values()):
        raise argparse.ArgumentTypeError("every weight is 0")
    return mix


# ------------------------------------------------------------------------ the plan


def choose_users(count, rng, exclude=()):
    """``count`` seeded users, one agency after another so that many agencies (and the
    roles their users were given) are represented; never the same user twice."""
    from accounts.models import User

    by_agency = {}
    users = (
        User.objects.filter(is_active=True, agency__short_name__startswith=SEEDED_PREFIX)
        .exclude(username__in=exclude)
        .select_related("agency")
        .order_by("agency__short_name", "username")
    )
    for user in users:
        by_agency.setdefault(user.agency.short_name, []).append(user)
    for members in by_agency.values():
        rng.shuffle(members)
    agencies = sorted(by_agency)
    rng.shuffle(agencies)
    chosen = []
    while len(chosen) < count and any(by_agency.values()):
        for name in agencies:
            if by_agency[name] and len(chosen) < count:
                chosen.append(by_agency[name].pop())
    if len(chosen) < count:
        sys.exit(f"only {len(chosen)} seeded users for --users/--api-clients {count}")
    return chosen


def visible_references(user, limit=500):
    """The references of the incidents ``user`` sees, most recently updated first."""
    from incidents.models import Incident

    return list(
        Incident.objects.restrict(user)
        .order_by("-updated_at", "-pk")
        .values_list("reference", flat=True)[:limit]
    )


def writable_incidents(user, limit=50):
    """(reference, TLP) of the cases ``user`` contributes to, TLP:RED left out (its
    entries need named recipients)."""
    from incidents.choices import TLP, Action
    from incidents.models import Incident

    return list(
        Incident.objects.restrict(user, Action.CONTRIBUTE)
        .exclude(tlp=TLP.RED)
        .order_by("-updated_at", "-pk")
        .values_list("reference", "tlp")[:limit]
    )


def request_drafts(users):
    """(username, reference, status) of a police-to-police request per liaison officer
    (at most ``REQUEST_DRAFTERS``), in draft or awaiting approval: the writer submits it
    and returns it to the drafter in turn. Made once, reused by the next runs."""
    from datetime import UTC, datetime

    from accounts.choices import Role
    from accounts.models import Agency
    from coordination.assistance import actions
    from coordination.assistance.choices import DataKind, LegalBasis, Measure, Status, Urgency
    from coordination.assistance.models import AssistanceRequest
    from coordination.assistance.validation import missing_essentials

    drafts = []
    for user in [u for u in users if u.role == Role.LIAISON_OFFICER][:REQUEST_DRAFTERS]:
        request = (
            AssistanceRequest.objects.filter(
                created_by=user,
                facts__startswith=REQUEST_MARKER,
                status__in=(Status.DRAFT, Status.PENDING_APPROVAL),
            )
            .order_by("pk")
            .first()
        )
        if request is None:
            abroad = (
                Agency.objects.active()
                .filter(short_name__startswith=SEEDED_PREFIX)
                .exclude(country=user.agency.country)
                .order_by("short_name")
                .first()
            )
            if abroad is None:
                continue
            request = actions.create_request(
                user,
                data_sought=[
                    {
                        "kind": DataKind.IP_TIME,
                        "value": "203.0.113.7",
                        "observed_at": datetime(2026, 2, 27, 23, 14, tzinfo=UTC),
                        "provider": "Example Hosting B.V.",
                    }
                ],
                legal_basis=LegalBasis.POLICE,
                measures=[Measure.SUBSCRIBER],
                urgency=Urgency.ROUTINE,
                requested_country=abroad.country.code,
                receiving_agency=abroad,
                facts=f"{REQUEST_MARKER}: command-and-control server rented abroad.",
                offences="Computer sabotage, extortion.",
                dual_criminality="The same conduct is an offence in both countries.",
            )
        missing = missing_essentials(request)
        if missing:
            print(f"{request.reference} lacks {', '.join(missing)}: no request steps from it")
            continue
        drafts.append((user.username, request.reference, request.status))
    return drafts


def recent_pick(rng, items):
    """An item, the first (most recent) ones more often: people work on live cases."""
    return items[int(len(items) * rng.random() ** 2)]


def page_path(kind, rng, references):
    if kind == "dashboard":
        return "/"
    if kind == "list":
        page = 1 if rng.random() < 0.7 else rng.randint(2, 6)
        return "/incidents/" if page == 1 else f"/incidents/?page={page}"
    if kind == "filter":
        query = [("status", s) for s in rng.sample(STATUSES, rng.randint(1, 2))]
        if rng.random() < 0.6:
            query.append(("severity", rng.choice(SEVERITIES)))
        if rng.random() < 0.3:
            query.append(("tlp", rng.choice(TLPS)))
        if rng.random() < 0.2:
            query.append(("is_exercise", "false"))
        return "/incidents/?" + urllib.parse.urlencode(query)
    if kind == "search":
        word = rng.choice(SEARCH_WORDS)
        if rng.random() < 0.1 and references:
            word = rng.choice(references)[:-2]  # a reference typed in part
        return "/incidents/?" + urllib.parse.urlencode({"q": word})
    if kind == "api_list":
        if rng.random() < 0.3:
            return "/api/v1/incidents/?" + urllib.parse.urlencode({"status": rng.choice(STATUSES)})
        return "/api/v1/incidents/" if rng.random() < 0.8 else "/api/v1/incidents/?page=2"
    if kind == "bell":
        return "/notifications/bell/"
    reference = urllib.parse.quote(recent_pick(rng, references))
    return {
        "detail": f"/incidents/{reference}/",
        "timeline_panel": f"/incidents/{reference}/timeline/?page=2",
        "tasks_panel": f"/incidents/{reference}/tasks/",
        "indicators_panel": f"/incidents/{reference}/indicators/",
        "evidence_panel": f"/incidents/{reference}/evidence/panel/",
        "api_detail": f"/api/v1/incidents/{reference}/",
    }[kind]


def build_plan(rng, mix, sessions, api_clients, pairs):
    """``pairs`` lines of (kind, path, cookie, authorization, htmx) for the Lua script.

    ``sessions``: [(cookie header, references)]; ``api_clients``: [(key, references)].
    """
    kinds = [k for k, w in mix.items() if w > 0]
    weights = [mix[k] for k in kinds]
    lines = []
    for _ in range(pairs):
        kind = rng.choices(kinds, weights)[0]
        if kind in API_KINDS:
            key, references = rng.choice(api_clients)
            cookie, auth = "", f"Token {key}"
        else:
            cookie, references = rng.choice(sessions)
            auth = ""
        path = page_path(kind, rng, references)
        lines.append((kind, path, cookie, auth, "1" if kind in HTMX_KINDS else "0"))
    return lines


# ------------------------------------------------------------------------ writes


class Writer:
    """Posts timeline entries, indicators and request steps through the app, in turn,
    ``per_second`` a second: entries and indicators as a contributor of the case, steps
    (submit, return to the drafter) as the liaison officer of the request."""

    WRITERS = 4

    def __init__(self, port, per_second, targets, drafts, seed):
        self.port = port
        self.interval = 1.0 / per_second
        self.targets = targets  # [(cookies, [(reference, tlp)])]
        self.drafts = drafts  # [[cookies, reference, status]]
        self.kinds = WRITE_KINDS if drafts else WRITE_KINDS[:2]
        self.rng = random.Random(seed)
        self.tag = f"{seed:x}{int(time.time()):x}"
        self.samples = []
        self.skipped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _post(self, cookies, path, fields):
        started = time.perf_counter()
        try:
            status, _headers, _body = request(
                self.port,
                "POST",
                path,
                headers={
                    "Cookie": cookies["header"],
                    "X-CSRFToken": cookies["csrftoken"],
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept-Language": "en",
                },
                body=urllib.parse.urlencode(fields),
                timeout=30,
            )
        except OSError:
            status = 0
        return status, (time.perf_counter() - started) * 1_000_000

    def step(self, n):
        """Submit a draft, or return a submitted one to its drafter (the request's status
        is followed here: a 409 says it was the other one)."""
        draft = self.drafts[n % len(self.drafts)]
        cookies, reference, status = draft
        action, fields = ("submit", {}) if status == "draft" else ("return", {"comment": "Again."})
        status_code, us = self._post(
            cookies, f"/requests/{urllib.parse.quote(reference)}/{action}/", fields
        )
        if status_code in (302, 409):
            draft[2] = "pending_approval" if status == "draft" else "draft"
        return status_code, us

    def write(self, n):
        kind = self.kinds[n % len(self.kinds)]
        if kind == "write_request_step":
            status, us = self.step(n // len(self.kinds))
            self.samples.append((kind, status, us))
            return
        cookies, incidents = self.rng.choice(self.targets)
        reference, tlp = recent_pick(self.rng, incidents)
        base = f"/incidents/{urllib.parse.quote(reference)}"
        if kind == "write_timeline":
            status, us = self._post(
                cookies,
                f"{base}/timeline/add/",
                {"body": f"Mixed traffic note {n}: **host-{n}** seen beaconing.", "tlp": tlp},
            )
        else:
            status, us = self._post(
                cookies,
                f"{base}/indicators/add/",
                {  # the form's prefix: coordination.intel.forms.IndicatorForm
                    "one-value": f"host-{n}.mixed-{self.tag}.example",
                    "one-type": "",
                    "one-tlp": tlp,
                    "one-confidence": "50",
                },
            )
        self.samples.append((kind, status, us))

    def _run(self):
        # Up to WRITERS posts at once: a slow write does not hold back the ones due after it.
        n = 0
        next_at = time.monotonic()
        slots = threading.BoundedSemaphore(self.WRITERS)
        with ThreadPoolExecutor(max_workers=self.WRITERS) as pool:
            while not self._stop.is_set():
                if slots.acquire(blocking=False):
                    pool.submit(self.write, n).add_done_callback(lambda _f: slots.release())
                    n += 1
                else:
                    self.skipped += 1  # all WRITERS busy: the server is behind
                next_at += self.interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_at = time.monotonic()  # behind: no burst to catch up

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=60)


# ------------------------------------------------------------------------ measuring


def percentile(ordered, share):
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * share // 100))
    return ordered[int(rank) - 1]


def summarise(samples, seconds):
    """Per kind: requests, errors (not 2xx/3xx), req/s, p50/p95/p99 in ms."""
    by_kind = {}
    for kind, status, us in samples:
        by_kind.setdefault(kind, []).append((status, us))
    everything = [(status, us) for kind, status, us in samples if not kind.startswith("write")]
    rows = {}
    for kind, items in [*sorted(by_kind.items()), ("total (reads)", everything)]:
        ordered = sorted(us / 1000 for _status, us in items)
        errors = sum(1 for status, _us in items if not 200 <= status < 400)
        statuses = {}
        for status, _us in items:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        rows[kind] = {
            "requests": len(items),
            "errors": errors,
            "statuses": statuses,
            "rps": round(len(items) / seconds, 1) if seconds else None,
            **{
                f"p{p}_ms": None if not ordered else round(percentile(ordered, p), 1)
                for p in (50, 95, 99)
            },
        }
    return rows


def run_wrk(wrk, port, plan_file, connections, duration, out_file):
    env = {
        **os.environ,
        "MIXED_PLAN": str(plan_file),
        "MIXED_THREADS": str(connections),
        "MIXED_OUT": str(out_file),
    }
    command = [
        wrk, f"-t{connections}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "-s", str(LUA_SCRIPT), f"http://{HOST}:{port}/",
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=duration + 120
    )
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    samples = []
    for line in Path(out_file).read_text().splitlines():
        kind, status, us = line.split()
        samples.append((kind, int(status), float(us)))
    socket_errors = re.search(r"Socket errors:.*", completed.stdout)
    return {
        "samples": samples,
        "seconds": min(elapsed, float(duration)),
        "socket_errors": socket_errors[0] if socket_errors else "",
        "client_cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        "wrk_output": completed.stdout,
    }


# ------------------------------------------------------------------------ main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--duration", type=int, default=30, help="seconds of load (wrk -d)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load not measured")
    parser.add_argument(
        "--connections", type=int, default=8, help="concurrent connections (one wrk thread each)"
    )
    parser.add_argument("--users", type=int, default=60, help="signed-in users")
    parser.add_argument("--api-clients", type=int, default=10, help="users with an API token")
    parser.add_argument("--pairs", type=int, default=20_000, help="(user, page) pairs drawn")
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=dict(DEFAULT_MIX),
        help="page kinds and weights, e.g. detail=40,list=15 (omitted kinds are not asked)",
    )
    parser.add_argument(
        "--writes-per-second",
        type=float,
        default=1.0,
        help="timeline entries, indicators and request steps posted through the app, in "
        "turn (0: none)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the plan")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-threads", type=int, default=1, help="threads per worker")
    parser.add_argument(
        "--celery-workers",
        type=int,
        default=1,
        help="Celery workers started beside the server (the first runs beat: audit flush)",
    )
    parser.add_argument("--redis-url", default="", help="give the server Redis (REDIS_URL)")
    parser.add_argument(
        "--base-url",
        default="",
        help="measure a server already running (http://127.0.0.1:PORT) on the same database; "
        "nothing is started, --workers and --celery-workers do not apply",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL (or --database-url) to the seeded PostgreSQL database")
    if not 1 <= args.duration <= 3600:
        parser.error("--duration must be between 1 and 3600 seconds")
    if args.connections < 1 or args.users < 1 or args.pairs < args.connections:
        parser.error("--connections and --users must be at least 1, --pairs >= --connections")
    if args.writes_per_second < 0:
        parser.error("--writes-per-second cannot be negative")
    if any(k in API_KINDS for k, w in args.mix.items() if w) and args.api_clients < 1:
        parser.error("the mix asks the API: --api-clients must be at least 1")
    if args.base_url:
        parts = urllib.parse.urlsplit(args.base_url)
        if parts.scheme != "http" or parts.hostname != HOST or not parts.port:
            parser.error(f"--base-url must be http://{HOST}:PORT")
        args.port = parts.port
    return args


def plan_traffic(args, rng):
    """Users, their incidents and API tokens, read and made in this process."""
    from accounts import actions as account_actions
    from accounts.choices import TokenScope
    from incidents.models import Incident, TimelineEntry

    users = choose_users(args.users, rng)
    clients = (
        choose_users(args.api_clients, rng, exclude=[u.username for u in users])
        if args.api_clients
        else []
    )
    references = {u.username: visible_references(u) for u in users + clients}
    blind = [u.username for u in users + clients if not references[u.username]]
    if blind:
        print(f"{len(blind)} chosen users see no incident (their incident pages are skipped)")
    writable = {u.username: writable_incidents(u) for u in users} if args.writes_per_second else {}
    drafts = request_drafts(users) if args.writes_per_second else []
    keys = []
    for user in clients:
        _token, key = account_actions.create_api_token(
            user, name=TOKEN_NAME, scope=TokenScope.READ, days=1
        )
        keys.append((user.username, key))
    data = {
        "incidents": Incident.objects.count(),
        "timeline_entries": TimelineEntry.objects.count(),
        "session_users": len(users),
        "api_clients": len(clients),
        "agencies": len({u.agency_id for u in users + clients}),
        "roles": sorted({u.role for u in users + clients}),
        "incidents_read_per_user_median": sorted(len(r) for r in references.values())[
            len(references) // 2
        ],
    }
    data["request_drafts"] = len(drafts)
    return users, keys, references, writable, drafts, data


def delete_tokens():
    from accounts.models import ApiToken

    ApiToken.objects.filter(name=TOKEN_NAME).delete()


def sign_in_all(port, users):
    """Session cookies of every user, signed in through the login form (2 at a time)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        cookies = list(pool.map(lambda u: sign_in_cookies(port, u.username, BENCH_PASSWORD), users))
    return dict(zip([u.username for u in users], cookies, strict=True))


def report(figures):
    print()
    print(f"machine: {figures['machine']}")
    print(f"data: {figures['data']}")
    print(f"load: {figures['load']}")
    print()
    print("| page kind | share | requests | req/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    weights = figures["load"]["mix"]
    total_weight = sum(weights.values())
    for kind, row in figures["kinds"].items():
        share = f"{100 * weights[kind] / total_weight:.0f} %" if kind in weights else "–"
        print(
            f"| {kind} | {share} | {row['requests']} | {row['rps']} | {row['p50_ms']} "
            f"| {row['p95_ms']} | {row['p99_ms']} | {row['errors']} |"
        )
    print()
    print(
        f"load generator: {figures['client_cpu_seconds']} CPU seconds over "
        f"{figures['seconds_measured']} s ({figures['client_cpu_share']} % of one core)"
    )
    if figures["load"]["writes_per_second"]:
        print(
            f"writes: {figures['writes_per_second_done']} a second done, "
            f"{figures['writes_skipped']} skipped (all writers busy)"
        )
    if figures["socket_errors"]:
        print(f"wrk: {figures['socket_errors']}")


def main(argv=None):
    args = parse_args(argv)
    wrk = ensure_wrk()
    var_dir = Path(tempfile.mkdtemp(prefix="concord-mixed-"))
    env = server_env(args.database_url, var_dir, redis_url=args.redis_url)
    started = time.monotonic()
    processes = []
    planned = False
    try:
        if not args.base_url:
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "collectstatic", "--noinput", "-v0")
        from bench.run_bench import in_process_setup

        in_process_setup(env)
        from django.db import connections

        rng = random.Random(args.seed)
        planned = True  # from here on, API tokens of the run may exist
        users, keys, references, writable, drafts, data = plan_traffic(args, rng)
        connections.close_all()  # the server gets the database to itself while measured

        port = args.port if args.base_url else free_port()
        if not args.base_url:
            processes.append(
                start_gunicorn(env, port, workers=args.workers, threads=args.worker_threads)
            )
            for n in range(args.celery_workers):
                processes.append(
                    start_celery_worker(
                        env, beat=n == 0, name=f"mixed{n}", log_file=var_dir / "celery.log"
                    )
                )
            wait_healthy(port, processes[0])
        else:
            wait_healthy(port)

        print(f"signing in {len(users)} users through the login form ...", flush=True)
        cookies = sign_in_all(port, users)
        sessions = [
            (cookies[u.username]["header"], references[u.username])
            for u in users
            if references[u.username]
        ]
        api_clients = [(key, references[name]) for name, key in keys if references[name]]
        if not sessions:
            sys.exit("no chosen user sees any incident: run bench/seed_scale.py first")
        lines = build_plan(rng, args.mix, sessions, api_clients, args.pairs)
        plan_file = var_dir / "plan.tsv"
        plan_file.write_text("".join("\t".join(line) + "\n" for line in lines))
        status, _headers, _body = request(port, "GET", "/", headers={"Cookie": sessions[0][0]})
        if status != 200:
            raise RuntimeError(f"the dashboard answered {status} to a signed-in user")

        if args.warmup:
            print(f"warm-up: {args.warmup} s", flush=True)
            run_wrk(wrk, port, plan_file, args.connections, args.warmup, var_dir / "warm.txt")
        writer_targets = [
            (cookies[u.username], writable[u.username]) for u in users if writable.get(u.username)
        ]
        if args.writes_per_second and not writer_targets:
            sys.exit("no chosen user contributes to a case: nothing to write")
        writer_drafts = [[cookies[name], reference, status] for name, reference, status in drafts]
        writer = (
            Writer(port, args.writes_per_second, writer_targets, writer_drafts, args.seed)
            if args.writes_per_second
            else None
        )
        print(
            f"measuring: {args.duration} s, {args.connections} connections, "
            f"{args.writes_per_second} writes/s",
            flush=True,
        )
        if writer:
            with writer:
                measured = run_wrk(
                    wrk, port, plan_file, args.connections, args.duration, var_dir / "out.txt"
                )
        else:
            measured = run_wrk(
                wrk, port, plan_file, args.connections, args.duration, var_dir / "out.txt"
            )
    finally:
        for process in reversed(processes):
            stop(process)
        if planned:
            try:
                delete_tokens()
            except Exception as exc:  # noqa: BLE001 - the run's own failure matters more
                print(f"could not delete the run's API tokens: {exc}", file=sys.stderr)
        shutil.rmtree(var_dir, ignore_errors=True)

    seconds = measured["seconds"]
    samples = measured["samples"] + (writer.samples if writer else [])
    figures = {
        "machine": machine(),
        "data": data,
        "load": {
            "tool": f"wrk -t{args.connections} -c{args.connections} -d{args.duration}s "
            f"-s bench/mixed_traffic.lua",
            "pairs": args.pairs,
            "mix": {k: w for k, w in args.mix.items() if w},
            "writes_per_second": args.writes_per_second,
            "target": args.base_url or "gunicorn started by the script",
            "gunicorn_workers": None if args.base_url else args.workers,
            "gunicorn_threads": None if args.base_url else args.worker_threads,
            "celery_workers": None if args.base_url else args.celery_workers,
            "redis": bool(args.redis_url),
            "seed": args.seed,
        },
        "kinds": summarise(samples, seconds),
        "seconds_measured": round(seconds, 1),
        "writes_per_second_done": round(len(writer.samples) / seconds, 2) if writer else 0,
        "writes_skipped": writer.skipped if writer else 0,
        "client_cpu_seconds": measured["client_cpu_seconds"],
        "client_cpu_share": round(100 * measured["client_cpu_seconds"] / seconds, 1),
        "socket_errors": measured["socket_errors"],
        "seconds": round(time.monotonic() - started, 1),
    }
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
