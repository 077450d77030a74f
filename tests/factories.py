"""factory-boy factories for every model tests touch."""

import factory
from django.utils import timezone

from accounts.choices import AgencyKind, Role
from accounts.models import Agency, User
from incidents import actions
from incidents.choices import TLP, Category, ParticipationRole, Severity

TEST_PASSWORD = "correct-horse-battery-staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("short_name",)

    name = factory.Sequence(lambda n: f"Cyber Unit {n}")
    short_name = factory.Sequence(lambda n: f"CU{n}")
    country = "DE"
    kind = AgencyKind.POLICE
    mailbox = factory.LazyAttribute(lambda a: f"{a.short_name.lower()}@example.org")
    timezone = "Europe/Berlin"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    agency = factory.SubFactory(AgencyFactory)
    role = Role.INVESTIGATOR
    timezone = "Europe/Berlin"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_incident(by, *, shared_with=(), **fields):
    """File an incident through the real action (reference, participation, permissions)."""
    defaults = {
        "title": "Ransomware attack on a hospital network",
        "summary": "Encrypted file servers; ransom note references a leak site.",
        "category": Category.MALICIOUS_CODE,
        "severity": Severity.HIGH,
        "tlp": TLP.AMBER,
        "detected_at": timezone.now() - timezone.timedelta(hours=3),
        "affected_countries": ["DE"],
    }
    defaults.update(fields)
    incident = actions.create_incident(by, **defaults)
    for agency, role in shared_with:
        actions.share_incident(incident, agency, role or ParticipationRole.CONTRIBUTOR, by)
    return incident
