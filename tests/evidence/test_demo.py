"""Demo data: the hospital case carries evidence with a cross-border hand-over, once."""

import pytest
from django.core.management import call_command

from incidents.evidence import chain
from incidents.evidence.choices import EvidenceStatus
from incidents.models import Evidence

pytestmark = pytest.mark.django_db


def test_load_demo_logs_evidence_with_a_hand_over_and_is_idempotent():
    call_command("load_demo", "--quiet-logins", verbosity=0)
    call_command("load_demo", "--quiet-logins", verbosity=0)
    items = list(Evidence.objects.select_related("holder_agency").order_by("pk"))
    assert len(items) == 2
    image = items[0]
    assert image.status == EvidenceStatus.IN_CUSTODY
    assert image.holder_agency.short_name == "THTC"
    assert list(image.custody.values_list("action", flat=True)) == [
        "acquired",
        "transferred",
        "received",
        "analysed",
    ]
    assert all(chain.verify(item).ok for item in items)
