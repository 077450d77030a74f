"""Escalation sweep over 50,000 open requests (one running deadline each) on PostgreSQL.

Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/escalation_bench.py [--requests 50000] [--due 500]

Seeds (once, idempotent by reference prefix) ``--requests`` sent requests whose running
deadlines spread over the next 90 days, ``--due`` of them with a threshold already passed.
Prints the query plan of the sweep's one query, the time of a sweep that finds nothing
(the every-5-minutes case), and the time of a sweep that escalates the ``--due`` requests
(records the level, writes the notifications), then restores the seeded state.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = "MLA-BENCH-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--due", type=int, default=500)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database: this measures the real plan.")
    # Production settings: DEBUG off (cached templates), a throwaway key.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.choices import Role
    from accounts.models import Agency, User
    from coordination.assistance import escalation
    from coordination.assistance.choices import Counting, DeadlineKind, LegalBasis, Party, Status
    from coordination.assistance.models import AssistanceRequest, Escalation, RequestDeadline
    from coordination.notifications import services
    from coordination.notifications.models import Notification

    call_command("migrate", verbosity=0)
    services.queue_delivery = lambda ids: None  # measure the sweep, not the broker
    now = timezone.now()
    de, _ = Agency.objects.get_or_create(
        short_name="BENCH-DE", defaults={"name": "Bench requesting agency", "country": "DE"}
    )
    nl, _ = Agency.objects.get_or_create(
        short_name="BENCH-NL", defaults={"name": "Bench requested agency", "country": "NL"}
    )
    drafter, _ = User.objects.get_or_create(
        username="bench-drafter", defaults={"agency": de, "role": Role.INVESTIGATOR}
    )
    for agency, name in ((de, "bench-liaison-de"), (nl, "bench-liaison-nl")):
        User.objects.get_or_create(
            username=name,
            defaults={"agency": agency, "role": Role.LIAISON_OFFICER, "email": f"{name}@x.example"},
        )

    seeded = AssistanceRequest.objects.filter(reference__startswith=PREFIX)
    present = set(seeded.values_list("reference", flat=True))
    missing = [i for i in range(args.requests) if f"{PREFIX}{i:06d}" not in present]
    if missing:
        started = time.perf_counter()
        rows = []
        for i in missing:
            sent = now - timedelta(days=1)
            due = now + timedelta(days=1 + (i % 89), minutes=i % 1440)
            rows.append(
                AssistanceRequest(
                    reference=f"{PREFIX}{i:06d}",
                    legal_basis=LegalBasis.BUDAPEST_MLA,
                    measures=["subscriber"],
                    requesting_agency=de,
                    requested_country="NL",
                    receiving_agency=nl,
                    status=Status.RECEIVED,
                    created_by=drafter,
                    sent_at=sent,
                    received_at=sent,
                    due_at=due,
                    due_kind=DeadlineKind.EXECUTE,
                    due_clock_started_at=sent,
                )
            )
        with transaction.atomic():
            created = AssistanceRequest.objects.bulk_create(rows, batch_size=2000)
            RequestDeadline.objects.bulk_create(
                [
                    RequestDeadline(
                        request=req,
                        kind=DeadlineKind.EXECUTE,
                        party=Party.REQUESTED,
                        counting=Counting.EXACT,
                        clock_started_at=req.sent_at,
                        due_at=req.due_at,
                        legal_due_at=req.due_at,
                        escalate_at=escalation.first_threshold(req.due_at, req.sent_at),
                    )
                    for req in created
                ],
                batch_size=2000,
            )
        print(f"seeded {len(missing):,} open requests in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assistance_assistancerequest")
        cursor.execute("ANALYZE assistance_requestdeadline")

    # The plan of the sweep's one query
    query = (
        RequestDeadline.objects.filter(escalate_at__lte=now)
        .order_by("escalate_at")
        .values_list("pk", flat=True)[:500]
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(f"    {row[0]}" for row in cursor.fetchall())
    print("plan of the sweep's query:\n" + plan)

    open_count = AssistanceRequest.objects.filter(due_at__isnull=False).count()
    print(f"open requests with a running deadline: {open_count:,}")

    # A sweep with nothing due (what beat runs every 5 minutes almost always)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        fired = escalation.sweep(now=now)
        timings.append((time.perf_counter() - started) * 1000)
        assert fired == []
    print(
        f"sweep, nothing due: median {statistics.median(timings):.2f} ms, "
        f"max {max(timings):.2f} ms over 20 runs (one query)"
    )

    # A sweep with --due requests past their reminder
    targets = list(seeded.order_by("reference").values_list("pk", flat=True)[: args.due])
    RequestDeadline.objects.filter(request_id__in=targets).update(
        escalate_at=now - timedelta(minutes=1),
        due_at=now + timedelta(hours=1),
        clock_started_at=now - timedelta(days=3),
    )
    started = time.perf_counter()
    fired = escalation.sweep(now=now)
    elapsed = time.perf_counter() - started
    mails = Notification.objects.filter(dedupe_key__startswith="escalation:").count()
    print(
        f"sweep, {args.due} due: {elapsed:.2f} s ({elapsed / max(1, len(fired)) * 1000:.1f} ms "
        f"per escalation), {len(fired)} levels recorded, {mails} notification rows written"
    )

    # Restore the seeded state for the next run
    Notification.objects.filter(dedupe_key__startswith="escalation:").delete()
    Escalation.objects.filter(request_id__in=targets).delete()
    seeded.filter(pk__in=targets).delete()
    print("(the escalated requests were removed; the next run seeds them again)")


if __name__ == "__main__":
    main()
