"""Demo indicators: two countries' cases that do not share each other hold the same IP.

Called by ``manage.py load_demo``. Idempotent: a demo case that already holds indicators
is left alone (pasting again would merge, but also write a new timeline entry).
"""

from coordination.intel.actions import paste_indicators
from coordination.intel.models import Indicator
from incidents.models import Incident

# The C2 address seen both in the German hospital case and in the French BEC case. The
# French agency observes the German case (a link for the French); the German agency does
# not see the French case (a count and "request contact" for the Germans).
SHARED_C2 = "185.220.101.45"

DEMO_INDICATORS = [
    (
        "LockBit-style ransomware at a regional hospital group",
        "de-investigator",
        "\n".join(
            [
                "185.220.101[.]45",
                "hxxps://leak-portal[.]example/hospital-group",
                "recover-your-files.example",
                "a3f5c1e2b4d6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081",
                "vpn-appliance-update.exe",
            ]
        ),
    ),
    (
        "Business e-mail compromise against an aerospace supplier",
        "fr-investigator",
        "\n".join(
            [
                "185.220.101.45",
                "supplier-invoices.example",
                "accounts[@]supplier-invoices[.]example",
                "hxxp://supplier-invoices[.]example/login.php",
            ]
        ),
    ),
    (
        "Phishing kit targeting bank customers in three countries",
        "nl-investigator",
        "\n".join(
            [
                "login-mybank.example",
                "hxxps://login-mybank[.]example/secure/verify",
                "203.0.113.66",
                "9e107d9d372bb6826bd81d3542a419d6",
            ]
        ),
    ),
]


def load_demo_indicators(users):
    """Paste the demo indicators into their cases; returns how many cases got some."""
    filled = 0
    for title, author, text in DEMO_INDICATORS:
        # On a federated node, only the cases led there (a replica's indicators travel).
        incident = Incident.objects.filter(title=title, origin_node="").first()
        if incident is None or author not in users:
            continue
        if Indicator.objects.filter(incident=incident).exists():
            continue
        paste_indicators(incident, users[author], text)
        filled += 1
    return filled
