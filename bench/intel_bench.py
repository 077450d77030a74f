"""Correlation at scale: 1,000,000 indicators over 100,000 incidents on PostgreSQL.

Usage (after ``bench/seed_scale.py`` has filled the same database with incidents)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/intel_bench.py [--indicators 1000000] [--reset] [--runs 30]

Seeding: indicators are streamed with ``COPY … FROM STDIN`` in chunks, about ten per
incident. Values are drawn so that correlation has work to do: a few "hot" observables
sit in about 400 incidents each, "warm" ones in a dozen, the rest are unique. One
incident the benchmark user leads (the "panel incident") gets 20 indicators: 5 hot,
10 warm, 5 unique. Then the tables are analysed.

Measured (median and 95th percentile over ``--runs`` runs, in-process, same database):

- one correlation lookup (``correlation.sightings`` for one observable) for a hot, a warm
  and a unique observable, with its query count;
- the incident page's related panel (``GET /incidents/<ref>/indicators/`` as htmx,
  Django test client signed in as the benchmark user): time and query count;
- the search page for one value; and the plan of the aggregate query (index used?).
"""

import argparse
import csv
import io
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
os.environ.setdefault("SECRET_KEY", "bench-intel-script-not-a-secret-" + "x" * 20)
os.environ.setdefault("DEBUG", "true")  # the test client talks to "testserver"

import django

django.setup()

from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from coordination.intel.choices import IndicatorType
from coordination.intel.correlation import sightings
from coordination.intel.models import ContactRequest, Indicator
from incidents.choices import TLP, ParticipationRole
from incidents.models import Incident, Participation

BENCH_USERNAME = "bench"
CHUNK = 5000  # incidents per COPY round (about 50,000 indicator rows)
HOT, WARM = 50, 20_000  # distinct hot and warm observables
P_HOT, P_WARM = 0.02, 0.25  # chance that one indicator is a hot / warm observable
PANEL_HOT, PANEL_WARM, PANEL_UNIQUE = 5, 10, 5


def observable(kind, n):
    """A deterministic, already normalised value of ``kind`` number ``n``."""
    if kind == IndicatorType.IPV4:
        return f"{10 + n % 200}.{(n >> 8) % 256}.{(n >> 16) % 256}.{n % 251 + 1}"
    if kind == IndicatorType.DOMAIN:
        return f"c2-{n:07d}.example"
    if kind == IndicatorType.URL:
        return f"http://drop-{n:07d}.example/gate.php"
    if kind == IndicatorType.SHA256:
        return f"{n:064x}"
    if kind == IndicatorType.MD5:
        return f"{n:032x}"
    if kind == IndicatorType.EMAIL:
        return f"billing{n}@mail-{n % 997}.example"
    return f"invoice_{n:07d}.pdf.exe"


KINDS = [
    (IndicatorType.IPV4, 30),
    (IndicatorType.DOMAIN, 20),
    (IndicatorType.URL, 15),
    (IndicatorType.SHA256, 15),
    (IndicatorType.MD5, 8),
    (IndicatorType.EMAIL, 7),
    (IndicatorType.FILENAME, 5),
]


