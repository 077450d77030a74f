"""Evidence benchmark: chain verification, append cost against chain length, upload memory.

Usage::

    .venv/bin/python bench/evidence_bench.py [--events 10000] [--upload-mb 2048]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_evidence \\
        .venv/bin/python bench/evidence_bench.py

Without ``DATABASE_URL`` it uses a throwaway SQLite file. Everything it writes (database
rows of its own agency, user, incident and items; media files) goes to a temporary
directory or is tied to a ``bench-evidence-*`` agency, so it can run against a dev database.

Prints:

1. the time to verify a chain of ``--events`` custody events (median of 5 runs);
2. the time to append one event (through ``record_custody_event``: row lock, hash,
   insert, timeline entry) to a chain of 10 events and to the chain of ``--events``
   (median of 30 appends each) — it must not grow with the chain;
3. the peak resident memory of a ``--upload-mb`` upload streamed through the real API
   endpoint (WSGI handler, Django's multipart parser, the hashing upload handler, the
   content-addressed store) in a fresh subprocess, measured with ``resource.getrusage``,
   against the same process's peak before the upload.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(tmp):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ["CONCORD_VAR_DIR"] = str(tmp / "var")
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fixtures(label):
    from django.utils import timezone

    from accounts.choices import Role
    from accounts.models import Agency, User
    from incidents import actions as incident_actions
    from incidents.choices import Category

    stamp = f"{label}-{int(time.time() * 1000) % 10**9}"
    agency = Agency.objects.create(
        name=f"Bench evidence unit {stamp}",
        short_name=f"bench-evidence-{stamp}"[:40],
        country="DE",
        kind="police",
        timezone="Europe/Berlin",
    )
    user = User.objects.create(
        username=f"bench-ev-{stamp}"[:150], agency=agency, role=Role.INVESTIGATOR
    )
    incident = incident_actions.create_incident(
        user,
        title=f"Evidence benchmark {stamp}",
        summary="",
        category=Category.TEST,
        severity="low",
        tlp="amber",
        is_exercise=True,
        affected_countries=["DE"],
        detected_at=timezone.now(),
    )
    return agency, user, incident


def new_item(incident, user, title):
    from django.utils import timezone

    from incidents.evidence import actions

    return actions.create_evidence(
        incident,
        user,
        title=title,
        kind="logs",
        sha256=hashlib.sha256(title.encode()).hexdigest(),
        acquired_at=timezone.now() - timezone.timedelta(days=1),
        acquired_by_name="Bench",
        acquired_where="Lab",
    )


def grow_chain(item, user, total, batch=2000):
    """Extend ``item``'s chain to ``total`` events with correct hashes, in bulk inserts."""
    from django.db import transaction
    from django.utils import timezone

    from incidents.evidence import chain
    from incidents.models import CustodyEvent, Evidence

    prev = item.custody_head
    seq = item.custody_length
    base = timezone.now() - timezone.timedelta(hours=12)
    rows = []
    with transaction.atomic():
        while seq < total:
            seq += 1
            event = CustodyEvent(
                evidence=item,
                seq=seq,
                action="analysed",
                from_agency_id=user.agency_id,
                from_person=user.username,
                occurred_at=base + timezone.timedelta(seconds=seq),
                location="Lab 2",
                purpose=f"Analysis pass {seq}",
                recorded_by=user,
                recorded_by_name=user.username,
                recorded_by_agency_id=user.agency_id,
                recorded_at=base + timezone.timedelta(seconds=seq),
                prev_hash=prev,
            )
            event.entry_hash = chain.entry_hash(prev, item.reference, chain.event_values(event))
            prev = event.entry_hash
            rows.append(event)
            if len(rows) >= batch:
                CustodyEvent.objects.bulk_create(rows)
                rows = []
        if rows:
            CustodyEvent.objects.bulk_create(rows)
        Evidence.objects.filter(pk=item.pk).update(custody_length=seq, custody_head=prev)
    item.refresh_from_db()
    return item


def time_appends(item, user, n):
    from incidents.evidence import actions
    from incidents.models import Evidence

    timings = []
    for i in range(n):
        fresh = Evidence.objects.select_related("incident").get(pk=item.pk)
        start = time.perf_counter()
        actions.record_custody_event(fresh, user, "analysed", purpose=f"bench append {i}")
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), max(timings)


def chain_figures(events):
    from django.db import connection

    from incidents.evidence import chain

    _agency, user, incident = fixtures("chain")
    long_item = grow_chain(new_item(incident, user, "long chain"), user, events)
    short_item = grow_chain(new_item(incident, user, "short chain"), user, 10)

    runs = []
    for _ in range(5):
        start = time.perf_counter()
        result = chain.verify(long_item)
        runs.append(time.perf_counter() - start)
        assert result.ok and result.length == events, result.as_dict()
    short_append = time_appends(short_item, user, 30)
    long_append = time_appends(long_item, user, 30)
    return {
        "database": connection.vendor,
        "events": events,
        "verify_median_s": statistics.median(runs),
        "verify_min_s": min(runs),
        "append_median_ms_at_10": short_append[0] * 1000,
        "append_max_ms_at_10": short_append[1] * 1000,
        "append_median_ms_at_n": long_append[0] * 1000,
        "append_max_ms_at_n": long_append[1] * 1000,
    }


# --- the upload, in a subprocess -------------------------------------------------------


