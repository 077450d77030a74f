"""The incident list's filter bar is drawn once per language and set of filters, then reused."""

import pytest
from django.urls import reverse

from tests.factories import make_incident

pytestmark = pytest.mark.django_db

LIST = reverse("incidents:list")


def _bar(response):
    html = response.content.decode()
    return html[
        html.index('<form id="filters"') : html.index("</form>", html.index('id="filters"'))
    ]


def test_the_bar_shows_the_filters_of_each_request(client, lead_user):
    client.force_login(lead_user)
    make_incident(lead_user)

    plain = _bar(client.get(LIST))
    filtered = _bar(client.get(LIST, {"status": "open", "q": "hospital"}))
    plain_again = _bar(client.get(LIST))

    assert 'value="open" checked' not in plain
    assert 'value="open"' in filtered and "checked" in filtered
    assert 'value="hospital"' in filtered
    assert plain_again == plain


def test_the_page_number_does_not_change_the_bar(client, lead_user):
    client.force_login(lead_user)

    assert _bar(client.get(LIST, {"tlp": "amber"})) == _bar(
        client.get(LIST, {"tlp": "amber", "page": "2"})
    )


def test_the_bar_follows_the_readers_language(client, lead_user):
    client.force_login(lead_user)
    english = _bar(client.get(LIST))

    lead_user.language = "fr"
    lead_user.save()
    french = _bar(client.get(LIST))

    assert "Any country" in english
    assert "Any country" not in french
    assert "Allemagne" in french


def test_an_invalid_filter_is_reported_once_and_not_to_the_next_request(client, lead_user):
    client.force_login(lead_user)

    wrong = _bar(client.get(LIST, {"tlp": "purple"}))
    right = _bar(client.get(LIST))

    assert "purple" in wrong and "errorlist" in wrong
    assert "errorlist" not in right
