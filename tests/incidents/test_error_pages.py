"""Error pages speak Concord and reveal nothing about what the caller may not see."""

import pytest

pytestmark = pytest.mark.django_db


def test_invisible_incident_answers_the_site_404_page_without_its_title(client, outsider, incident):
    client.force_login(outsider)
    response = client.get(incident.get_absolute_url())
    assert response.status_code == 404
    assert "error-page" in response.content.decode()
    assert incident.title not in response.content.decode()
    assert incident.reference not in response.content.decode()


def test_server_error_page_renders_without_context(client, settings):
    from django.template.loader import get_template

    html = get_template("500.html").render()
    assert "Something went wrong" in html
