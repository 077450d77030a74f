"""Links in timeline texts: bare addresses are linked, unsafe targets removed and reported."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents.markdown import removed_links, render_markdown
from incidents.models import TimelineEntry


def test_bare_web_and_email_addresses_become_links(settings):
    html = render_markdown("See https://example.org/a and www.example.com or a@b.org")

    assert '<a href="https://example.org/a" rel="noopener noreferrer nofollow">' in html
    assert '<a href="http://www.example.com" rel="noopener noreferrer nofollow">' in html
    assert '<a href="mailto:a@b.org" rel="noopener noreferrer nofollow">' in html


@pytest.mark.parametrize(
    "text", ["[click](javascript:alert(1))", '<a href="JavaScript:alert(1)">click</a>']
)
def test_an_unsafe_link_keeps_its_text_without_a_dead_link(text):
    html = render_markdown(text)

    assert html == "<p>click</p>"
    assert removed_links(text) == [
        text.split("(", 1)[1][:-1] if text.startswith("[") else "JavaScript:alert(1)"
    ]


def test_other_schemes_are_not_linked():
    assert render_markdown("ftp://files.example.org/x") == "<p>ftp://files.example.org/x</p>"
    assert removed_links("ftp://files.example.org/x") == ["ftp://files.example.org/x"]


def test_safe_and_relative_links_are_not_reported():
    assert removed_links("[a](https://x.org) [b](/incidents/) [c](mailto:a@b.org)") == []


@pytest.mark.django_db
def test_the_author_is_told_which_links_were_removed(client, lead_user, incident):
    client.force_login(lead_user)

    response = client.post(
        reverse("incidents:timeline_add", kwargs={"reference": incident.reference}),
        {"body": "Panel at [login](javascript:steal())", "tlp": incident.tlp},
    )

    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("javascript:steal()" in text and "plain text" in text for text in texts)
    assert TimelineEntry.objects.filter(body_html="<p>Panel at login</p>").exists()


@pytest.mark.django_db
def test_a_text_with_safe_links_only_gets_no_warning(client, lead_user, incident):
    client.force_login(lead_user)

    response = client.post(
        reverse("incidents:timeline_add", kwargs={"reference": incident.reference}),
        {"body": "Leak site https://leak.example.org", "tlp": incident.tlp},
    )

    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