def pick(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


class Copy:
    def __init__(self, columns):
        self.columns = columns
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.rows = 0
        self.total = 0

    def add(self, *values):
        self.writer.writerow(["\\N" if v is None else v for v in values])
        self.rows += 1

    def flush(self, cursor):
        if not self.rows:
            return
        self.buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        cursor.copy_expert(
            f"COPY {Indicator._meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            self.buffer,
        )
        self.total += self.rows
        self.rows = 0
        self.buffer.seek(0)
        self.buffer.truncate()


def hot_key(n):
    return (IndicatorType.IPV4, observable(IndicatorType.IPV4, 9_000_000 + n))


def warm_key(n):
    kind = KINDS[n % len(KINDS)][0]
    return (kind, observable(kind, 5_000_000 + n))


def panel_incident(bench):
    """An incident the benchmark user's agency leads (seed_scale makes it a participant)."""
    participation = (
        Participation.objects.filter(agency_id=bench.agency_id, role=ParticipationRole.LEAD)
        .order_by("incident_id")
        .first()
    )
    if participation is not None:
        return participation.incident
    return (
        Incident.objects.restrict(bench)
        .filter(tlp__in=[TLP.CLEAR, TLP.GREEN, TLP.AMBER])
        .order_by("pk")
        .first()
    )


def seed(total, rng, bench, panel):
    started = time.monotonic()
    incidents = list(
        Incident.objects.order_by("pk").values_list(
            "pk", "tlp", "created_at", "created_by_id", "lead_agency_id"
        )
    )
    per_incident = total / len(incidents)
    writer = Copy(
        [
            "incident_id", "type", "value", "tlp", "first_seen", "last_seen", "confidence",
            "note", "added_by_id", "added_by_agency_id", "created_at", "updated_at",
        ]
    )  # fmt: skip
    unique = 0
    with connection.cursor() as cursor:
        for start in range(0, len(incidents), CHUNK):
            with transaction.atomic():
                for pk, tlp, created, by, agency in incidents[start : start + CHUNK]:
                    if pk == panel.pk:
                        keys = [hot_key(n) for n in range(PANEL_HOT)]
                        keys += [warm_key(n) for n in range(PANEL_WARM)]
                        for _ in range(PANEL_UNIQUE):
                            unique += 1
                            keys.append((IndicatorType.SHA256, observable("sha256", unique)))
                    else:
                        # Between half and one and a half times the average.
                        count = max(1, round(rng.uniform(0.5, 1.5) * per_incident))
                        keys = set()
                        for _ in range(count):
                            roll = rng.random()
                            if roll < P_HOT:
                                keys.add(hot_key(rng.randrange(HOT)))
                            elif roll < P_HOT + P_WARM:
                                keys.add(warm_key(rng.randrange(WARM)))
                            else:
                                unique += 1
                                kind = pick(rng, KINDS)
                                keys.add((kind, observable(kind, unique)))
                    when = created + timedelta(minutes=rng.randrange(1, 600))
                    for kind, value in keys:
                        writer.add(
                            pk, kind, value, tlp, None, when.isoformat(), rng.choice([None, 50, 80]),
                            "", by, agency, when.isoformat(), when.isoformat(),
                        )  # fmt: skip
                writer.flush(cursor)
            done = min(start + CHUNK, len(incidents))
            if done % 20_000 == 0 or done == len(incidents):
                print(f"  {done:>7,} incidents, {writer.total:>9,} indicators", flush=True)
        cursor.execute(f"ANALYZE {Indicator._meta.db_table}")
    print(
        f"seeded {writer.total:,} indicators over {len(incidents):,} incidents "
        f"in {time.monotonic() - started:.0f} s",
        flush=True,
    )


def timed(runs, func):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95


def count_queries(func):
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reset", action="store_true", help="delete indicators first")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database seeded by bench/seed_scale.py.")
    bench = User.objects.select_related("agency").filter(username=BENCH_USERNAME).first()
    n_incidents = Incident.objects.count()
    if bench is None or n_incidents == 0:
        sys.exit("Run bench/seed_scale.py first (incidents and the 'bench' user are missing).")
    panel = panel_incident(bench)
    print(f"database: {n_incidents:,} incidents; panel incident {panel.reference} ({panel.tlp})")

    if args.reset:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {ContactRequest._meta.db_table}, {Indicator._meta.db_table}")
    existing = Indicator.objects.count()
    if existing == 0:
        seed(args.indicators, random.Random(args.seed), bench, panel)
    else:
        print(f"using the {existing:,} indicators already there (--reset to reseed)")
    print(f"indicators: {Indicator.objects.count():,}")
    print()

    runs = args.runs
    cases = [
        ("hot", hot_key(0)),
        ("warm", warm_key(1)),
        ("unique", Indicator.objects.filter(incident=panel, type="sha256").values_list(
            "type", "value").first()),
    ]  # fmt: skip
    print("one correlation lookup (correlation.sightings, one observable):")
    for label, key in cases:
        total = Indicator.objects.filter(type=key[0], value=key[1]).count()
        seen = sightings(bench, [key], exclude_incident=panel)[key]

        def lookup(key=key):
            sightings(bench, [key], exclude_incident=panel)

        queries = count_queries(lookup)
        median, p95 = timed(runs, lookup)
        print(
            f"  {label:<7} {total:>5} sightings ({seen.visible_count} visible, "
            f"{seen.hidden_count} hidden in {seen.hidden_countries} countries): "
            f"median {median:6.1f} ms, p95 {p95:6.1f} ms, {queries} queries"
        )

    keys = list(Indicator.objects.filter(incident=panel).values_list("type", "value"))

    def page_lookup():
        sightings(bench, keys, exclude_incident=panel)

    median, p95 = timed(runs, page_lookup)
    print(
        f"  all {len(keys)} observables of the panel at once: median {median:.1f} ms, "
        f"p95 {p95:.1f} ms, {count_queries(page_lookup)} queries"
    )
    print()

    client = Client()
    client.force_login(bench)
    url = reverse("intel:panel", args=[panel.reference])

    def panel_request():
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.status_code

    panel_request()  # warm the session and template caches
    median, p95 = timed(runs, panel_request)
    print(
        f"incident page's related panel (GET {url}, htmx, {len(keys)} indicators): "
        f"median {median:.1f} ms, p95 {p95:.1f} ms, {count_queries(panel_request)} queries"
    )

    search_url = reverse("intel:search") + f"?q={hot_key(1)[1]}"

    def search_request():
        response = client.get(search_url)
        assert response.status_code == 200, response.status_code

    search_request()
    median, p95 = timed(runs, search_request)
    print(
        f"intel search for a hot value (GET {search_url}): median {median:.1f} ms, "
        f"p95 {p95:.1f} ms, {count_queries(search_request)} queries"
    )

    print()
    print("plan of the aggregate query (hot observable):")
    key = hot_key(0)
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        sightings(bench, [key], exclude_incident=panel)
    sql = ctx.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        for (line,) in cursor.fetchall()[:14]:
            print("  " + line)


if __name__ == "__main__":
    main()
