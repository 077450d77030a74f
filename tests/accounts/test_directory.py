import pytest
from django.urls import reverse

from accounts.choices import AgencyKind
from accounts.models import Agency
from accounts.views import DIRECTORY_PAGE_SIZE
from tests.factories import AgencyFactory

URL = reverse("accounts:directory")


def _names(response):
    return [agency.name for agency in response.context["page"].object_list]


@pytest.fixture
def agencies(lead_agency, invited_agency, other_agency):
    """Germany (BKA-CC), France (OFAC), Spain (CCN-CERT) plus a few more."""
    AgencyFactory(
        name="National Cyber Security Centre",
        short_name="NCSC-NL",
        country="NL",
        kind=AgencyKind.CERT,
        mailbox="cert@ncsc.example.nl",
        phone="+31 70 000 0000",
        is_24_7_contact=True,
        timezone="Europe/Amsterdam",
    )
    AgencyFactory(
        name="Austrian Federal Criminal Police",
        short_name="BK-AT",
        country="AT",
        is_24_7_contact=True,
        timezone="Europe/Vienna",
    )
    AgencyFactory(name="Dissolved Unit", short_name="GONE", country="BE", is_active=False)


@pytest.mark.django_db
class TestDirectoryListing:
    def test_active_agencies_are_grouped_by_country_name(self, login, lead_user, agencies):
        response = login(lead_user).get(URL)
        assert response.status_code == 200
        countries_in_order = [a.country.name for a in response.context["page"].object_list]
        # Austria, France, Germany, Netherlands, Spain: by name, not by code (AT DE ES FR NL).
        assert countries_in_order == ["Austria", "France", "Germany", "Netherlands", "Spain"]
        assert "Dissolved Unit" not in _names(response)

    def test_row_shows_contact_details(self, login, lead_user, agencies):
        response = login(lead_user).get(URL)
        html = response.content.decode()
        assert 'href="mailto:cert@ncsc.example.nl"' in html
        assert 'href="tel:+31700000000"' in html
        assert "24/7 contact" in html
        assert "Europe/Amsterdam" in html
        assert "CERT / CSIRT" in html

    def test_inactive_agency_is_not_listed_even_when_searched(self, login, lead_user, agencies):
        response = login(lead_user).get(URL, {"q": "Dissolved"})
        assert _names(response) == []

    def test_anonymous_is_sent_to_login(self, client, agencies):
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
class TestDirectorySearch:
    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("bundeskriminalamt", ["Bundeskriminalamt Cybercrime"]),  # name
            ("ncsc-nl", ["National Cyber Security Centre"]),  # short name
            ("cert@ncsc", ["National Cyber Security Centre"]),  # mailbox
            ("FR", ["OFAC Cybercriminalité"]),  # country code
            ("germany", ["Bundeskriminalamt Cybercrime"]),  # country name
            ("nether", ["National Cyber Security Centre"]),  # part of a country name
            ("no such agency", []),
        ],
    )
    def test_search(self, login, lead_user, agencies, q, expected):
        response = login(lead_user).get(URL, {"q": q})
        assert _names(response) == expected

    def test_country_name_matches_in_the_readers_language(self, login, lead_user, agencies):
        lead_user.language = "fr"
        lead_user.save()
        response = login(lead_user).get(URL, {"q": "Allemagne"})
        assert _names(response) == ["Bundeskriminalamt Cybercrime"]


@pytest.mark.django_db
class TestDirectoryFilters:
    def test_filter_by_country(self, login, lead_user, agencies):
        response = login(lead_user).get(URL, {"country": "ES"})
        assert _names(response) == ["CCN-CERT"]

    def test_country_choices_are_the_countries_with_agencies(self, login, lead_user, agencies):
        response = login(lead_user).get(URL)
        codes = [code for code, _name in response.context["form"].fields["country"].choices]
        assert codes == ["", "AT", "FR", "DE", "NL", "ES"]

    def test_filter_by_kind(self, login, lead_user, agencies):
        response = login(lead_user).get(URL, {"kind": AgencyKind.CERT})
        assert _names(response) == ["National Cyber Security Centre", "CCN-CERT"]

    def test_filter_24_7_contacts_only(self, login, lead_user, agencies):
        response = login(lead_user).get(URL, {"contact_24_7": "on"})
        assert _names(response) == [
            "Austrian Federal Criminal Police",
            "National Cyber Security Centre",
        ]

    def test_filters_combine_with_search(self, login, lead_user, agencies):
        response = login(lead_user).get(URL, {"q": "cyber", "contact_24_7": "on"})
        assert _names(response) == ["National Cyber Security Centre"]

    def test_no_match_shows_the_empty_state_with_a_way_back(self, login, lead_user, agencies):
        response = login(lead_user).get(URL, {"q": "zzz"})
        assert b"No agency matches these filters." in response.content
        assert f'href="{URL}"'.encode() in response.content

    def test_unknown_country_value_is_ignored(self, login, lead_user, agencies):
        response = login(lead_user).get(URL, {"country": "XX"})
        assert response.status_code == 200
        assert len(_names(response)) == 5

    def test_empty_directory_says_so(self, login, superuser):
        # (A user of an inactive agency cannot sign in: a platform admin reads it here.)
        Agency.objects.update(is_active=False)
        response = login(superuser).get(URL)
        assert b"No agencies yet." in response.content


@pytest.mark.django_db
class TestDirectoryPagination:
    def test_pages_keep_the_filters(self, login, lead_user):
        for n in range(DIRECTORY_PAGE_SIZE + 5):
            AgencyFactory(name=f"Unit {n:02d}", short_name=f"U{n:02d}", country="IT")
        client = login(lead_user)
        first = client.get(URL, {"country": "IT"})
        assert len(first.context["page"].object_list) == DIRECTORY_PAGE_SIZE
        assert b"country=IT&amp;page=2" in first.content
        second = client.get(URL, {"country": "IT", "page": 2})
        assert _names(second) == [f"Unit {n:02d}" for n in range(DIRECTORY_PAGE_SIZE, 30)]

    def test_out_of_range_page_shows_the_last_one(self, login, lead_user):
        response = login(lead_user).get(URL, {"page": 99})
        assert response.status_code == 200
        assert response.context["page"].number == 1


@pytest.mark.django_db
class TestDirectoryQueryCount:
    def _count(self, django_assert_max_num_queries, client, limit):
        with django_assert_max_num_queries(limit):
            response = client.get(URL, {"q": "unit"})
        assert response.status_code == 200
        return response

    def test_query_count_does_not_grow_with_rows(
        self, login, lead_user, django_assert_max_num_queries
    ):
        client = login(lead_user)
        AgencyFactory(name="Unit A", short_name="UA", country="IT")
        self._count(django_assert_max_num_queries, client, 6)
        for n in range(40):
            AgencyFactory(
                name=f"Unit {n}", short_name=f"UN{n}", country=["IT", "PL", "PT", "SE"][n % 4]
            )
        response = self._count(django_assert_max_num_queries, client, 6)
        assert len(response.context["page"].object_list) == DIRECTORY_PAGE_SIZE
