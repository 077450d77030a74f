"""Seed a PostgreSQL database with a large, realistic Concord data set.

At ``--scale 1.0``: 40 countries, 200 agencies (each with its auth group), 2,000 users,
100,000 incidents shared with 1–4 agencies each (participations and the guardian group
object permissions their roles grant), and about 1,000,000 timeline entries.

One benchmark user (``bench``, agency ``BN-BENCH``) sees about a fifth of all incidents:
its agency takes part in every fifth incident, and the user holds a direct view grant on
a few more (the per-user permission path).

Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/concord_bench \\
        .venv/bin/python bench/seed_scale.py [--scale 1.0] [--reset]

The schema must be migrated first (``manage.py migrate``). Rows are streamed with
``COPY … FROM STDIN`` in chunks (memory stays flat), committed per chunk, then the
id sequences are moved past the rows written and the tables are analysed.
The script refuses to run when incidents or seeded agencies already exist;
``--reset`` wipes the incident tables and the seeded agencies, groups and users first.
"""

import argparse
import csv
import io
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coordination.settings")
# Only needed to load the settings with DEBUG off; this script serves nothing.
os.environ.setdefault("SECRET_KEY", "bench-seed-script-not-a-secret-" + "x" * 20)

import django

django.setup()

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from accounts.choices import AgencyKind, Role
from accounts.models import Agency, User
from incidents.choices import (
    PARTICIPATION_PERMISSIONS,
    TLP,
    Category,
    ParticipationRole,
    Severity,
    Status,
    TimelineKind,
)
from incidents.markdown import excerpt, render_markdown
from incidents.models import (
    Incident,
    IncidentGroupObjectPermission,
    IncidentUserObjectPermission,
    Participation,
    ReferenceSequence,
    TimelineEntry,
)

BENCH_USERNAME = "bench"
BENCH_PASSWORD = "concord-bench-password"  # a local benchmark account, printed at the end
BENCH_AGENCY = "BN-BENCH"
SEEDED_PREFIX = "BN-"  # short names of seeded agencies; usernames start with "bn-"
SEARCH_WORD = "ransomware"  # appears in about one title in twelve

COUNTRIES = [
    ("DE", "Europe/Berlin"), ("FR", "Europe/Paris"), ("ES", "Europe/Madrid"),
    ("IT", "Europe/Rome"), ("NL", "Europe/Amsterdam"), ("BE", "Europe/Brussels"),
    ("LU", "Europe/Luxembourg"), ("AT", "Europe/Vienna"), ("PL", "Europe/Warsaw"),
    ("CZ", "Europe/Prague"), ("SK", "Europe/Bratislava"), ("HU", "Europe/Budapest"),
    ("RO", "Europe/Bucharest"), ("BG", "Europe/Sofia"), ("GR", "Europe/Athens"),
    ("PT", "Europe/Lisbon"), ("IE", "Europe/Dublin"), ("DK", "Europe/Copenhagen"),
    ("SE", "Europe/Stockholm"), ("FI", "Europe/Helsinki"), ("EE", "Europe/Tallinn"),
    ("LV", "Europe/Riga"), ("LT", "Europe/Vilnius"), ("SI", "Europe/Ljubljana"),
    ("HR", "Europe/Zagreb"), ("CY", "Asia/Nicosia"), ("MT", "Europe/Malta"),
    ("NO", "Europe/Oslo"), ("CH", "Europe/Zurich"), ("GB", "Europe/London"),
    ("IS", "Atlantic/Reykjavik"), ("UA", "Europe/Kyiv"), ("MD", "Europe/Chisinau"),
    ("RS", "Europe/Belgrade"), ("US", "America/New_York"), ("CA", "America/Toronto"),
    ("JP", "Asia/Tokyo"), ("AU", "Australia/Sydney"), ("SG", "Asia/Singapore"),
    ("BR", "America/Sao_Paulo"),
]  # fmt: skip

THREATS = [
    "Ransomware", "Phishing campaign", "DDoS", "Business email compromise", "Data leak",
    "Credential stuffing", "Botnet", "Supply-chain compromise", "Web shell", "Cryptojacking",
    "Wiper malware", "Account takeover",
]  # fmt: skip
TARGETS = [
    "hospital network", "municipal services", "university", "logistics operator",
    "regional bank", "energy utility", "water authority", "telecom provider", "ministry",
    "online shop", "police systems", "airport",
]  # fmt: skip
DETAILS = [
    "affecting file servers", "via exposed VPN", "through a trojanised update",
    "after a spear-phishing wave", "linked to a leak site", "with extortion demands",
    "using stolen credentials", "from rented infrastructure", "spreading across borders",
]  # fmt: skip
SUMMARIES = [
    "Encrypted file servers; the ransom note references a leak site.",
    "Mass mailing impersonating a parcel service harvested bank credentials.",
    "Volumetric attack from a botnet of compromised routers took services offline.",
    "Invoices redirected to mule accounts after a mailbox was taken over.",
    "Customer records offered for sale on a criminal forum.",
    "Thousands of logins tried with leaked passwords; several accounts taken over.",
    "Command-and-control servers identified in three jurisdictions.",
    "A vendor's update channel delivered a backdoor to its customers.",
]

