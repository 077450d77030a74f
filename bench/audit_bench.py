"""Audit trail benchmark: what recording costs a request, the flush, and verification.

Usage::

    createdb -h 127.0.0.1 -U postgres concord_audit_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_audit_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/audit_bench.py [--records 100000]

It appends to the audit trail of the database it is given: use a database of its own.
Prints:

1. the cost, in the request, of recording one consultation (``record_buffered``: fields,
   HMAC, one RPUSH to Redis), median of 5,000 calls;
2. the cost of appending one security event in the caller's transaction (``record``:
   chain head lock, hash, insert), median of 500 calls;
3. the flush: buffered records appended per second, in batches of 1,000;
4. the time to verify the whole chain (``--records`` records), median of 3 runs.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ["CONCORD_VAR_DIR"] = tempfile.mkdtemp(prefix="concord-audit-bench-")
    os.environ["AUDIT_BUFFER_KEY"] = "concord:bench:audit"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(call, repeat):
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("set DATABASE_URL to a PostgreSQL database of its own")
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL: consultations are buffered in Redis")
    setup_django()
    from django.db import connection

    from coordination.audit import chain, recorder
    from coordination.audit.choices import AuditAction
    from coordination.audit.models import AuditRecord
    from tests.factories import AgencyFactory, UserFactory

    agency = AgencyFactory(short_name=f"bench-audit-{int(time.time())}")
    user = UserFactory(username=f"bench-audit-{int(time.time())}", agency=agency)
    client = recorder.buffer_client()
    client.delete(recorder._key())

    buffered = timed(
        lambda: recorder.record_buffered(
            AuditAction.VIEWED, actor=user, object_type="incident", object_ref="CC-2026-000042"
        ),
        5000,
    )
    print(f"record a consultation (in the request): {buffered * 1e6:.0f} µs")
    client.delete(recorder._key())

    appended = timed(lambda: recorder.record(AuditAction.SIGN_IN, actor=user, target=user), 500)
    print(f"append a security event (in the transaction): {appended * 1e3:.2f} ms")

    have = AuditRecord.objects.count()
    missing = max(0, args.records - have)
    pushed = 0
    flush_seconds = 0.0
    while pushed < missing:
        batch = min(10_000, missing - pushed)
        for n in range(batch):
            recorder.record_buffered(
                AuditAction.VIEWED,
                actor=user,
                object_type="incident",
                object_ref=f"CC-2026-{pushed + n:06d}",
            )
        started = time.perf_counter()
        recorder.flush()
        flush_seconds += time.perf_counter() - started
        pushed += batch
    if pushed:
        print(f"flush: {pushed / flush_seconds:,.0f} records/s ({pushed:,} records)")

    total = AuditRecord.objects.count()
    verified = timed(chain.verify, 3)
    result = chain.verify()
    print(
        f"verify {total:,} records: {verified * 1e3:,.0f} ms ({'intact' if result.ok else result.problem})"
    )
    connection.close()


if __name__ == "__main__":
    main()
