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


def test_demo_registers_providers_and_addresses_orders_to_them():
    from coordination.assistance.models import ProviderEstablishment, ServiceProvider

    call_command("load_demo", "--quiet-logins")
    call_command("load_demo", "--quiet-logins")
    assert ServiceProvider.objects.filter(name="Example Cloud Ltd").count() == 1
    cloud = ProviderEstablishment.objects.filter(provider__name="Example Cloud Ltd")
    assert set(cloud.values_list("country", "role")) >= {
        ("IE", "establishment"),
        ("NL", "representative"),
    }
    preserved = AssistanceRequest.objects.get(legal_basis="epoc_pr")
    assert preserved.status == Status.PRESERVED
    assert preserved.provider_addressee.provider.name == "Example Cloud Ltd"
    production = AssistanceRequest.objects.get(legal_basis="epoc")
    assert production.enforcing_agency.short_name == "THTC"
    assert production.receiving_agency is None