TIMELINE_TEMPLATES = [
    (TimelineKind.SYSTEM, "Incident filed by the lead agency."),
    (TimelineKind.NOTE, "Initial triage done: **scope** confirmed on two hosts."),
    (TimelineKind.NOTE, "Requested firewall logs from the provider for the last 30 days."),
    (TimelineKind.NOTE, "Malware sample hashed and shared with the CERT for analysis."),
    (TimelineKind.NOTE, "Victim interviewed; ransom note preserved as evidence."),
    (TimelineKind.NOTE, "Indicators matched a campaign seen in another member state."),
    (TimelineKind.STATUS_CHANGE, "Status changed from **Open** to **Investigating**."),
    (TimelineKind.STATUS_CHANGE, "Status changed from **Investigating** to **Contained**."),
    (TimelineKind.PARTICIPATION, "A partner agency was invited as contributor."),
    (TimelineKind.EVIDENCE, "Disk image acquired and sealed; SHA-256 recorded."),
    (TimelineKind.INDICATOR, "New domain indicator added from the phishing kit."),
    (TimelineKind.REQUEST, "Preservation request sent under Budapest Convention Art. 29."),
]

STATUS_WEIGHTS = [
    (Status.OPEN, 15), (Status.INVESTIGATING, 30), (Status.CONTAINED, 15),
    (Status.RESOLVED, 15), (Status.CLOSED, 25),
]  # fmt: skip
SEVERITY_WEIGHTS = [
    (Severity.LOW, 20), (Severity.MEDIUM, 40), (Severity.HIGH, 30), (Severity.CRITICAL, 10),
]  # fmt: skip
TLP_WEIGHTS = [
    (TLP.CLEAR, 5),
    (TLP.GREEN, 20),
    (TLP.AMBER, 60),
    (TLP.AMBER_STRICT, 10),
    (TLP.RED, 5),
]
ROLE_WEIGHTS = [
    (Role.INVESTIGATOR, 50), (Role.LIAISON_OFFICER, 25), (Role.SUPERVISOR, 15),
    (Role.AGENCY_ADMIN, 10),
]  # fmt: skip
PARTICIPANT_ROLES = [ParticipationRole.CONTRIBUTOR, ParticipationRole.OBSERVER]

CHUNK = 2000  # incidents per COPY round (about 20,000 timeline rows)


def weighted(rng, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def ts(value):
    return value.isoformat()


class CopyWriter:
    """Collect rows for one table as CSV in memory and ``COPY`` them in one round trip."""

    def __init__(self, model, columns):
        self.table = model._meta.db_table
        # Columns the rows leave out take the model's constant default (as the ORM would
        # write them): a NOT NULL column added later does not break the seeding.
        self.defaults = [
            (field.column, field.get_default())
            for field in model._meta.concrete_fields
            if field.column not in columns
            and not field.null
            and (
                (field.has_default() and not callable(field.default))
                or (not field.has_default() and field.empty_strings_allowed)  # text: ""
            )
        ]
        self.columns = [*columns, *(column for column, _value in self.defaults)]
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.rows = 0
        self.total = 0

    def add(self, *values):
        values = [*values, *(value for _column, value in self.defaults)]
        self.writer.writerow(["\\N" if v is None else v for v in values])
        self.rows += 1

    def flush(self, cursor):
        if not self.rows:
            return
        self.buffer.seek(0)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        cursor.copy_expert(
            f"COPY {self.table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            self.buffer,
        )
        self.total += self.rows
        self.rows = 0
        self.buffer.seek(0)
        self.buffer.truncate()


def next_id(model):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        return cursor.fetchone()[0] + 1


def move_sequences(models):
    """Move each identity sequence past the ids written explicitly by COPY."""
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )


def seeded_agencies():
    return Agency.objects.filter(short_name__startswith=SEEDED_PREFIX)


