"""Measure the exchange endpoints (TAXII, blocklist, STIX export) on a large data set.

Usage (a PostgreSQL database of your own; the script migrates it and seeds once)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_exchange \\
        .venv/bin/python bench/exchange.py [--incidents 2000] [--per-incident 100] [--runs 5]

Seeds one agency whose investigator sees ``--incidents`` incidents holding
``--per-incident`` indicators each (default 200,000 indicators), plus one incident of
1,000 indicators, then times in-process requests (Django test client, signed in by API
token) and prints the median and the SQL query count of each.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import actions as account_actions
from accounts.choices import Role, TokenScope
from accounts.models import Agency, User
from coordination.exchange import stix
from coordination.exchange.collections import (
    agency_collection_id,
    incident_collection_id,
)
from coordination.intel.choices import IndicatorType
from coordination.intel.models import Indicator
from incidents import actions
from incidents.models import Incident

TAXII = "application/taxii+json;version=2.1"
USERNAME = "exchange-bench"


def fill(incident, n, user, count):
    Indicator.objects.bulk_create(
        [
            Indicator(
                incident=incident,
                type=IndicatorType.IPV4 if i % 2 else IndicatorType.DOMAIN,
                value=f"10.{i // 256}.{n % 256}.{i % 256}" if i % 2 else f"host{i}.case{n}.example",
                added_by=user,
                added_by_agency=user.agency,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )


def seed(incidents, per_incident):
    """Seed once; a later run reuses the data (and completes the large incident)."""
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        agency = Agency.objects.create(
            name="Bench CERT", short_name="BENCH", country="DE", kind="cert"
        )
        user = User.objects.create_user(USERNAME, agency=agency, role=Role.INVESTIGATOR)
    started = time.perf_counter()
    now = timezone.now()
    existing = Incident.objects.filter(created_by=user).count()
    for n in range(existing, incidents + 1):
        incident = actions.create_incident(
            user,
            title=f"Bench incident {n}",
            summary="",
            detected_at=now,
            affected_countries=["DE"],
        )
        fill(incident, n, user, per_incident if n < incidents else 0)
    big = Incident.objects.filter(created_by=user).order_by("-pk").first()
    if not Indicator.objects.filter(incident=big).exists():
        fill(big, incidents, user, 1000)
    print(f"seed: {incidents + 1} incidents ready in {time.perf_counter() - started:.0f} s")
    return user


def measure(client, headers, url, params=None, runs=5, stream=False):
    timings = []
    for _ in range(runs):
        reset_queries()  # the query log is capped: once full, captures would read empty
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url, params or {}, **headers)
            body = b"".join(response.streaming_content) if stream else response.content
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code, body[:200])
    return statistics.median(timings) * 1000, len(queries.captured_queries), len(body), response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--per-incident", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of your own.")
    call_command("migrate", verbosity=0)
    user = seed(args.incidents, args.per_incident)
    _token, key = account_actions.create_api_token(
        user, name="bench", scope=TokenScope.READ, days=1
    )
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {key}",
        "HTTP_ACCEPT": TAXII,
        "SERVER_NAME": "localhost",
    }
    client = Client()
    total = Indicator.objects.filter(added_by=user).count()
    big = Incident.objects.filter(created_by=user).order_by("-pk").first()
    agency = f"/taxii2/api/collections/{agency_collection_id(user.agency_id)}/"
    incident = f"/taxii2/api/collections/{incident_collection_id(big.reference)}/"
    middle = Indicator.objects.filter(added_by=user).order_by("updated_at", "pk")[total // 2]
    cursor = f"i{int(middle.updated_at.timestamp() * 1_000_000)}.{middle.pk}"
    one = Indicator.objects.filter(incident=big).first()
    wanted = stix.indicator_id(big.reference, one.type, one.value)

    print(f"{total} indicators in {args.incidents + 1} incidents visible to one user")
    print(f"{'request':58} {'median ms':>10} {'queries':>8} {'bytes':>10}")
    cases = [
        ("TAXII collections (one per visible incident)", "/taxii2/api/collections/", None, False),
        (
            "agency collection objects, first page (limit 100)",
            agency + "objects/",
            {"limit": 100},
            False,
        ),
        (
            "agency collection objects, middle page (next cursor)",
            agency + "objects/",
            {"limit": 100, "next": cursor},
            False,
        ),
        ("agency collection manifest (limit 1000)", agency + "manifest/", {"limit": 1000}, False),
        ("incident collection objects (limit 1000)", incident + "objects/", {"limit": 1000}, False),
        ("agency collection object by id (match[id])", agency + f"objects/{wanted}/", None, False),
        (
            "incident blocklist (1,000 values)",
            f"/incidents/{big.reference}/blocklist.txt",
            None,
            True,
        ),
        (
            "agency collection blocklist (all values)",
            f"/exchange/collections/{agency_collection_id(user.agency_id)}/blocklist.txt",
            None,
            True,
        ),
        (
            "incident STIX bundle (1,000 indicators)",
            f"/incidents/{big.reference}/stix.json",
            None,
            False,
        ),
    ]
    for label, url, params, stream in cases:
        runs = 1 if "all values" in label or "match[id]" in label else args.runs
        ms, queries, size, _response = measure(client, headers, url, params, runs, stream)
        print(f"{label:58} {ms:10.1f} {queries:8d} {size:10d}")


if __name__ == "__main__":
    main()
