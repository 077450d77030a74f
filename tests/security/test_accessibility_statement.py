"""The accessibility statement (Directive (EU) 2016/2102 Art. 7) is public and says how to
report a barrier."""

import pytest
from django.urls import reverse

URL = reverse("accessibility")


@pytest.mark.django_db
def test_statement_is_readable_without_signing_in_and_names_the_contact(client, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "a11y@ministry.example"
    response = client.get(URL)
    assert response.status_code == 200
    assert b"WCAG 2.1" in response.content
    assert b"mailto:a11y@ministry.example" in response.content


@pytest.mark.django_db
def test_statement_is_reachable_before_the_second_factor(client, django_user_model, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import TEST_PASSWORD, UserFactory

    # Given a user past the password step, whose authenticator app is still to be asked
    user = UserFactory(username="noor.nl")
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    client.post(reverse("accounts:login"), {"username": "noor.nl", "password": TEST_PASSWORD})
    # Then other pages send her to the step, the statement does not
    assert client.get(reverse("incidents:list")).status_code == 302
    assert client.get(URL).status_code == 200


@pytest.mark.django_db
def test_statement_is_in_french_for_a_french_reader(client):
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Déclaration d’accessibilité".encode() in response.content