def reset():
    """Wipe the incident tables and everything this script created in accounts."""
    incident_tables = [
        m._meta.db_table
        for m in (
            TimelineEntry.audience.through,
            TimelineEntry,
            IncidentGroupObjectPermission,
            IncidentUserObjectPermission,
            Participation,
            Incident,
            ReferenceSequence,
        )
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        # TRUNCATE, not DELETE: the timeline's append-only trigger refuses row deletes.
        # CASCADE: what hangs off incidents and entries (attachments, tasks, indicators,
        # evidence, requests, notifications) goes too.
        cursor.execute(f"TRUNCATE {', '.join(incident_tables)} CASCADE")
        users = User.objects.filter(agency__in=seeded_agencies())
        user_ids = list(users.values_list("pk", flat=True))
        group_ids = list(seeded_agencies().values_list("group_id", flat=True))
        from accounts.models import ApiToken

        ApiToken.objects.filter(user_id__in=user_ids).delete()
        User.groups.through.objects.filter(user_id__in=user_ids).delete()
        users.delete()
        seeded_agencies().delete()
        Group.objects.filter(pk__in=group_ids).delete()


def seed(scale, seed_value):
    rng = random.Random(seed_value)
    started = time.monotonic()
    now = datetime.now(UTC).replace(microsecond=0)

    n_agencies = max(8, round(200 * scale))
    users_per_agency = 10
    n_incidents = max(50, round(100_000 * scale))
    entries_per_incident = (1, 19)  # uniform: 10 on average, 1,000,000 at scale 1

    # --- agencies, their groups, users --------------------------------------------------
    kinds = list(AgencyKind)
    agency_specs = [
        (BENCH_AGENCY, "Benchmark Cyber Unit", "DE", "Europe/Berlin", AgencyKind.POLICE)
    ]
    for n in range(1, n_agencies):
        code, tz = COUNTRIES[n % len(COUNTRIES)]
        kind = kinds[n % len(kinds)]
        short = f"{SEEDED_PREFIX}{code}-{n:03d}"
        agency_specs.append((short, f"{kind.label} {code} {n:03d}", code, tz, kind))
    with transaction.atomic():
        Group.objects.bulk_create(Group(name=f"agency:{spec[0]}") for spec in agency_specs)
        groups = dict(
            Group.objects.filter(
                name__in=[f"agency:{spec[0]}" for spec in agency_specs]
            ).values_list("name", "pk")
        )
        Agency.objects.bulk_create(
            Agency(
                short_name=short,
                name=name,
                country=code,
                kind=kind,
                mailbox=f"{short.lower()}@example.org",
                timezone=tz,
                is_24_7_contact=(n % 7 == 0),
                group_id=groups[f"agency:{short}"],
            )
            for n, (short, name, code, tz, kind) in enumerate(agency_specs)
        )
        agencies = list(
            seeded_agencies()
            .order_by("pk")
            .values_list("pk", "group_id", "short_name", "timezone", "country")
        )
        bench_agency = next(a for a in agencies if a[2] == BENCH_AGENCY)
        others = [a for a in agencies if a is not bench_agency]

        password = make_password(BENCH_PASSWORD)  # hashed once, shared by every seeded user
        users = [
            User(
                username=BENCH_USERNAME,
                first_name="Bench",
                last_name="Mark",
                email="bench@example.org",
                agency_id=bench_agency[0],
                role=Role.INVESTIGATOR,
                timezone="Europe/Berlin",
                password=password,
            )
        ]
        for agency_id, _group_id, short, tz, _country in agencies:
            for k in range(users_per_agency):
                users.append(
                    User(
                        username=f"bn-{short[len(SEEDED_PREFIX) :].lower()}-{k:02d}",
                        first_name=f"Officer{k:02d}",
                        last_name=short,
                        email=f"{short.lower()}.{k:02d}@example.org",
                        agency_id=agency_id,
                        role=weighted(rng, ROLE_WEIGHTS),
                        timezone=tz,
                        password=password,
                    )
                )
        User.objects.bulk_create(users, batch_size=1000)
        user_rows = list(
            User.objects.filter(agency__in=seeded_agencies()).values_list(
                "pk", "agency_id", "username", "first_name", "last_name"
            )
        )
        group_of = {a[0]: a[1] for a in agencies}
        User.groups.through.objects.bulk_create(
            (User.groups.through(user_id=u[0], group_id=group_of[u[1]]) for u in user_rows),
            batch_size=2000,
        )
    bench_user_id = next(u[0] for u in user_rows if u[2] == BENCH_USERNAME)
    users_of = {}
    for pk, agency_id, _username, first, last in user_rows:
        users_of.setdefault(agency_id, []).append((pk, f"{first} {last}"))
    print(f"accounts: {len(agencies)} agencies, {len(user_rows)} users", flush=True)

    # --- permissions per role -----------------------------------------------------------
    content_type = ContentType.objects.get_for_model(Incident)
    perm_ids = dict(
        Permission.objects.filter(content_type=content_type).values_list("codename", "pk")
    )
    role_perms = {
        role: [perm_ids[codename] for codename in codenames]
        for role, codenames in PARTICIPATION_PERMISSIONS.items()
    }
    rendered = [
        (kind, body, html, excerpt(html))
        for kind, body in TIMELINE_TEMPLATES
        for html in [render_markdown(body)]
    ]

    # --- incidents, participations, permissions, timeline -------------------------------
    incident_w = CopyWriter(
        Incident,
        [
            "id", "reference", "title", "summary", "category", "severity", "tlp", "status",
            "is_exercise", "affected_countries", "detected_at", "created_at", "updated_at",
            "created_by_id", "lead_agency_id",
        ],
    )  # fmt: skip
    participation_w = CopyWriter(
        Participation, ["id", "role", "created_at", "agency_id", "incident_id", "invited_by_id"]
    )
    gperm_w = CopyWriter(
        IncidentGroupObjectPermission, ["id", "content_object_id", "group_id", "permission_id"]
    )
    uperm_w = CopyWriter(
        IncidentUserObjectPermission, ["id", "content_object_id", "user_id", "permission_id"]
    )
    timeline_w = CopyWriter(
        TimelineEntry,
        [
            "id", "occurred_at", "recorded_at", "author_name", "kind", "body", "body_html",
            "excerpt", "tlp", "subject_id", "author_id", "author_agency_id", "corrects_id",
            "incident_id", "subject_type_id",
        ],
    )  # fmt: skip
    writers = [incident_w, participation_w, gperm_w, uperm_w, timeline_w]

    ids = {
        "incident": next_id(Incident),
        "participation": next_id(Participation),
        "gperm": next_id(IncidentGroupObjectPermission),
        "uperm": next_id(IncidentUserObjectPermission),
        "timeline": next_id(TimelineEntry),
    }
    categories = [c for c in Category.values if c != Category.TEST]
    span = timedelta(days=730).total_seconds()
    start = now - timedelta(days=730)
    sequence = {}  # year -> last reference number
    direct_grants = max(5, round(100 * scale))  # incidents the bench user sees by a user grant
    bench_visible = 0

    for i in range(n_incidents):
        incident_id = ids["incident"]
        ids["incident"] += 1
        created = start + timedelta(seconds=(i + rng.random()) * span / n_incidents)
        room = max(60.0, min(60 * 86400.0, (now - created).total_seconds()))
        updated = created + timedelta(seconds=rng.uniform(60, room))
        year = created.year
        sequence[year] = sequence.get(year, 0) + 1
        reference = f"CC-{year}-{sequence[year]:06d}"

        # Who takes part: the bench agency in every fifth incident, never in the others.
        with_bench = i % 5 == 0
        n_participants = rng.randint(1, 4)
        if with_bench:
            bench_role = rng.choices(
                [ParticipationRole.LEAD, ParticipationRole.CONTRIBUTOR, ParticipationRole.OBSERVER],
                [25, 50, 25],
            )[0]
            pool = rng.sample(others, n_participants - 1 if n_participants > 1 else 0)
            if bench_role == ParticipationRole.LEAD:
                lead, invited = bench_agency, [(a, rng.choice(PARTICIPANT_ROLES)) for a in pool]
            else:
                pool = pool or [rng.choice(others)]
                lead = pool[0]
                invited = [(bench_agency, bench_role)]
                invited += [(a, rng.choice(PARTICIPANT_ROLES)) for a in pool[1:]]
            bench_visible += 1
        else:
            pool = rng.sample(others, n_participants)
            lead, invited = pool[0], [(a, rng.choice(PARTICIPANT_ROLES)) for a in pool[1:]]

        creator_id, _creator_name = rng.choice(users_of[lead[0]])
        participants = [lead] + [a for a, _ in invited]
        countries = sorted({str(a[4]) for a in participants})
        threat = rng.choice(THREATS) if i % 12 else "Ransomware"
        title = f"{threat} against {rng.choice(TARGETS)} {rng.choice(DETAILS)}"
        summary = rng.choice(SUMMARIES)
        tlp = weighted(rng, TLP_WEIGHTS)
        incident_w.add(
            incident_id, reference, title, summary, rng.choice(categories),
            weighted(rng, SEVERITY_WEIGHTS), tlp, weighted(rng, STATUS_WEIGHTS),
            "t" if i % 50 == 0 else "f", ",".join(countries),
            ts(created - timedelta(hours=rng.randint(1, 72))), ts(created), ts(updated),
            creator_id, lead[0],
        )  # fmt: skip

        for agency, role in [(lead, ParticipationRole.LEAD), *invited]:
            joined = (
                created if role == ParticipationRole.LEAD else created + (updated - created) / 3
            )
            participation_w.add(
                ids["participation"], role, ts(joined), agency[0], incident_id,
                creator_id,
            )  # fmt: skip
            ids["participation"] += 1
            for perm_id in role_perms[role]:
                gperm_w.add(ids["gperm"], incident_id, agency[1], perm_id)
                ids["gperm"] += 1

        # A few incidents the bench agency does not take part in, granted to the user by name.
        if i % 5 == 1 and direct_grants > 0:
            direct_grants -= 1
            uperm_w.add(ids["uperm"], incident_id, bench_user_id, perm_ids["view_incident"])
            ids["uperm"] += 1
            bench_visible += 1

        n_entries = rng.randint(*entries_per_incident)
        step = (updated - created) / n_entries
        for k in range(n_entries):
            kind, body, body_html, excerpt_text = (
                rendered[0] if k == 0 else rng.choice(rendered[1:])
            )
            at = created + step * (k + 1) if k else created
            author_agency = rng.choice(participants)
            author_id, author_name = rng.choice(users_of[author_agency[0]])
            entry_tlp = tlp if rng.random() > 0.03 else TLP.RED
            timeline_w.add(
                ids["timeline"], ts(at), ts(at), author_name, kind, body, body_html, excerpt_text,
                entry_tlp,
                "", author_id, author_agency[0], None, incident_id, None,
            )  # fmt: skip
            ids["timeline"] += 1

        if (i + 1) % CHUNK == 0 or i + 1 == n_incidents:
            with transaction.atomic(), connection.cursor() as cursor:
                for writer in writers:  # parents first: the FKs are checked at commit
                    writer.flush(cursor.cursor)
            if (i + 1) % (CHUNK * 10) == 0 or i + 1 == n_incidents:
                print(
                    f"  {i + 1:>7} incidents, {timeline_w.total:>8} timeline entries "
                    f"({time.monotonic() - started:.0f} s)",
                    flush=True,
                )

    with transaction.atomic():
        for year, last in sequence.items():
            ReferenceSequence.objects.update_or_create(
                scope="CC", year=year, defaults={"last_value": last}
            )
        move_sequences([Incident, Participation, IncidentGroupObjectPermission,
                        IncidentUserObjectPermission, TimelineEntry])  # fmt: skip
    load_seconds = time.monotonic() - started

    # Fresh statistics and visibility maps, so the planner and index-only scans see the data.
    with connection.cursor() as cursor:
        for model in (Incident, Participation, IncidentGroupObjectPermission,
                      IncidentUserObjectPermission, TimelineEntry, User, Agency):  # fmt: skip
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        cursor.execute(f"VACUUM (ANALYZE) {User.groups.through._meta.db_table}")
    total_seconds = time.monotonic() - started
    return {
        "agencies": len(agencies),
        "users": len(user_rows),
        "incidents": incident_w.total,
        "participations": participation_w.total,
        "group_permissions": gperm_w.total,
        "user_permissions": uperm_w.total,
        "timeline_entries": timeline_w.total,
        "bench_visible": bench_visible,
        "load_seconds": round(load_seconds, 1),
        "total_seconds": round(total_seconds, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 incidents")
    parser.add_argument("--reset", action="store_true", help="wipe seeded data first")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (deterministic)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 10:
        parser.error("--scale must be in (0, 10]")
    if connection.vendor != "postgresql":
        sys.exit("seed_scale.py needs PostgreSQL (COPY): set DATABASE_URL=postgres://…")
    if args.reset:
        reset()
        print("reset: incident tables truncated, seeded agencies and users removed", flush=True)
    elif Incident.objects.exists() or seeded_agencies().exists():
        sys.exit(
            "The database already holds incidents or seeded agencies; "
            "run again with --reset to wipe them (everything in the incident tables)."
        )
    figures = seed(args.scale, args.seed)
    for key, value in figures.items():
        print(f"{key:>18}: {value}")
    print(f"benchmark login: {BENCH_USERNAME} / {BENCH_PASSWORD}")


if __name__ == "__main__":
    main()