class MultipartBody:
    """A multipart/form-data body generated on the fly: fields, then ``size`` bytes of file.

    ``read()`` hands out at most what is asked; nothing but one 1 MiB block is kept.
    The file bytes are hashed as they are produced, for the comparison afterwards.
    """

    BOUNDARY = "----concord-bench-boundary-7MA4YWxkTrZu0gW"

    def __init__(self, fields, size):
        lines = []
        for name, value in fields.items():
            lines.append(
                f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n"
            )
        lines.append(
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            'filename="bench.img"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        self.head = "".join(lines).encode()
        self.tail = f"\r\n--{self.BOUNDARY}--\r\n".encode()
        self.size = size
        self.length = len(self.head) + size + len(self.tail)
        self.block = os.urandom(1024 * 1024)
        self.digest = hashlib.sha256()
        self.position = 0

    def _slice(self, start, count):
        """Bytes [start, start+count) of the whole body."""
        out = bytearray()
        end = start + count
        head_end = len(self.head)
        file_end = head_end + self.size
        if start < head_end:
            out += self.head[start : min(end, head_end)]
        if end > head_end and start < file_end:
            a, b = max(start, head_end) - head_end, min(end, file_end) - head_end
            while a < b:
                offset = a % len(self.block)
                take = min(b - a, len(self.block) - offset)
                piece = self.block[offset : offset + take]
                # Vary each MiB so the file is not one repeated block.
                if offset == 0:
                    piece = (a // len(self.block)).to_bytes(8, "big") + piece[8:]
                out += piece
                self.digest.update(piece)
                a += take
        if end > file_end:
            out += self.tail[max(start, file_end) - file_end : end - file_end]
        return bytes(out)

    def read(self, size=-1):
        if size is None or size < 0:
            size = self.length - self.position
        size = min(size, self.length - self.position)
        data = self._slice(self.position, size)
        self.position += len(data)
        return data

    def readline(self, size=-1):  # Django's LimitedStream may call it; not on this path
        return self.read(size)


def upload_child(size_mb):
    """Runs in a fresh interpreter: one upload through the WSGI app; prints JSON."""
    import resource

    tmp = Path(os.environ["BENCH_TMP"])
    setup_django(tmp)
    from django.core.handlers.wsgi import WSGIHandler
    from django.utils import timezone

    from accounts import actions as account_actions
    from accounts.choices import TokenScope
    from incidents.models import Evidence

    _agency, user, incident = fixtures("upload")
    _token, key = account_actions.create_api_token(
        user, name="bench", scope=TokenScope.READ_WRITE, days=1
    )
    app = WSGIHandler()
    body = MultipartBody(
        {
            "incident": incident.reference,
            "title": "2 GB disk image",
            "kind": "disk_image",
            "acquired_at": (timezone.now() - timezone.timedelta(hours=1)).isoformat(),
            "acquired_by_name": "Bench",
            "acquired_where": "Lab",
        },
        size_mb * 1024 * 1024,
    )
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/evidence/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {key}",
        "CONTENT_TYPE": f"multipart/form-data; boundary={MultipartBody.BOUNDARY}",
        "CONTENT_LENGTH": str(body.length),
        "wsgi.input": body,
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    status = {}

    def start_response(code, headers, exc_info=None):
        status["code"] = code

    start = time.perf_counter()
    response = b"".join(app(environ, start_response))
    elapsed = time.perf_counter() - start
    after_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = json.loads(response)
    item = Evidence.objects.get(reference=result["reference"])
    stored = Path(os.environ["MEDIA_ROOT"]) / item.file_path
    print(
        json.dumps(
            {
                "status": status["code"],
                "size_mb": size_mb,
                "seconds": elapsed,
                "mb_per_s": size_mb / elapsed,
                "peak_rss_before_mb": before_kb / 1024,
                "peak_rss_after_mb": after_kb / 1024,
                "sha256_matches": item.sha256 == body.digest.hexdigest(),
                "stored_bytes": stored.stat().st_size,
            }
        )
    )


def upload_figures(size_mb, tmp):
    env = dict(os.environ, BENCH_TMP=str(tmp))
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    out = subprocess.run(
        [sys.executable, __file__, "--upload-child", str(size_mb)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"upload subprocess failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--upload-mb", type=int, default=2048)
    parser.add_argument("--skip-upload", action="store_true")
    parser.add_argument("--upload-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upload_child:
        upload_child(args.upload_child)
        return
    with tempfile.TemporaryDirectory(prefix="concord-evbench-") as name:
        tmp = Path(name)
        setup_django(tmp)
        figures = chain_figures(args.events)
        print(f"database: {figures['database']}")
        print(
            f"verify a chain of {figures['events']:,} events: "
            f"median {figures['verify_median_s'] * 1000:.0f} ms "
            f"(best {figures['verify_min_s'] * 1000:.0f} ms, "
            f"{figures['events'] / figures['verify_median_s']:,.0f} events/s)"
        )
        print(
            f"append one event at chain length 10: median "
            f"{figures['append_median_ms_at_10']:.1f} ms (max {figures['append_max_ms_at_10']:.1f})"
        )
        print(
            f"append one event at chain length {figures['events']:,}: median "
            f"{figures['append_median_ms_at_n']:.1f} ms (max {figures['append_max_ms_at_n']:.1f})"
        )
        if not args.skip_upload:
            up = upload_figures(args.upload_mb, tmp)
            print(
                f"upload of {up['size_mb']:,} MiB through POST /api/v1/evidence/: HTTP "
                f"{up['status']}, {up['seconds']:.1f} s ({up['mb_per_s']:.0f} MiB/s), "
                f"hash {'matches' if up['sha256_matches'] else 'DIFFERS'}, "
                f"{up['stored_bytes']:,} bytes stored"
            )
            print(
                f"peak RSS of the upload process: {up['peak_rss_before_mb']:.0f} MiB before, "
                f"{up['peak_rss_after_mb']:.0f} MiB after "
                f"(+{up['peak_rss_after_mb'] - up['peak_rss_before_mb']:.0f} MiB)"
            )


if __name__ == "__main__":
    main()
