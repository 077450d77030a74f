"""Load a small, realistic demo: agencies in five countries, users of every role, shared cases.

Idempotent: agencies and users are matched by short name and username, and the
demo incidents are filed only once (recognised by their titles).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.choices import AgencyKind, Role
from accounts.models import Agency, User
from incidents import actions
from incidents.choices import TLP, Category, ParticipationRole, Severity, Status
from incidents.models import Incident

DEMO_PASSWORD = "concord-demo"

AGENCIES = [
    # short name, name, country, kind, mailbox, phone, 24/7, timezone, language
    (
        "BKA-CC",
        "Bundeskriminalamt – Cybercrime",
        "DE",
        AgencyKind.POLICE,
        "cybercrime@bka.example.de",
        "+49 611 55 0",
        True,
        "Europe/Berlin",
        "en",
    ),
    (
        "CERT-Bund",
        "CERT-Bund (BSI)",
        "DE",
        AgencyKind.CERT,
        "certbund@bsi.example.de",
        "+49 228 9582 0",
        False,
        "Europe/Berlin",
        "en",
    ),
    (
        "BfJ",
        "Bundesamt für Justiz – Central Authority",
        "DE",
        AgencyKind.CENTRAL_AUTHORITY,
        "mla@bfj.example.de",
        "+49 228 99 410 0",
        False,
        "Europe/Berlin",
        "en",
    ),
    (
        "OFAC",
        "Office anti-cybercriminalité",
        "FR",
        AgencyKind.POLICE,
        "ofac@interieur.example.fr",
        "+33 1 49 27 49 27",
        True,
        "Europe/Paris",
        "fr",
    ),
    (
        "CERT-FR",
        "CERT-FR (ANSSI)",
        "FR",
        AgencyKind.CERT,
        "cert-fr@ssi.example.fr",
        "+33 1 71 75 84 68",
        False,
        "Europe/Paris",
        "fr",
    ),
    (
        "BEPI",
        "Bureau de l'entraide pénale internationale",
        "FR",
        AgencyKind.CENTRAL_AUTHORITY,
        "entraide@justice.example.fr",
        "+33 1 44 77 60 60",
        False,
        "Europe/Paris",
        "fr",
    ),
    (
        "THTC",
        "Politie – Team High Tech Crime",
        "NL",
        AgencyKind.POLICE,
        "thtc@politie.example.nl",
        "+31 88 169 10 00",
        True,
        "Europe/Amsterdam",
        "en",
    ),
    (
        "NCSC-NL",
        "Nationaal Cyber Security Centrum",
        "NL",
        AgencyKind.CERT,
        "cert@ncsc.example.nl",
        "+31 70 751 55 55",
        False,
        "Europe/Amsterdam",
        "en",
    ),
    (
        "KKB",
        "Estonian Police – Cybercrime Bureau",
        "EE",
        AgencyKind.POLICE,
        "cyber@politsei.example.ee",
        "+372 612 3000",
        True,
        "Europe/Tallinn",
        "en",
    ),
    (
        "CERT-EE",
        "CERT-EE (RIA)",
        "EE",
        AgencyKind.CERT,
        "cert@ria.example.ee",
        "+372 663 0299",
        False,
        "Europe/Tallinn",
        "en",
    ),
    (
        "UCC",
        "Policía Nacional – Unidad Central de Ciberdelincuencia",
        "ES",
        AgencyKind.POLICE,
        "ucc@policia.example.es",
        "+34 91 582 27 51",
        True,
        "Europe/Madrid",
        "en",
    ),
    (
        "FGE-CIBER",
        "Fiscalía General – Sala de Criminalidad Informática",
        "ES",
        AgencyKind.PROSECUTOR,
        "criminalidad.informatica@fiscal.example.es",
        "+34 91 335 21 00",
        False,
        "Europe/Madrid",
        "en",
    ),
]

# Agencies whose staff get a user of every role; the others get one investigator.
FULLY_STAFFED = {"BKA-CC": "de", "OFAC": "fr", "THTC": "nl", "KKB": "ee", "UCC": "es"}
STAFF = [
    (Role.INVESTIGATOR, "investigator"),
    (Role.LIAISON_OFFICER, "liaison"),
    (Role.SUPERVISOR, "supervisor"),
    (Role.AGENCY_ADMIN, "admin"),
]
NAMES = {
    "de": [("Lena", "Vogel"), ("Jonas", "Keller"), ("Miriam", "Hoffmann"), ("Tobias", "Brandt")],
    "fr": [("Camille", "Durand"), ("Hugo", "Lefèvre"), ("Inès", "Moreau"), ("Julien", "Roux")],
    "nl": [("Sanne", "de Vries"), ("Daan", "Jansen"), ("Eva", "Bakker"), ("Lucas", "Visser")],
    "ee": [("Kadri", "Tamm"), ("Mart", "Saar"), ("Liis", "Kask"), ("Rasmus", "Mägi")],
    "es": [("Lucía", "García"), ("Javier", "Martín"), ("Elena", "Ruiz"), ("Pablo", "Navarro")],
}


class Command(BaseCommand):
    help = "Load demo agencies, users and shared incidents (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    @transaction.atomic
    def handle(self, *args, **options):
        agencies = self._agencies()
        users = self._users(agencies)
        created = self._incidents(agencies, users)
        # Indicators live in coordination.intel, which builds on incidents: import it late.
        from coordination.intel.demo import load_demo_indicators

        load_demo_indicators(users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(agencies)} agencies, {len(users)} users, "
                f"{created} new incidents."
            )
        )
        if not options["quiet_logins"]:
            self._print_logins(users)

    def _agencies(self):
        agencies = {}
        for short, name, country, kind, mailbox, phone, is_24_7, tz, lang in AGENCIES:
            agency, _created = Agency.objects.get_or_create(
                short_name=short,
                defaults={
                    "name": name,
                    "country": country,
                    "kind": kind,
                    "mailbox": mailbox,
                    "phone": phone,
                    "is_24_7_contact": is_24_7,
                    "timezone": tz,
                    "language": lang,
                },
            )
            agencies[short] = agency
        return agencies

    def _user(self, username, agency, role, first, last, tz, lang):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "agency": agency,
                "role": role,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{agency.mailbox.split('@')[1]}",
                "timezone": tz,
                "language": lang,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _users(self, agencies):
        users = {}
        for short, prefix in FULLY_STAFFED.items():
            agency = agencies[short]
            for (role, suffix), (first, last) in zip(STAFF, NAMES[prefix], strict=True):
                username = f"{prefix}-{suffix}"
                users[username] = self._user(
                    username, agency, role, first, last, agency.timezone, agency.language
                )
        for short in ("CERT-Bund", "CERT-FR", "NCSC-NL", "CERT-EE", "FGE-CIBER"):
            agency = agencies[short]
            username = f"{short.lower()}-analyst"
            users[username] = self._user(
                username, agency, Role.INVESTIGATOR, "Alex", "Analyst", agency.timezone, "en"
            )
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={"is_superuser": True, "is_staff": True, "email": "admin@concord.example"},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        users["admin"] = admin
        return users

    def _incidents(self, agencies, users):
        now = timezone.now()
        cases = [
            {
                "by": "de-investigator",
                "fields": {
                    "title": "LockBit-style ransomware at a regional hospital group",
                    "summary": (
                        "File servers of three hospitals encrypted overnight. Ransom note points "
                        "to a leak site; exfiltration of patient records suspected. "
                        "Initial access through an unpatched VPN appliance."
                    ),
                    "category": Category.MALICIOUS_CODE,
                    "severity": Severity.CRITICAL,
                    "tlp": TLP.AMBER,
                    "affected_countries": ["DE", "NL"],
                    "detected_at": now - timedelta(days=6, hours=3),
                },
                "share": [
                    ("THTC", ParticipationRole.CONTRIBUTOR),
                    ("OFAC", ParticipationRole.OBSERVER),
                    ("CERT-Bund", ParticipationRole.CONTRIBUTOR),
                ],
                "statuses": [Status.INVESTIGATING],
                "notes": [
                    (
                        "de-investigator",
                        (
                            "Leak site lists 40 GB of data. Hash of the ransom note "
                            "binary shared with CERT-Bund."
                        ),
                        TLP.AMBER,
                    ),
                    (
                        "nl-investigator",
                        (
                            "Command-and-control server located at a Dutch hosting "
                            "provider. Preservation requested informally."
                        ),
                        TLP.AMBER,
                    ),
                ],
            },
            {
                "by": "fr-investigator",
                "fields": {
                    "title": "Business e-mail compromise against an aerospace supplier",
                    "summary": (
                        "Fraudulent wire transfer of EUR 1.2 million after a supplier's mailbox "
                        "was taken over. Money moved through accounts in Spain and Estonia."
                    ),
                    "category": Category.FRAUD,
                    "severity": Severity.HIGH,
                    "tlp": TLP.GREEN,
                    "affected_countries": ["FR", "ES", "EE"],
                    "detected_at": now - timedelta(days=12),
                },
                "share": [
                    ("UCC", ParticipationRole.CONTRIBUTOR),
                    ("KKB", ParticipationRole.CONTRIBUTOR),
                ],
                "statuses": [Status.INVESTIGATING, Status.CONTAINED],
                "notes": [
                    ("fr-investigator", "Bank recall succeeded for EUR 300,000.", TLP.GREEN),
                    ("es-investigator", "Mule account holder identified in Valencia.", TLP.AMBER),
                ],
            },
            {
                "by": "ee-investigator",
                "fields": {
                    "title": "DDoS campaign against government portals",
                    "summary": "Hacktivist botnet; peaks of 300 Gbit/s against e-services.",
                    "category": Category.AVAILABILITY,
                    "severity": Severity.MEDIUM,
                    "tlp": TLP.CLEAR,
                    "affected_countries": ["EE"],
                    "detected_at": now - timedelta(days=30),
                },
                "share": [
                    ("CERT-EE", ParticipationRole.CONTRIBUTOR),
                    ("BKA-CC", ParticipationRole.OBSERVER),
                ],
                "statuses": [Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED],
                "notes": [
                    ("ee-investigator", "Traffic scrubbing in place; no outage since.", TLP.CLEAR),
                ],
            },
            {
                "by": "nl-investigator",
                "fields": {
                    "title": "Phishing kit targeting bank customers in three countries",
                    "summary": "Kit sold on a Telegram channel; 140 phishing domains so far.",
                    "category": Category.FRAUD,
                    "severity": Severity.MEDIUM,
                    "tlp": TLP.AMBER,
                    "affected_countries": ["NL", "DE", "FR"],
                    "detected_at": now - timedelta(days=2),
                },
                "share": [("BKA-CC", ParticipationRole.CONTRIBUTOR)],
                "statuses": [],
                "notes": [],
            },
            {
                "by": "es-investigator",
                "fields": {
                    "title": "Joint exercise: supply-chain compromise of a software vendor",
                    "summary": "Cyber exercise scenario. Not a real case.",
                    "category": Category.INTRUSIONS,
                    "severity": Severity.HIGH,
                    "tlp": TLP.GREEN,
                    "is_exercise": True,
                    "affected_countries": ["ES", "FR", "DE", "NL", "EE"],
                    "detected_at": now - timedelta(days=1),
                },
                "share": [
                    ("OFAC", ParticipationRole.CONTRIBUTOR),
                    ("BKA-CC", ParticipationRole.CONTRIBUTOR),
                    ("THTC", ParticipationRole.OBSERVER),
                    ("KKB", ParticipationRole.OBSERVER),
                ],
                "statuses": [Status.INVESTIGATING],
                "notes": [
                    (
                        "es-investigator",
                        "Inject 1: vendor reports a signed malicious update.",
                        TLP.GREEN,
                    ),
                ],
            },
            {
                "by": "de-investigator",
                "fields": {
                    "title": "Credential-stuffing attack on an online retailer (closed)",
                    "summary": "Accounts taken over with credentials from older breaches.",
                    "category": Category.INTRUSION_ATTEMPTS,
                    "severity": Severity.LOW,
                    "tlp": TLP.GREEN,
                    "affected_countries": ["DE"],
                    "detected_at": now - timedelta(days=90),
                },
                "share": [],
                "statuses": [
                    Status.INVESTIGATING,
                    Status.CONTAINED,
                    Status.RESOLVED,
                    Status.CLOSED,
                ],
                "notes": [],
            },
        ]
        created = 0
        for case in cases:
            if Incident.objects.filter(title=case["fields"]["title"]).exists():
                continue
            by = users[case["by"]]
            incident = actions.create_incident(by, **case["fields"])
            for short, role in case["share"]:
                actions.share_incident(incident, agencies[short], role, by)
            for status in case["statuses"]:
                actions.change_status(incident, by, status)
            for author, body, tlp in case["notes"]:
                actions.add_timeline_entry(incident, users[author], body, tlp=tlp)
            created += 1
        return created

    def _print_logins(self, users):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, user in users.items():
            where = f"{user.agency.short_name} ({user.agency.country.code})" if user.agency else "-"
            role = "superuser" if user.is_superuser else user.get_role_display()
            self.stdout.write(f"  {username:<20} {role:<18} {where}")
