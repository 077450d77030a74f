"""Export panel on the incident page and the API token page."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from coordination.exchange.collections import incident_collection_id
from coordination.intel.choices import IndicatorType
from incidents.choices import TLP
from tests.factories import make_incident


def panel_url(incident):
    return reverse("exchange:incident_panel", args=[incident.reference])


TOKEN_URL = "/exchange/token/"


@pytest.mark.django_db
def test_incident_page_loads_the_export_panel_lazily(client, lead_user, incident):
    client.force_login(lead_user)

    response = client.get(incident.get_absolute_url())

    assert f'hx-get="{panel_url(incident)}"' in response.content.decode()
    assert reverse("exchange:incident_stix", args=[incident.reference]) in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_user", 200), ("invited_user", 200), ("outsider", 404), (None, 302)],
)
def test_export_panel_by_persona(client, request, incident, persona, status):
    if persona:
        client.force_login(request.getfixturevalue(persona))

    response = client.get(panel_url(incident))

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_export_panel_offers_stix_blocklists_and_the_taxii_collection(
    client, lead_user, incident, add_indicator
):
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.7", by=lead_user)
    add_indicator(incident, IndicatorType.IPV4, "198.51.100.8", by=lead_user, tlp=TLP.RED)
    client.force_login(lead_user)

    html = client.get(panel_url(incident)).content.decode()

    assert reverse("exchange:incident_stix", args=[incident.reference]) in html
    assert "blocklist.txt?type=ipv4,ipv6,cidr" in html
    assert incident_collection_id(incident.reference) in html
    assert "http://testserver/taxii2/" in html
    assert "1 shareable indicator" in html
    assert TOKEN_URL in html


@pytest.mark.django_db
def test_export_panel_of_a_red_incident_offers_no_collection(client, lead_user):
    red = make_incident(lead_user, tlp=TLP.RED)
    client.force_login(lead_user)

    html = client.get(panel_url(red)).content.decode()

    assert "TLP:RED: nothing of it goes into blocklists or TAXII collections" in html
    assert incident_collection_id(red.reference) not in html


@pytest.mark.django_db
def test_export_panel_query_budget(
    client, lead_user, incident, add_indicator, django_assert_max_num_queries
):
    for n in range(1, 30):
        add_indicator(incident, IndicatorType.IPV4, f"198.51.100.{n}", by=lead_user)
    client.force_login(lead_user)

    with django_assert_max_num_queries(6):
        client.get(panel_url(incident))


# API token page


@pytest.mark.django_db
def test_token_page_needs_sign_in(client):
    response = client.get(TOKEN_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["lead_user", "invited_user", "outsider"])
def test_every_signed_in_persona_may_manage_a_token(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    assert client.get(TOKEN_URL).status_code == 200
    assert client.post(TOKEN_URL, {"action": "create"}).status_code == 200
    assert Token.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_without_a_token_the_page_shows_an_empty_state(client, lead_user):
    client.force_login(lead_user)

    html = client.get(TOKEN_URL).content.decode()

    assert "You have no API token" in html
    assert 'value="create"' in html


@pytest.mark.django_db
def test_new_token_is_shown_in_full_once_then_only_a_prefix(client, lead_user):
    client.force_login(lead_user)

    created = client.post(TOKEN_URL, {"action": "create"}).content.decode()
    key = Token.objects.get(user=lead_user).key
    later = client.get(TOKEN_URL).content.decode()

    assert key in created
    assert key not in later
    assert key[:6] in later
    assert "Revoke token" in later


@pytest.mark.django_db
def test_replacing_a_token_invalidates_the_old_one(client, lead_user):
    client.force_login(lead_user)
    client.post(TOKEN_URL, {"action": "create"})
    old = Token.objects.get(user=lead_user).key

    client.post(TOKEN_URL, {"action": "replace"})

    assert Token.objects.get(user=lead_user).key != old
    assert (
        client.get(reverse("taxii:discovery"), HTTP_AUTHORIZATION=f"Bearer {old}").status_code
        == 401
    )


@pytest.mark.django_db
def test_revoking_deletes_only_ones_own_token(client, lead_user, invited_user, token_for):
    token_for(lead_user)
    theirs = token_for(invited_user)
    client.force_login(lead_user)

    response = client.post(TOKEN_URL, {"action": "revoke"})

    assert response.status_code == 302
    assert not Token.objects.filter(user=lead_user).exists()
    assert Token.objects.filter(key=theirs).exists()


@pytest.mark.django_db
def test_revoke_and_replace_ask_for_confirmation(client, lead_user, token_for):
    token_for(lead_user)
    client.force_login(lead_user)

    html = client.get(TOKEN_URL).content.decode()

    assert html.count("data-confirm=") == 2


@pytest.mark.django_db
def test_unknown_token_action_is_400(client, lead_user):
    client.force_login(lead_user)

    assert client.post(TOKEN_URL, {"action": "steal"}).status_code == 400


@pytest.mark.django_db
def test_token_page_is_linked_from_the_user_menu(client, lead_user):
    client.force_login(lead_user)

    assert TOKEN_URL in client.get(reverse("incidents:dashboard")).content.decode()
