"""Demo case templates and task assignments (``manage.py load_demo``; safe to run again)."""

from django.db import transaction

from incidents.casework import actions
from incidents.choices import Category, ParticipationRole
from incidents.models import CaseTemplate, CaseTemplateStep, Task

# (category, name, [(title, description, due after hours)])
DEMO_TEMPLATES = [
    (
        Category.MALICIOUS_CODE,
        "Ransomware",
        [
            (
                "Isolate affected hosts",
                (
                    "Disconnect encrypted and suspected hosts from the network; keep them powered "
                    "on for memory acquisition."
                ),
                4,
            ),
            (
                "Collect the ransom note",
                "Keep the note file and any contact address, wallet or leak-site link it names.",
                12,
            ),
            (
                "Check decryptor availability",
                (
                    "Look up the strain at No More Ransom and with partner CERTs before any "
                    "contact with the actors."
                ),
                24,
            ),
            (
                "Notify the data-protection authority",
                (
                    "Where personal data are involved: within 72 hours of becoming aware "
                    "(GDPR Art. 33)."
                ),
                72,
            ),
        ],
    ),
    (
        Category.INTRUSIONS,
        "Intrusion",
        [
            ("Preserve logs", "VPN, firewall, domain controller and EDR logs.", 24),
            ("Identify the initial access vector", "", 72),
            ("Request preservation from providers", "Budapest Convention Art. 29.", 48),
        ],
    ),
]


@transaction.atomic
def load_demo_case_templates(agencies):
    """Every demo agency that files incidents starts ransomware and intrusion cases alike."""
    for agency in agencies:
        for category, name, steps in DEMO_TEMPLATES:
            template, created = CaseTemplate.objects.get_or_create(
                agency=agency, category=category, is_active=True, defaults={"name": name}
            )
            if not created:
                continue
            CaseTemplateStep.objects.bulk_create(
                CaseTemplateStep(
                    template=template,
                    title=title,
                    description=description,
                    due_after_hours=hours,
                    position=position,
                )
                for position, (title, description, hours) in enumerate(steps)
            )


@transaction.atomic
def load_demo_tasks(users):
    """Give the pre-filled tasks of the demo cases to people of the agencies taking part."""
    for task in Task.objects.filter(assignee=None, status="open").select_related(
        "incident", "created_by"
    ):
        incident = task.incident
        partners = list(
            incident.participations.exclude(role=ParticipationRole.OBSERVER)
            .exclude(agency_id=incident.lead_agency_id)
            .values_list("agency_id", flat=True)
        )
        by = task.created_by
        # The first task stays with the lead's investigator, the next goes to a partner.
        people = [by] + [
            u for u in users.values() if u.agency_id in partners and u.role == "investigator"
        ]
        actions.assign_task(task, by, people[task.position % len(people)])
