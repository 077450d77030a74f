"""Demo register of service providers (fictitious), loaded by ``load_demo``; safe to rerun."""

from coordination.assistance.choices import ProviderRole
from coordination.assistance.models import ProviderEstablishment, ServiceProvider

E = ProviderRole.DESIGNATED_ESTABLISHMENT
R = ProviderRole.LEGAL_REPRESENTATIVE

PROVIDERS = [
    {
        "name": "Example Cloud Ltd",
        "services": "Cloud hosting, virtual private servers, object storage",
        "website": "https://cloud.example",
        "addressees": [
            (E, "IE", "Example Cloud Ltd – Law Enforcement Response", "Europe/Dublin", "en"),
            (R, "NL", "Example Cloud Legal Representative B.V.", "Europe/Amsterdam", "nl"),
            (R, "FR", "Example Cloud Représentant légal SAS", "Europe/Paris", "fr"),
        ],
    },
    {
        "name": "Example Mail GmbH",
        "services": "E-mail and calendar services",
        "website": "https://mail.example",
        "addressees": [
            (E, "NL", "Example Mail Nederland B.V.", "Europe/Amsterdam", "en"),
            (E, "ES", "Example Mail Iberia S.L.", "Europe/Madrid", "es"),
        ],
    },
    {
        "name": "Example Social Inc.",
        "services": "Social network, instant messaging",
        "website": "https://social.example",
        "addressees": [
            (R, "IE", "Example Social EU Representative Ltd", "Europe/Dublin", "en"),
            (R, "EE", "Example Social Esindaja OÜ", "Europe/Tallinn", "en"),
        ],
    },
]


def _slug(name):
    return "".join(c for c in name.lower() if c.isalnum())[:20]


def load_demo_providers():
    """Create the demo providers and their addressees; returns ``{(provider, country): row}``."""
    found = {}
    for item in PROVIDERS:
        provider, _created = ServiceProvider.objects.get_or_create(
            name=item["name"],
            defaults={"services": item["services"], "website": item["website"]},
        )
        for role, country, name, zone, language in item["addressees"]:
            row, _created = ProviderEstablishment.objects.get_or_create(
                provider=provider,
                country=country,
                role=role,
                defaults={
                    "name": name,
                    "address": f"{name}, {country}",
                    "email": f"lawful-requests-{country.lower()}@{_slug(item['name'])}.example",
                    "phone": "",
                    "timezone": zone,
                    "language": language,
                },
            )
            found[(item["name"], country)] = row
    return found
