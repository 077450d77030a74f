"""Load a small, realistic demo: agencies in five countries, users of every role, shared cases.

Idempotent: agencies and users are matched by short name and username, and the
demo incidents are filed only once (recognised by their titles).

On a federated node, ``--countries DE,EE`` loads only the agencies of those countries, their
people and what they lead; ``--federated`` then does, once the peer nodes are connected, what
crosses nodes: the demo cases are shared with the other nodes' agencies (through federation,
as a user would), and the notes this node's people write in the other nodes' cases are added
to the replicas here.
"""

import hashlib
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.choices import AgencyKind, Role
from accounts.models import Agency, User
from incidents import actions
from incidents.choices import TLP, Category, ParticipationRole, Severity, Status
from incidents.models import Incident

DEMO_PASSWORD = "concord-demo"
# An agency of another node that is not (yet) in this node's directory.
MISSING = object()
# The hospital case's disk image, handed over from the BKA to the Dutch unit.
IMAGE_TITLE = "Disk image of file server FS-02"
IMAGE_HASH = hashlib.sha256(b"concord demo: FS-02 disk image").hexdigest()

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
        "GStA-ZIT",
        "Generalstaatsanwaltschaft Frankfurt am Main – ZIT",
        "DE",
        AgencyKind.PROSECUTOR,
        "zit@gsta.example.de",
        "+49 69 1367 01",
        False,
        "Europe/Berlin",
        "en",
    ),
    (
        "AG-WI",
        "Amtsgericht Wiesbaden – Ermittlungsrichter",
        "DE",
        AgencyKind.COURT,
        "ermittlungsrichter@ag-wiesbaden.example.de",
        "+49 611 32 0",
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
        parser.add_argument(
            "--countries",
            default="",
            help="Comma-separated ISO codes: load only the agencies of these countries and what "
            "they lead (a federated node's share of the demo). Default: every country.",
        )
        parser.add_argument(
            "--federated",
            action="store_true",
            help="Share the demo cases with the peer nodes' agencies and add this node's notes "
            "to their cases (after the nodes are connected).",
        )
        parser.add_argument(
            "--wait",
            type=int,
            default=0,
            help="With --federated: seconds to wait for the peers' directories and replicas.",
        )

    def handle(self, *args, **options):
        self.countries = {c.strip().upper() for c in options["countries"].split(",") if c.strip()}
        if options["federated"]:
            self._federate(options["wait"])
            return
        self._load(options)

    @transaction.atomic
    def _load(self, options):
        agencies = self._agencies()
        users = self._users(agencies)
        # Case templates first: the demo incidents are filed with their tasks pre-filled.
        from incidents.casework.demo import load_demo_case_templates, load_demo_tasks

        load_demo_case_templates(agencies[short] for short in FULLY_STAFFED if short in agencies)
        created = self._incidents(agencies, users)
        if created:
            load_demo_tasks(users)
        items = self._evidence(agencies, users)
        requests_created = len(self._requests(agencies, users)[0])
        # Indicators live in coordination.intel, which builds on incidents: import it late.
        from coordination.intel.demo import load_demo_indicators

        load_demo_indicators(users)
        # The demo exercise and its controller (coordination.exercises, built on all above).
        from coordination.exercises.demo import load_demo_exercise

        if self._loads_exercise(agencies, users):
            load_demo_exercise(agencies, users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(agencies)} agencies, {len(users)} users, "
                f"{created} new incidents, {items} new evidence items, "
                f"{requests_created} new requests for assistance."
            )
        )
        if not options["quiet_logins"]:
            self._print_logins(users)

    def _is_local(self, country):
        return not self.countries or country in self.countries

    @staticmethod
    def _loads_exercise(agencies, users):
        """The demo exercise needs its controller and every role's agency on this node."""
        from coordination.exercises.demo import CONTROLLER, ROLES

        return CONTROLLER in users and all(short in agencies for short in ROLES.values())

    def _agencies(self):
        agencies = {}
        for short, name, country, kind, mailbox, phone, is_24_7, tz, lang in AGENCIES:
            if not self._is_local(country):
                continue
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
            agency = agencies.get(short)
            if agency is None:
                continue
            for (role, suffix), (first, last) in zip(STAFF, NAMES[prefix], strict=True):
                username = f"{prefix}-{suffix}"
                users[username] = self._user(
                    username, agency, role, first, last, agency.timezone, agency.language
                )
        for short in ("CERT-Bund", "CERT-FR", "NCSC-NL", "CERT-EE", "FGE-CIBER"):
            agency = agencies.get(short)
            if agency is None:
                continue
            username = f"{short.lower()}-analyst"
            users[username] = self._user(
                username, agency, Role.INVESTIGATOR, "Alex", "Analyst", agency.timezone, "en"
            )
        # The judicial authorities that validate German orders (Directive 2014/41/EU
        # Art. 2(c)(ii), Regulation (EU) 2023/1543 Art. 4): a prosecutor and a judge.
        for username, short, first, last in (
            ("de-prosecutor", "GStA-ZIT", "Katharina", "Weber"),
            ("de-judge", "AG-WI", "Stefan", "Richter"),
        ):
            agency = agencies.get(short)
            if agency is None:
                continue
            users[username] = self._user(
                username, agency, Role.LIAISON_OFFICER, first, last, agency.timezone, "en"
            )
        # The exercise controller of the demo exercise (coordination/exercises/demo.py).
        if "BKA-CC" in agencies:
            users["de-exercise"] = self._user(
                "de-exercise",
                agencies["BKA-CC"],
                Role.SUPERVISOR,
                "Nadine",
                "Krüger",
                "Europe/Berlin",
                "en",
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
        created = 0
        for case in self._cases():
            if case["by"] not in users:
                continue  # led from another node
            if Incident.objects.filter(title=case["fields"]["title"], origin_node="").exists():
                continue
            by = users[case["by"]]
            incident = actions.create_incident(by, **case["fields"])
            for short, role in case["share"]:
                if short in agencies:  # the other nodes' agencies: --federated
                    actions.share_incident(incident, agencies[short], role, by)
            for status in case["statuses"]:
                actions.change_status(incident, by, status)
            for author, body, tlp in case["notes"]:
                if author in users:
                    actions.add_timeline_entry(incident, users[author], body, tlp=tlp)
            created += 1
        return created

    @staticmethod
    def _cases():
        now = timezone.now()
        return [
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

    def _evidence(self, agencies, users):
        """Two items of the hospital case; the disk image crosses from Germany to the
        Netherlands (transferred, then received with a hash check). Logged once."""
        from incidents.evidence import actions as evidence_actions
        from incidents.evidence.choices import CustodyAction, EvidenceKind
        from incidents.models import Evidence

        incident = Incident.objects.filter(
            title="LockBit-style ransomware at a regional hospital group", origin_node=""
        ).first()
        if incident is None or Evidence.objects.filter(incident=incident).exists():
            return 0
        # On a federated node without the Dutch unit, the image stays in Germany.
        crosses = "nl-investigator" in users and "THTC" in agencies
        now = timezone.now()
        de, nl = users["de-investigator"], users.get("nl-investigator")
        image_hash = IMAGE_HASH
        image = evidence_actions.create_evidence(
            incident,
            de,
            title=IMAGE_TITLE,
            description="Encrypted file server of the Mainz hospital; imaged before rebuild.",
            kind=EvidenceKind.DISK_IMAGE,
            sha256=image_hash,
            size=512 * 1024**3,
            acquired_at=now - timedelta(days=5, hours=20),
            acquired_by_name="KHK Lena Vogel",
            acquired_where="Hospital data centre, Mainz",
            acquisition_method="Hardware write blocker, E01 image",
            seal_number="DE-BKA-2026-0417",
        )
        if crosses:
            self._hand_image_over(image, de, agencies["THTC"], now)
            self._receive_image(image, nl, now)
        note_hash = hashlib.sha256(b"concord demo: ransom note e-mail").hexdigest()
        note = evidence_actions.create_evidence(
            incident,
            de,
            title="Ransom note e-mail with full headers",
            kind=EvidenceKind.EMAIL,
            sha256=note_hash,
            size=48_213,
            acquired_at=now - timedelta(days=6),
            acquired_by_name="KHK Lena Vogel",
            acquired_where="Hospital mail server export",
            acquisition_method="EML export by the hospital's IT",
        )
        evidence_actions.record_custody_event(
            note,
            de,
            CustodyAction.ANALYSED,
            occurred_at=now - timedelta(days=5),
            purpose="Header analysis: sending infrastructure",
            location="BKA Wiesbaden",
        )
        return 2

    @staticmethod
    def _hand_image_over(image, by, thtc, now):
        from incidents.evidence import actions as evidence_actions
        from incidents.evidence.choices import CustodyAction

        evidence_actions.record_custody_event(
            image,
            by,
            CustodyAction.TRANSFERRED,
            to_agency=thtc,
            occurred_at=now - timedelta(days=4, hours=6),
            purpose="Malware analysis of the encryptor by the Dutch High Tech Crime Unit",
            channel="Police courier, tamper-evident bag",
            seal_ids="DE-BKA-2026-0417",
            location="BKA Wiesbaden",
        )

    @staticmethod
    def _receive_image(image, by, now):
        from incidents.evidence import actions as evidence_actions
        from incidents.evidence.choices import CustodyAction

        evidence_actions.record_custody_event(
            image,
            by,
            CustodyAction.RECEIVED,
            occurred_at=now - timedelta(days=4),
            location="THTC, Zoetermeer",
            seal_ids="DE-BKA-2026-0417",
            hash_observed=IMAGE_HASH,
            notes="Seal intact; hash verified on arrival.",
        )
        evidence_actions.record_custody_event(
            image,
            by,
            CustodyAction.ANALYSED,
            occurred_at=now - timedelta(days=3),
            purpose="Extraction of the encryptor and its configuration",
            location="THTC forensic lab",
            hash_observed=IMAGE_HASH,
        )

    def _custody_across_nodes(self, agencies, users):
        """The disk image crosses nodes: handed over on the node that logged it, received by
        the Dutch unit on its own node once the hand-over has arrived there."""
        from incidents.evidence.choices import CustodyAction, EvidenceStatus
        from incidents.models import Evidence

        now = timezone.now()
        image = Evidence.objects.filter(title=IMAGE_TITLE).first()
        if image is None:  # on the Dutch unit's node, until the register line arrives
            return 0, int("nl-investigator" in users)
        if not image.origin_node:
            if (
                "THTC" in agencies
                or image.custody.filter(action=CustodyAction.TRANSFERRED).exists()
            ):
                return 0, 0
            thtc = Agency.objects.filter(
                short_name="THTC", node__isnull=False, participations__incident=image.incident
            ).first()
            if thtc is None:
                return 0, 1
            self._hand_image_over(image, users["de-investigator"], thtc, now)
            return 1, 0
        nl = users.get("nl-investigator")
        if nl is None or image.custody.filter(action=CustodyAction.RECEIVED).exists():
            return 0, 0
        if image.status != EvidenceStatus.IN_TRANSIT or image.transit_to_agency_id != nl.agency_id:
            return 0, 1
        self._receive_image(image, nl, now)
        return 1, 0

    def _requests(self, agencies, users, *, remote=False):
        """Requests for assistance in different states, each moved there by the real
        transitions (recognised by their facts, so a second run adds nothing).

        On a federated node: the requests this node's people make to its own agencies, or,
        with ``remote``, to the other nodes' agencies (moved as far as this node's people
        take them: the other side's steps are its own). Returns the requests made and how
        many wait for an agency that is not in the directory yet."""
        from coordination.assistance import actions as assistance
        from coordination.assistance.demo import load_demo_providers
        from coordination.assistance.models import AssistanceRequest
        from coordination.assistance.transitions import transition_request
        from coordination.assistance.validation_rules import addressee_warning

        providers = load_demo_providers()

        def agency(short):
            if short in agencies:
                return None if remote else agencies[short]
            if not remote:
                return None
            return (
                Agency.objects.filter(short_name=short, node__isnull=False, is_active=True).first()
                or MISSING
            )

        led_here = Incident.objects.filter(origin_node="")
        hospital = led_here.filter(title__startswith="LockBit-style").first()
        bec = led_here.filter(title__startswith="Business e-mail").first()
        phishing = led_here.filter(title__startswith="Phishing kit").first()
        now = timezone.now()
        ip_item = {
            "kind": "ip_time",
            "value": "185.220.101.47",
            "observed_at": now - timedelta(days=6, hours=5),
            "provider": "NL-Host B.V.",
        }
        law = {
            "offences": "§ 303b StGB (computer sabotage), § 253 StGB (extortion).",
            "dual_criminality": "Art. 138b, 317 and 350a Sr criminalise the same conduct.",
        }
        demo = [
            {
                "by": "de-investigator",
                "incident": hospital,
                "fields": {
                    "legal_basis": "eio",
                    "measures": ["subscriber", "traffic"],
                    "requested_country": "NL",
                    "receiving_agency": agency("THTC"),
                    "facts": "Hospital ransomware: the C2 server's subscriber and logs.",
                    **law,
                },
                "data": [ip_item],
                "steps": [
                    ("submit", "de-investigator", ""),
                    ("approve", "de-prosecutor", ""),
                    ("acknowledge", "nl-liaison", ""),
                    ("accept", "nl-liaison", ""),
                ],
            },
            {
                "by": "de-investigator",
                "incident": hospital,
                "fields": {
                    "legal_basis": "budapest_29",
                    "measures": ["preservation"],
                    "urgency": "urgent",
                    "urgency_reason": "The provider keeps connection logs for 14 days.",
                    "requested_country": "NL",
                    "receiving_agency": agency("THTC"),
                    "facts": "Hospital ransomware: preserve the C2 server's logs and disk.",
                    "offences": law["offences"],
                },
                "data": [ip_item],
                "steps": [
                    ("submit", "de-investigator", ""),
                    ("approve", "de-liaison", ""),
                    ("acknowledge", "nl-liaison", ""),
                    ("confirm_preservation", "nl-liaison", "Snapshot taken and sealed."),
                    (
                        "link_follow_up",
                        "de-investigator",
                        "follow-up:Hospital ransomware: the C2 server's subscriber and logs.",
                    ),
                ],
            },
            {
                "by": "de-investigator",
                "incident": hospital,
                "fields": {
                    "legal_basis": "epoc",
                    "measures": ["subscriber", "content"],
                    "urgency": "emergency",
                    "urgency_reason": "Threat to publish patient records of intensive care units.",
                    # Addressed to the provider; the Dutch police unit is notified (Art. 8).
                    "provider_addressee": providers[("Example Mail GmbH", "NL")],
                    "enforcing_agency": agency("THTC"),
                    "facts": "Hospital ransomware: the leak site operator's mailbox.",
                    "offences": law["offences"],
                },
                "data": [
                    {
                        "kind": "email",
                        "value": "leaks@mail.example",
                        "provider": "Example Mail GmbH",
                    }
                ],
                "steps": [("submit", "de-investigator", "")],
            },
            {
                "by": "de-investigator",
                "incident": hospital,
                "fields": {
                    "legal_basis": "epoc_pr",
                    "measures": ["preservation"],
                    "urgency": "urgent",
                    "urgency_reason": "The provider deletes unused VPS snapshots after 7 days.",
                    "provider_addressee": providers[("Example Cloud Ltd", "NL")],
                    "facts": "Hospital ransomware: preserve the staging VPS rented at Example Cloud.",
                    "offences": law["offences"],
                },
                "data": [{**ip_item, "provider": "Example Cloud Ltd"}],
                "steps": [
                    ("submit", "de-investigator", ""),
                    # Regulation (EU) 2023/1543 Art. 4(3): a prosecutor validates it.
                    ("approve", "de-prosecutor", ""),
                    ("record_receipt", "de-liaison", ""),
                    ("record_preservation", "de-liaison", "Annex III: snapshot preserved."),
                ],
            },
            {
                "by": "fr-investigator",
                "incident": bec,
                "fields": {
                    "legal_basis": "police",
                    "measures": ["subscriber"],
                    "requested_country": "ES",
                    "receiving_agency": agency("UCC"),
                    "facts": "BEC fraud: holder of the mule account in Valencia.",
                },
                "data": [
                    {"kind": "account", "value": "ES91 2100 0418 4502 0005 1332", "note": "IBAN"}
                ],
                "steps": [("submit", "fr-investigator", ""), ("approve", "fr-liaison", "")],
            },
            {
                "by": "fr-investigator",
                "incident": bec,
                "fields": {
                    "legal_basis": "budapest_31",
                    "measures": ["traffic", "content"],
                    "requested_country": "EE",
                    "receiving_agency": agency("KKB"),
                    "facts": "BEC fraud: logins to the compromised supplier mailbox from Tallinn.",
                    "offences": "Art. 313-1 Code pénal (escroquerie en bande organisée).",
                    "dual_criminality": "§ 209 KarS (fraud) covers the same conduct.",
                },
                "data": [
                    {
                        "kind": "ip_time",
                        "value": "195.80.100.12",
                        "observed_at": now - timedelta(days=13),
                        "provider": "EE Telecom",
                    }
                ],
                "steps": [
                    ("submit", "fr-investigator", ""),
                    ("approve", "fr-liaison", ""),
                    ("acknowledge", "ee-liaison", ""),
                    (
                        "ask_information",
                        "ee-liaison",
                        "Please give the time zone of the login times and the account name.",
                    ),
                ],
            },
            {
                "by": "nl-investigator",
                "incident": phishing,
                "fields": {
                    "legal_basis": "police",
                    "measures": ["subscriber"],
                    "requested_country": "DE",
                    "receiving_agency": agency("BKA-CC"),
                    "facts": "Phishing kit: registrant of the German lookalike domains.",
                },
                "data": [
                    {"kind": "domain", "value": "sparkasse-login.example", "provider": "DENIC"}
                ],
                "steps": [
                    ("submit", "nl-investigator", ""),
                    ("approve", "nl-liaison", ""),
                    ("acknowledge", "de-liaison", ""),
                    ("accept", "de-liaison", ""),
                    ("fulfil", "de-liaison", "Registrant data sent by the 24/7 channel."),
                ],
            },
            {
                "by": "de-investigator",
                "incident": phishing,
                "fields": {
                    "legal_basis": "police",
                    "measures": ["subscriber"],
                    "requested_country": "FR",
                    "receiving_agency": agency("OFAC"),
                    "facts": "Phishing kit: French hosting of the kit's admin panel (draft).",
                },
                "data": [],
                "steps": [],
            },
        ]
        created, waiting = [], 0
        for item in demo:
            if AssistanceRequest.objects.filter(facts=item["fields"]["facts"]).exists():
                continue
            if item["incident"] is None or item["by"] not in users:
                continue
            addressees = [
                item["fields"][name]
                for name in ("receiving_agency", "enforcing_agency")
                if name in item["fields"]
            ]
            if remote and "enforcing_agency" in item["fields"]:
                continue  # an order's notified authority stays on the issuing node
            if MISSING in addressees:
                waiting += 1
                continue
            if None in addressees or (remote and not addressees):
                continue  # addressed on another node, or (remote) to one of this node's
            request = assistance.create_request(
                users[item["by"]],
                incident=item["incident"],
                data_sought=item["data"],
                **item["fields"],
            )
            for action, who, comment in item["steps"]:
                if who not in users:
                    break  # the other side's step, taken on its node
                extra = {}
                if comment.startswith("follow-up:"):
                    facts = comment.removeprefix("follow-up:")
                    extra["follow_up"] = AssistanceRequest.objects.get(facts=facts)
                    comment = ""
                if action == "approve" and addressee_warning(request):
                    extra["confirm_addressee"] = True  # the demo EIO goes to a police unit
                transition_request(request, action, users[who], comment=comment, **extra)
            created.append(request)
        return created, waiting

    def _federate(self, wait):
        """What crosses nodes, once the peers are connected: retried until nothing waits for
        a peer's directory or a replica, or ``wait`` seconds have passed."""
        from coordination.federation import identity

        if not identity.is_enabled():
            raise CommandError("--federated needs a federated node: set FEDERATION_NODE_NAME.")
        agencies = {
            agency.short_name: agency
            for agency in Agency.objects.filter(
                node__isnull=True, short_name__in=[row[0] for row in AGENCIES]
            )
        }
        if not agencies:
            raise CommandError("Load this node's demo data first (load_demo --countries ...).")
        users = {user.username: user for user in User.objects.filter(agency__in=agencies.values())}
        deadline = time.monotonic() + wait
        shared = notes = requests = steps = 0
        while True:
            with transaction.atomic():
                new_shares, waiting_shares = self._share_with_other_nodes(agencies, users)
                new_notes, waiting_notes = self._notes_in_other_nodes_cases(users)
                made, waiting_requests = self._requests(agencies, users, remote=True)
                new_steps, waiting_custody = self._custody_across_nodes(agencies, users)
            shared, notes, requests = shared + new_shares, notes + new_notes, requests + len(made)
            steps += new_steps
            waiting = waiting_shares + waiting_notes + waiting_requests + waiting_custody
            if not waiting or time.monotonic() >= deadline:
                break
            time.sleep(3)
        self.stdout.write(
            self.style.SUCCESS(
                f"Across nodes: {shared} new shares, {notes} new notes in other nodes' cases, "
                f"{requests} new requests to other nodes' agencies, {steps} custody hand-overs "
                "across nodes."
            )
        )
        if waiting:
            self.stdout.write(
                self.style.WARNING(
                    f"{waiting} demo items still wait for a peer's directory or a replica: "
                    "run load_demo --federated again once the nodes are connected."
                )
            )

    def _share_with_other_nodes(self, agencies, users):
        """The cases led here are shared with the other nodes' agencies of their demo."""
        shared = waiting = 0
        for case in self._cases():
            if case["by"] not in users:
                continue
            incident = Incident.objects.filter(
                title=case["fields"]["title"], origin_node=""
            ).first()
            if incident is None:
                continue
            for short, role in case["share"]:
                if short in agencies:
                    continue
                remote = Agency.objects.filter(
                    short_name=short, node__isnull=False, is_active=True
                ).first()
                if remote is None:
                    waiting += 1
                elif not incident.participations.filter(agency=remote).exists():
                    actions.share_incident(incident, remote, role, users[case["by"]])
                    shared += 1
        return shared, waiting

    def _notes_in_other_nodes_cases(self, users):
        """This node's people write their demo notes in the replicas of other nodes' cases."""
        written = waiting = 0
        for case in self._cases():
            notes = [note for note in case["notes"] if note[0] in users]
            if case["by"] in users or not notes:
                continue
            replica = (
                Incident.objects.filter(title=case["fields"]["title"])
                .exclude(origin_node="")
                .first()
            )
            if replica is None:
                waiting += 1
                continue
            for author, body, tlp in notes:
                if not replica.timeline.filter(body=body).exists():
                    actions.add_timeline_entry(replica, users[author], body, tlp=tlp)
                    written += 1
        return written, waiting

    def _print_logins(self, users):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, user in users.items():
            where = f"{user.agency.short_name} ({user.agency.country.code})" if user.agency else "-"
            role = "superuser" if user.is_superuser else user.get_role_display()
            self.stdout.write(f"  {username:<20} {role:<18} {where}")
