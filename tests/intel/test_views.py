"""Indicator panel, paste, contact request and intel search pages × the four personas."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.intel import actions
from coordination.intel.models import ContactRequest, Indicator
from incidents.choices import TLP, ParticipationRole
from tests.factories import make_incident
from tests.intel.conftest import SHARED_IP

pytestmark = pytest.mark.django_db

LEAD, INVITED, OUTSIDER, ANONYMOUS = "lead", "invited", "outsider", "anonymous"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def as_persona(client, lead_user, invited_user, outsider):
    users = {LEAD: lead_user, INVITED: invited_user, OUTSIDER: outsider, ANONYMOUS: None}

    def _as(persona):
        if users[persona] is not None:
            client.force_login(users[persona])
        return client

    return _as


@pytest.fixture
def hidden_sighting(incident, lead_user, outsider, spanish_incident, add_indicator):
    """The lead's incident and the outsider's Spanish case share one IP."""
    add_indicator(spanish_incident, outsider, SHARED_IP)
    return add_indicator(incident, lead_user, SHARED_IP)


MATRIX = [
    ("panel", "get", {LEAD: 200, INVITED: 200, OUTSIDER: 404}),
    ("add", "post", {LEAD: 302, INVITED: 302, OUTSIDER: 404}),
    ("paste", "post", {LEAD: 302, INVITED: 302, OUTSIDER: 404}),
    ("request_contact", "post", {LEAD: 302, INVITED: 302, OUTSIDER: 404}),
    ("search", "get", {LEAD: 200, INVITED: 200, OUTSIDER: 200}),
]


def _request(page, incident, indicator):
    if page == "search":
        return reverse("intel:search"), {}
    if page == "request_contact":
        return reverse("intel:request_contact", args=[incident.reference, indicator.pk]), {}
    data = {
        "add": {"one-value": "hxxp://evil[.]example/x", "one-tlp": incident.tlp},
        "paste": {"paste-text": "192.0.2.1\nevil[.]example", "paste-tlp": incident.tlp},
    }.get(page, {})
    return reverse(f"intel:{page}", args=[incident.reference]), data


@pytest.mark.parametrize("persona", [LEAD, INVITED, OUTSIDER, ANONYMOUS])
@pytest.mark.parametrize(("page", "method", "expected"), MATRIX, ids=lambda v: str(v))
def test_authorisation_matrix(
    as_persona, incident, hidden_sighting, persona, page, method, expected
):
    client = as_persona(persona)
    url, data = _request(page, incident, hidden_sighting)
    response = getattr(client, method)(url, data)
    if persona == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        return
    assert response.status_code == expected[persona]


def test_observer_sees_the_panel_but_may_not_add(client, incident, invited_user, lead_user):
    from incidents.actions import change_participation_role

    participation = incident.participations.get(agency=invited_user.agency)
    change_participation_role(participation, ParticipationRole.OBSERVER, lead_user)
    client.force_login(invited_user)
    response = client.get(reverse("intel:panel", args=[incident.reference]), **HTMX)
    assert response.status_code == 200
    assert b"Add an indicator" not in response.content
    response = client.post(
        reverse("intel:add", args=[incident.reference]), {"one-value": "192.0.2.1"}
    )
    assert response.status_code == 403


def test_incident_page_loads_the_panel_lazily(client, incident, lead_user):
    client.force_login(lead_user)
    response = client.get(incident.get_absolute_url())
    panel = reverse("intel:panel", args=[incident.reference])
    assert f'hx-get="{panel}"'.encode() in response.content
    assert b'hx-trigger="load"' in response.content


def test_panel_shows_hidden_sighting_as_count_with_contact_button(
    client, incident, lead_user, hidden_sighting, spanish_incident
):
    client.force_login(lead_user)
    response = client.get(reverse("intel:panel", args=[incident.reference]), **HTMX)
    html = response.content.decode()
    assert "Seen in 1 other case in 1 country" in html
    assert "Request contact" in html
    assert spanish_incident.reference not in html
    assert spanish_incident.title not in html
    assert "CCN-CERT" not in html


def test_add_with_errors_keeps_input_and_shows_error_beside_the_field(client, incident, lead_user):
    client.force_login(lead_user)
    url = reverse("intel:add", args=[incident.reference])
    response = client.post(url, {"one-value": "999.1.2.3", "one-tlp": TLP.GREEN})
    assert response.status_code == 400
    html = response.content.decode()
    assert "not a valid IPv4 address" in html
    assert "cannot be marked lower" in html
    assert 'value="999.1.2.3"' in html
    assert not Indicator.objects.exists()
    # Through htmx the fragment answers 200 so that it is swapped in.
    response = client.post(url, {"one-value": "999.1.2.3", "one-tlp": TLP.AMBER}, **HTMX)
    assert response.status_code == 200
    assert "not a valid IPv4 address" in response.content.decode()


def test_paste_with_refused_line_reports_and_offers_to_skip(client, incident, lead_user):
    client.force_login(lead_user)
    url = reverse("intel:paste", args=[incident.reference])
    text = "hxxp://evil[.]example/a\n1.2.3[.]4\nnot an indicator\n"
    response = client.post(url, {"paste-text": text, "paste-tlp": TLP.AMBER}, **HTMX)
    html = response.content.decode()
    assert "Nothing was stored yet" in html
    assert "not a recognised indicator" in html
    assert "Add the 2 valid lines, skip the refused" in html
    assert not Indicator.objects.exists()
    response = client.post(
        url,
        {"paste-text": text, "paste-tlp": TLP.AMBER, "paste-skip_refused": "on"},
        **HTMX,
    )
    html = response.content.decode()
    assert "Bulk paste stored" in html
    assert "2 indicators added" in html
    assert set(Indicator.objects.values_list("value", flat=True)) == {
        "http://evil.example/a",
        "1.2.3.4",
    }


def test_request_contact_from_the_panel(client, incident, lead_user, hidden_sighting):
    client.force_login(lead_user)
    url = reverse("intel:request_contact", args=[incident.reference, hidden_sighting.pk])
    response = client.post(url, **HTMX)
    html = response.content.decode()
    assert "Contact requested" in html
    assert ContactRequest.objects.count() == 1
    # The button is gone; asking again is refused politely.
    assert "Send contact request" not in html
    response = client.post(url)
    assert response.status_code == 400
    assert ContactRequest.objects.count() == 1


def test_request_contact_for_an_indicator_of_another_incident_is_404(
    client, incident, lead_user, outsider, spanish_incident, add_indicator
):
    theirs = add_indicator(spanish_incident, outsider, "192.0.2.77")
    client.force_login(lead_user)
    url = reverse("intel:request_contact", args=[incident.reference, theirs.pk])
    assert client.post(url).status_code == 404


def test_red_incident_leaks_nothing_to_the_panel(
    client, incident, lead_user, italian_user, red_incident, add_indicator
):
    add_indicator(red_incident, italian_user, SHARED_IP, note="Informant Nightjar")
    add_indicator(incident, lead_user, SHARED_IP)
    client.force_login(lead_user)
    html = client.get(reverse("intel:panel", args=[incident.reference]), **HTMX).content.decode()
    for secret in (
        red_incident.reference,
        red_incident.title,
        "Polizia Postale",
        "PP-IT",
        "Nightjar",
        "other case",
        "Request contact",
    ):
        assert secret not in html
    assert "Not seen elsewhere" in html


def test_panel_queries_do_not_grow_with_indicators_or_sightings(
    client, incident, lead_user, outsider, italian_user, django_assert_max_num_queries
):
    client.force_login(lead_user)
    url = reverse("intel:panel", args=[incident.reference])

    def seed(start, n):
        values = "\n".join(f"203.0.113.{i}" for i in range(start, start + n))
        actions.paste_indicators(incident, lead_user, values)
        for user in (outsider, italian_user):
            actions.paste_indicators(make_incident(user, title="Other"), user, values)
        actions.paste_indicators(make_incident(lead_user, title="Mine"), lead_user, values)

    seed(0, 2)
    with CaptureQueriesContext(connection) as few:
        client.get(url, **HTMX)
    seed(2, 18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, **HTMX)
    assert response.content.decode().count("In 1 other case you see") == 20


# Search -----------------------------------------------------------------------------------


def test_search_finds_only_what_i_may_see(
    client, incident, lead_user, outsider, spanish_incident, add_indicator
):
    add_indicator(incident, lead_user, SHARED_IP)
    add_indicator(spanish_incident, outsider, SHARED_IP)
    client.force_login(lead_user)
    html = client.get(reverse("intel:search"), {"q": "198.51.100[.]23"}).content.decode()
    assert incident.reference in html
    assert spanish_incident.reference not in html
    assert "1 indicator" in html


def test_search_filters_by_type_country_and_date(
    client, incident, lead_user, invited_user, add_indicator
):
    add_indicator(incident, lead_user, "evil.example")
    add_indicator(incident, lead_user, "http://evil.example/login")
    french = make_incident(invited_user, title="French case", affected_countries=["FR"])
    add_indicator(french, invited_user, "evil.example")
    client.force_login(invited_user)
    url = reverse("intel:search")
    html = client.get(url, {"q": "evil", "type": "url"}).content.decode()
    assert "http://evil.example/login" in html and "1 indicator" in html
    html = client.get(url, {"q": "EVIL.example", "country": "FR"}).content.decode()
    assert french.reference in html and incident.reference not in html
    html = client.get(url, {"added_from": "2000-01-01", "added_to": "2000-01-02"}).content
    assert b"No indicator matches" in html


def test_search_with_inverted_dates_is_a_form_error(client, lead_user):
    client.force_login(lead_user)
    response = client.get(
        reverse("intel:search"), {"added_from": "2026-02-02", "added_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert b"before the start date" in response.content


def test_search_queries_do_not_grow_with_results(
    client, lead_user, add_indicator, django_assert_max_num_queries
):
    client.force_login(lead_user)
    case = make_incident(lead_user, title="Case")
    add_indicator(case, lead_user, "192.0.2.1")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("intel:search"))
    actions.paste_indicators(case, lead_user, "\n".join(f"192.0.2.{i}" for i in range(2, 60)))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("intel:search"))


def test_nav_links_to_intel_search(client, lead_user):
    client.force_login(lead_user)
    html = client.get(reverse("intel:search")).content.decode()
    assert f'href="{reverse("intel:search")}" aria-current="page"' in html


def test_paste_report_shows_which_warning_list_a_value_is_on(client, incident, lead_user):
    client.force_login(lead_user)
    url = reverse("intel:paste", args=[incident.reference])
    text = "192.168.1.1\n45.80.149[.]108:8080\nnot an indicator\n"

    response = client.post(url, {"paste-text": text, "paste-tlp": TLP.AMBER}, **HTMX)

    html = response.content.decode()
    assert "On a warning list" in html
    assert "List of RFC 1918 CIDR blocks" in html
    assert html.count("Kept out of blocklists:") == 1


def test_allow_in_blocklists_button_records_the_override(client, incident, lead_user, invited_user):
    indicator, _created = actions.add_indicator(incident, lead_user, value="8.8.8.8")
    url = reverse("intel:allow_in_blocklists", args=[incident.reference, indicator.pk])
    client.force_login(lead_user)
    page = client.get(reverse("intel:panel", args=[incident.reference]), **HTMX)
    assert "Allow in blocklists" in page.content.decode()
    assert "List of known IPv4 public DNS resolvers" in page.content.decode()

    response = client.post(url, **HTMX)

    assert response.status_code == 200
    assert "Allowed in blocklists" in response.content.decode()
    indicator.refresh_from_db()
    assert indicator.blocklist_allowed_by == lead_user


def test_allow_in_blocklists_is_404_for_who_may_not_see_the_incident(
    client, incident, lead_user, outsider
):
    indicator, _created = actions.add_indicator(incident, lead_user, value="8.8.8.8")
    client.force_login(outsider)

    response = client.post(
        reverse("intel:allow_in_blocklists", args=[incident.reference, indicator.pk])
    )

    assert response.status_code == 404
    indicator.refresh_from_db()
    assert indicator.blocklist_allowed_at is None
