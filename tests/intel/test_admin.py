"""The admin lists indicators by metadata alone: never a value or a note."""

import pytest
from django.urls import reverse

from incidents.choices import TLP
from tests.factories import UserFactory
from tests.mfa import verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    return verified_login(client, UserFactory(username="root", is_staff=True, is_superuser=True))


def test_admin_lists_indicators_without_their_values(
    admin_client, incident, lead_user, add_indicator
):
    add_indicator(incident, lead_user, "visible.example")
    secret = add_indicator(incident, lead_user, "secret.example", tlp=TLP.RED)
    html = admin_client.get(reverse("admin:intel_indicator_changelist")).content.decode()
    assert incident.reference in html
    assert "visible.example" not in html and "secret.example" not in html
    page = admin_client.get(reverse("admin:intel_indicator_change", args=[secret.pk]))
    assert page.status_code == 403


def test_admin_cannot_add_or_delete_indicators(admin_client, incident, lead_user, add_indicator):
    indicator = add_indicator(incident, lead_user, "evil.example")
    assert admin_client.get(reverse("admin:intel_indicator_add")).status_code == 403
    url = reverse("admin:intel_indicator_delete", args=[indicator.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403


def test_admin_lists_contact_requests(admin_client):
    response = admin_client.get(reverse("admin:intel_contactrequest_changelist"))
    assert response.status_code == 200
