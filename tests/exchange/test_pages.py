"""Export panel on the incident page and the API token page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import actions
from accounts.choices import TokenRevocation, TokenScope
from accounts.models import ApiToken
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
    assert "blocklist.txt?type=ipv4" in html
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


def create(client, **overrides):
    data = {"action": "create", "name": "MISP pull", "scope": "read", "days": "30"}
    data.update(overrides)
    return client.post(TOKEN_URL, data)


@pytest.mark.django_db
def test_token_page_needs_sign_in(client):
    response = client.get(TOKEN_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["lead_user", "invited_user", "outsider"])
def test_every_signed_in_persona_may_manage_their_tokens(client, request, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    assert client.get(TOKEN_URL).status_code == 200
    assert create(client).status_code == 200
    assert ApiToken.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_without_a_token_the_page_shows_an_empty_state_and_the_form(client, lead_user):
    client.force_login(lead_user)

    html = client.get(TOKEN_URL).content.decode()

    assert "You have no API token" in html
    assert 'value="create"' in html
    assert 'name="days"' in html


@pytest.mark.django_db
def test_new_token_is_shown_in_full_once_then_only_its_prefix(client, lead_user):
    client.force_login(lead_user)

    created = create(client)
    key = created.context["new_key"]
    later = client.get(TOKEN_URL).content.decode()

    assert key in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    assert key not in later
    assert f"{key[:14]}…" in later
    assert "MISP pull" in later


@pytest.mark.django_db
def test_tokens_are_listed_with_scope_expiry_and_last_use(client, lead_user, token_for):
    token_for(lead_user)
    rw, _key = actions.create_api_token(
        lead_user, name="Case sync", scope=TokenScope.READ_WRITE, days=7
    )
    ApiToken.objects.filter(pk=rw.pk).update(last_used_at=timezone.now())
    client.force_login(lead_user)

    html = client.get(TOKEN_URL).content.decode()

    assert "TAXII client" in html and "Case sync" in html
    assert "Read only" in html and "Read and write" in html
    assert html.count("never") == 1  # the TAXII client's last use


@pytest.mark.django_db
def test_several_tokens_live_side_by_side(client, lead_user):
    client.force_login(lead_user)

    first = create(client, name="MISP").context["new_key"]
    second = create(client, name="Firewall").context["new_key"]

    for key in (first, second):
        assert (
            client.get(reverse("taxii:discovery"), HTTP_AUTHORIZATION=f"Bearer {key}").status_code
            == 200
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ""), ("scope", "admin"), ("days", "0"), ("days", "91"), ("days", "soon")],
)
def test_bad_token_form_is_400_with_the_error_beside_the_field(client, lead_user, field, value):
    client.force_login(lead_user)

    response = create(client, **{field: value})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_expiry_is_limited_by_the_setting(client, lead_user, settings):
    settings.API_TOKEN_MAX_DAYS = 10
    client.force_login(lead_user)

    assert create(client, days="11").status_code == 400
    assert create(client, days="10").status_code == 200
    token = ApiToken.objects.get(user=lead_user)
    assert token.expires_at - token.created_at == timezone.timedelta(days=10)


@pytest.mark.django_db
def test_revoking_asks_for_confirmation_and_stops_the_token(client, lead_user, token_for):
    key = token_for(lead_user)
    token = ApiToken.objects.get(user=lead_user)
    client.force_login(lead_user)
    assert "data-confirm=" in client.get(TOKEN_URL).content.decode()

    response = client.post(TOKEN_URL, {"action": "revoke", "token": token.pk})

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_reason == TokenRevocation.OWNER
    assert (
        client.get(reverse("taxii:discovery"), HTTP_AUTHORIZATION=f"Bearer {key}").status_code
        == 401
    )
    assert "revoked" in client.get(TOKEN_URL).content.decode()


@pytest.mark.django_db
def test_revoking_another_users_token_answers_404(client, lead_user, invited_user, token_for):
    token_for(invited_user)
    theirs = ApiToken.objects.get(user=invited_user)
    client.force_login(lead_user)

    response = client.post(TOKEN_URL, {"action": "revoke", "token": theirs.pk})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "abc", "99999"])
def test_revoking_a_token_that_is_not_there_answers_404(client, lead_user, token):
    client.force_login(lead_user)

    assert client.post(TOKEN_URL, {"action": "revoke", "token": token}).status_code == 404


@pytest.mark.django_db
def test_unknown_token_action_is_400(client, lead_user):
    client.force_login(lead_user)

    assert client.post(TOKEN_URL, {"action": "steal"}).status_code == 400


@pytest.mark.django_db
def test_token_page_is_linked_from_the_user_menu(client, lead_user):
    client.force_login(lead_user)

    assert TOKEN_URL in client.get(reverse("incidents:dashboard")).content.decode()


@pytest.mark.django_db
def test_token_page_query_budget(client, lead_user, token_for, django_assert_max_num_queries):
    for _n in range(5):
        token_for(lead_user)
    client.force_login(lead_user)

    with django_assert_max_num_queries(3):
        assert client.get(TOKEN_URL).status_code == 200
