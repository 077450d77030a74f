"""Demo data: requests in several states, loaded once."""

import pytest
from django.core.management import call_command

from coordination.assistance.choices import Status
from coordination.assistance.models import AssistanceRequest

pytestmark = pytest.mark.django_db


def test_demo_loads_requests_in_different_states_and_is_idempotent():
    call_command("load_demo", "--quiet-logins")
    states = set(AssistanceRequest.objects.values_list("status", flat=True))
    assert {
        Status.DRAFT,
        Status.PENDING_APPROVAL,
        Status.SENT,
        Status.IN_EXECUTION,
        Status.HELD,
        Status.AWAITING_INFORMATION,
        Status.FULFILLED,
    } <= states
    count = AssistanceRequest.objects.count()
    call_command("load_demo", "--quiet-logins")
    assert AssistanceRequest.objects.count() == count
    held = AssistanceRequest.objects.get(status=Status.HELD)
    assert held.follow_up.legal_basis == "eio"
