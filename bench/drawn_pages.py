"""Time each page drawn in-process: median of N requests, SQL and queries.

The Python CPU time (``time.process_time``) leaves out the waits for PostgreSQL and for
the CPU: on a shared machine it is the steadier figure of the page's own work.

Run from the project's top folder on a database seeded by ``seed_scale.py``; it measures
the code of the folder it is run from, so the same script compares two checkouts:

    DATABASE_URL=... .venv/bin/python bench/drawn_pages.py --requests 40
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args(argv)

    from bench.profile_page import BENCH_USERNAME, setup
    from bench.run_bench import DEEP_PAGE, LIST_PAGE_SIZE, pages

    os.environ["MFA_REQUIRED"] = "false"  # the benchmark user signs in with the password alone
    setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from incidents.choices import ParticipationRole
    from incidents.models import Incident
    from incidents.pagination import Keyset

    user = User.objects.get(username=BENCH_USERNAME)
    visible = Incident.objects.restrict(user)
    newest = visible.order_by("-updated_at", "-pk").first()
    led = (
        visible.filter(lead_agency_id=user.agency_id, participations__role=ParticipationRole.LEAD)
        .order_by("-updated_at", "-pk")
        .first()
    )
    deep_page = min(DEEP_PAGE, max(1, -(-visible.count() // LIST_PAGE_SIZE) // 2))
    selected = [p for p in pages(deep_page, newest.reference) if p[0] not in ("health", "api_list")]
    selected.append(("detail_lead", f"/incidents/{led.reference}/"))
    # The same deep page reached by "Next" from the page before: read from its position.
    listed = visible.filter(is_exercise=False).order_by("-updated_at", "-pk")
    before = listed[(deep_page - 1) * LIST_PAGE_SIZE - 1]
    cursor = Keyset(listed).token(before)
    selected.insert(3, ("list_deep_next", f"/incidents/?page={deep_page}&after={cursor}"))
    if args.only:
        selected = [p for p in selected if p[0] in args.only.split(",")]

    client = Client()
    client.force_login(user)
    print("| page | drawn: median ms | fastest ms | Python CPU: median ms | SQL ms | queries |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, path in selected:
        assert client.get(path).status_code == 200, path
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        queries = list(ctx.captured_queries)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        times, cpu = [], []
        for _ in range(args.requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        print(
            f"| {name} | {statistics.median(times):.1f} | {min(times):.1f} | "
            f"{statistics.median(cpu):.1f} | {sql_ms:.1f} | {len(queries)} |"
        )


if __name__ == "__main__":
    main()
