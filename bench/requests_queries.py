"""Measure the request queries that must stay fast as requests pile up.

Usage (PostgreSQL; the script creates its rows in the given database and leaves them)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_assistance \\
        .venv/bin/python bench/requests_queries.py [--requests 50000]

Seeds agencies in 20 countries and ``--requests`` requests spread over them (bulk
insert, with realistic status / due-date spread), then times, as the median of 20 runs:

- the liaison desk query (restrict + awaiting_action_of, ordered by due date, first page);
- the request list's first page (restrict, newest first);
- the escalation sweep's query: open requests whose ``due_at`` passed a threshold,
  with its EXPLAIN plan (it must use the partial index ``request_due_idx``).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Agency, User
from coordination.assistance.choices import (
    DeadlineKind,
    LegalBasis,
    Status,
    Urgency,
)
from coordination.assistance.models import AssistanceRequest

COUNTRIES = [
    "DE",
    "FR",
    "NL",
    "ES",
    "EE",
    "IT",
    "PL",
    "BE",
    "AT",
    "CZ",
    "SE",
    "DK",
    "FI",
    "IE",
    "PT",
    "GR",
    "RO",
    "HU",
    "SK",
    "LT",
]
SENT_STATES = [
    Status.SENT,
    Status.RECEIVED,
    Status.IN_EXECUTION,
    Status.AWAITING_INFORMATION,
    Status.FULFILLED,
    Status.CLOSED,
    Status.CLOSED,
    Status.CLOSED,
]


def seed(total):
    agencies = []
    for code in COUNTRIES:
        agency, _ = Agency.objects.get_or_create(
            short_name=f"BENCH-{code}",
            defaults={"name": f"Bench unit {code}", "country": code, "kind": "police"},
        )
        agencies.append(agency)
    users = {}
    for agency in agencies:
        user, _created = User.objects.get_or_create(
            username=f"bench-liaison-{agency.country.code.lower()}",
            defaults={"agency": agency, "role": Role.LIAISON_OFFICER},
        )
        users[agency.pk] = user
    existing = AssistanceRequest.objects.filter(reference__startswith="BENCH-").count()
    if existing >= total:
        return agencies, users
    now = timezone.now()
    rng = random.Random(42)
    creator = next(iter(users.values()))
    batch = []
    for n in range(existing, total):
        src, dst = rng.sample(agencies, 2)
        status = rng.choice(SENT_STATES) if rng.random() > 0.1 else Status.DRAFT
        open_ = status in (Status.SENT, Status.RECEIVED, Status.IN_EXECUTION)
        sent = now - timedelta(days=rng.uniform(0, 400))
        batch.append(
            AssistanceRequest(
                reference=f"BENCH-{n:07d}",
                legal_basis=rng.choice(LegalBasis.values),
                measures=["subscriber"],
                urgency=rng.choice(Urgency.values),
                requesting_agency=src,
                requested_country=dst.country.code,
                receiving_agency=dst,
                executing_agency=dst if status != Status.SENT else None,
                facts="Bench request",
                status=status,
                created_by=creator,
                sent_at=None if status == Status.DRAFT else sent,
                due_at=sent + timedelta(days=rng.choice([1, 7, 30, 90])) if open_ else None,
                due_kind=DeadlineKind.EXECUTE if open_ else "",
            )
        )
        if len(batch) == 2000:
            AssistanceRequest.objects.bulk_create(batch)
            batch = []
    AssistanceRequest.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE assistance_assistancerequest")
    return agencies, users


def timed(fn, runs=20):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50000)
    args = parser.parse_args()
    start = time.perf_counter()
    agencies, users = seed(args.requests)
    print(f"seeded / found {args.requests} requests in {time.perf_counter() - start:.1f} s")
    user = users[agencies[0].pk]
    total = AssistanceRequest.objects.count()

    def desk():
        return list(
            AssistanceRequest.objects.restrict(user)
            .awaiting_action_of(user)
            .select_related("requesting_agency", "receiving_agency", "executing_agency")
            .order_by(F("due_at").asc(nulls_last=True), "-updated_at", "-pk")[:50]
        )

    def request_list():
        return list(
            AssistanceRequest.objects.restrict(user)
            .select_related("requesting_agency", "receiving_agency", "executing_agency")
            .order_by("-updated_at", "-pk")[:25]
        )

    threshold = timezone.now()

    def sweep():
        return list(
            AssistanceRequest.objects.filter(due_at__lt=threshold)
            .order_by("due_at")
            .values_list("pk", "due_at", "due_kind")[:500]
        )

    print(f"rows in table: {total}; desk rows for one agency: {len(desk())}")
    print(f"desk query        median {timed(desk):7.2f} ms")
    print(f"list first page   median {timed(request_list):7.2f} ms")
    print(f"sweep (500 due)   median {timed(sweep):7.2f} ms  ({len(sweep())} rows)")
    if connection.vendor == "postgresql":
        qs = AssistanceRequest.objects.filter(due_at__lt=threshold).order_by("due_at")[:500]
        print("sweep plan:")
        print(qs.explain())


if __name__ == "__main__":
    main()
