"""The register of service providers: reference data every signed-in agency user reads."""

import pytest

from coordination.assistance.choices import ProviderRole
from coordination.assistance.models import ProviderEstablishment, ServiceProvider

pytestmark = pytest.mark.django_db

URL = "/requests/providers/"


def _provider(name, *addressees, **fields):
    provider = ServiceProvider.objects.create(name=name, **fields)
    for role, country, label in addressees:
        ProviderEstablishment.objects.create(
            provider=provider, role=role, country=country, name=label
        )
    return provider


@pytest.fixture
def register(db):
    cloud = _provider(
        "Example Cloud Ltd",
        (ProviderRole.DESIGNATED_ESTABLISHMENT, "IE", "Example Cloud Ltd – LE Response"),
        (ProviderRole.LEGAL_REPRESENTATIVE, "NL", "Example Cloud Legal Representative B.V."),
        services="Cloud hosting",
    )
    _provider(
        "Example Mail GmbH",
        (ProviderRole.DESIGNATED_ESTABLISHMENT, "ES", "Example Mail Iberia S.L."),
        services="E-mail",
    )
    _provider(
        "Gone Hosting", (ProviderRole.DESIGNATED_ESTABLISHMENT, "NL", "Gone B.V."), is_active=False
    )
    ProviderEstablishment.objects.create(
        provider=cloud,
        role=ProviderRole.LEGAL_REPRESENTATIVE,
        country="FR",
        name="Closed Representative SAS",
        is_active=False,
    )
    return cloud


@pytest.mark.parametrize("persona", ["lead_user", "invited_user", "outsider"])
def test_every_signed_in_agency_user_reads_the_register(client, register, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Example Cloud Ltd" in html and "Example Mail GmbH" in html
    assert "Example Cloud Legal Representative B.V." in html
    assert "Legal representative" in html and "Designated establishment" in html
    assert "Gone Hosting" not in html and "Closed Representative SAS" not in html


def test_anonymous_is_sent_to_sign_in(client, register):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_register_searches_by_name_and_member_state(client, lead_user, register):
    client.force_login(lead_user)
    html = client.get(URL, {"q": "mail"}).content.decode()
    assert "Example Mail GmbH" in html and "Example Cloud Ltd" not in html
    html = client.get(URL, {"country": "NL"}).content.decode()
    assert "Example Cloud Legal Representative B.V." in html
    assert "Example Cloud Ltd – LE Response" not in html  # only the Dutch addressee
    assert "Example Mail GmbH" not in html
    html = client.get(URL, {"q": "Iberia"}).content.decode()
    assert "Example Mail GmbH" in html


def test_register_says_when_nothing_matches_or_nothing_is_registered(client, lead_user):
    client.force_login(lead_user)
    assert "No service provider registered yet" in client.get(URL).content.decode()
    _provider("Example Cloud Ltd")
    assert "No provider matches" in client.get(URL, {"q": "zzz"}).content.decode()


def test_register_pages_and_keeps_its_query_count(client, lead_user, django_assert_max_num_queries):
    for n in range(30):
        _provider(f"Provider {n:02d}", (ProviderRole.DESIGNATED_ESTABLISHMENT, "IE", f"P{n} Ltd"))
    client.force_login(lead_user)
    with django_assert_max_num_queries(12):
        html = client.get(URL).content.decode()
    assert "Provider 24" in html and "Provider 25" not in html
    assert "Provider 25" in client.get(URL, {"page": 2}).content.decode()


def test_requests_nav_links_to_the_register(client, lead_user):
    client.force_login(lead_user)
    assert f'href="{URL}"' in client.get("/requests/").content.decode()
