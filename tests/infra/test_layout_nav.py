"""The main navigation is drawn once per role and page, and still marks the right page."""

import re

import pytest
from django.urls import reverse

from accounts.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _nav(response):
    html = response.content.decode()
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.DOTALL).group(0)


def _current(nav):
    return re.findall(r'<a href="([^"]+)"\s*aria-current="page"', nav)


def test_the_current_page_is_marked_on_each_page(client, lead_user):
    client.force_login(lead_user)

    assert _current(_nav(client.get(reverse("incidents:list")))) == [reverse("incidents:list")]
    assert _current(_nav(client.get(reverse("incidents:dashboard")))) == [
        reverse("incidents:dashboard")
    ]
    assert _current(_nav(client.get(reverse("accounts:directory")))) == [
        reverse("accounts:directory")
    ]


def test_links_follow_the_role_of_each_reader(client, lead_user, lead_agency):
    admin = UserFactory(username="ada", agency=lead_agency, role=Role.AGENCY_ADMIN)
    liaison = UserFactory(username="lia", agency=lead_agency, role=Role.LIAISON_OFFICER)
    page = reverse("incidents:list")

    client.force_login(lead_user)
    investigator_nav = _nav(client.get(page))
    client.force_login(admin)
    admin_nav = _nav(client.get(page))
    client.force_login(liaison)
    liaison_nav = _nav(client.get(page))

    assert reverse("accounts:agency_users") in admin_nav
    assert reverse("accounts:agency_users") not in investigator_nav
    assert reverse("assistance:desk") in liaison_nav
    assert reverse("assistance:desk") not in investigator_nav


def test_the_navigation_follows_the_readers_language(client, lead_user):
    client.force_login(lead_user)
    english = _nav(client.get(reverse("incidents:list")))

    lead_user.language = "fr"
    lead_user.save()
    french = _nav(client.get(reverse("incidents:list")))

    assert ">Directory<" in english
    assert ">Directory<" not in french
