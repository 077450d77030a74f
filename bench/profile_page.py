"""Profile one page in-process: where a request's time goes, outside and inside SQL.

Usage (on a database filled by ``bench/seed_scale.py``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/profile_page.py /incidents/ [--requests 50] [--top 30]

Signs in as the benchmark user, or ``--user`` (a real session row, as under gunicorn), makes one warm-up
request, then ``--requests`` requests through Django's WSGI handler under ``cProfile``
with ``DEBUG`` off. Prints the mean wall time per request, the mean SQL time (from
``connection.queries`` of one extra request), and the functions with the most own time
and the most cumulative time.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_USERNAME = "bench"


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    var_dir = Path(tempfile.mkdtemp(prefix="concord-profile-"))
    os.environ["CONCORD_VAR_DIR"] = str(var_dir)
    os.environ["STATIC_ROOT"] = str(var_dir / "staticfiles")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    from incidents.querysets import refresh_large_grant_holders

    refresh_large_grant_holders()  # what beat and a starting worker do in a deployment


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--user", default=BENCH_USERNAME, help="username to sign in as")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime,cumulative")
    parser.add_argument("--sql", action="store_true", help="print each query and its time")
    args = parser.parse_args(argv)
    setup()

    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = get_user_model().objects.get(username=args.user)
    client = Client()
    client.force_login(user)

    def hit():
        response = client.get(args.path)
        if response.status_code != 200:
            sys.exit(f"{args.path} answered {response.status_code}")
        return response

    hit()
    with CaptureQueriesContext(connection) as ctx:
        hit()
    queries = list(ctx.captured_queries)
    sql_ms = sum(float(q["time"]) for q in queries) * 1000
    reset_queries()

    started = time.perf_counter()
    for _ in range(args.requests):
        hit()
    plain_ms = (time.perf_counter() - started) * 1000 / args.requests

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        hit()
    profiler.disable()

    print(
        f"{args.path}: {plain_ms:.1f} ms per request without the profiler, "
        f"{sql_ms:.1f} ms of it SQL ({len(queries)} queries)"
    )
    if args.sql:
        for query in queries:
            print(f"{float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
    for key in args.sort.split(","):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(args.top)
        print(f"\n--- by {key} ({args.requests} requests) ---")
        print("\n".join(out.getvalue().splitlines()[6:]))


if __name__ == "__main__":
    main()
