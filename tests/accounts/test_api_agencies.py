"""Agency directory endpoint and API token authentication."""

import pytest

from accounts.choices import AgencyKind
from tests.factories import TEST_PASSWORD, AgencyFactory

pytestmark = pytest.mark.django_db

AGENCIES = "/api/v1/agencies/"


@pytest.fixture
def directory(lead_agency, invited_agency, other_agency):
    AgencyFactory(
        name="CERT-EU",
        short_name="CERT-EU",
        country="BE",
        kind=AgencyKind.CERT,
        is_24_7_contact=True,
        mailbox="services@cert.europa.eu",
    )
    AgencyFactory(name="Retired unit", short_name="OLD", country="BE", is_active=False)


class TestDirectory:
    @pytest.mark.parametrize("persona", ["lead_user", "invited_user", "outsider"])
    def test_any_signed_in_user_reads_the_directory(self, request, api_login, directory, persona):
        response = api_login(request.getfixturevalue(persona)).get(AGENCIES)

        assert response.status_code == 200
        names = [row["short_name"] for row in response.json()["results"]]
        assert names == ["CERT-EU", "BKA-CC", "CCN-CERT", "OFAC"]  # by country, then name

    def test_anonymous_is_refused(self, api_client, directory):
        assert api_client.get(AGENCIES).status_code == 401

    def test_entry_shape(self, api_login, outsider, directory):
        row = api_login(outsider).get(AGENCIES, {"search": "cert-eu"}).json()["results"][0]
        assert row == {
            "id": row["id"],
            "name": "CERT-EU",
            "short_name": "CERT-EU",
            "country": "BE",
            "kind": "cert",
            "mailbox": "services@cert.europa.eu",
            "phone": "",
            "is_24_7_contact": True,
            "timezone": "Europe/Berlin",
            "language": "en",
        }

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"search": "ofac"}, {"OFAC"}),
            ({"search": "Bundeskriminalamt"}, {"BKA-CC"}),
            ({"country": "ES"}, {"CCN-CERT"}),
            ({"kind": "cert"}, {"CCN-CERT", "CERT-EU"}),
            ({"is_24_7_contact": "true"}, {"CERT-EU"}),
            ({"kind": "cert", "country": "BE"}, {"CERT-EU"}),
        ],
    )
    def test_filters(self, api_login, outsider, directory, params, expected):
        response = api_login(outsider).get(AGENCIES, params)
        assert response.status_code == 200
        assert {row["short_name"] for row in response.json()["results"]} == expected

    def test_retrieve_and_inactive_agency_is_gone(self, api_login, outsider, directory):
        from accounts.models import Agency

        client = api_login(outsider)
        ofac = Agency.objects.get(short_name="OFAC")
        assert client.get(f"{AGENCIES}{ofac.pk}/").json()["name"] == ofac.name
        old = Agency.objects.get(short_name="OLD")
        assert client.get(f"{AGENCIES}{old.pk}/").status_code == 404

    def test_directory_is_read_only(self, api_login, lead_user, directory):
        response = api_login(lead_user).post(AGENCIES, {"name": "X"}, format="json")
        assert response.status_code == 405

    def test_query_count_does_not_grow_with_rows(
        self, api_login, outsider, django_assert_max_num_queries
    ):
        client = api_login(outsider)
        with django_assert_max_num_queries(2):
            client.get(AGENCIES)
        for n in range(15):
            AgencyFactory(short_name=f"X{n}")
        with django_assert_max_num_queries(2):
            assert client.get(AGENCIES).json()["count"] >= 15


class TestToken:
    @pytest.fixture(autouse=True)
    def _private_cache(self, settings):
        # The token endpoint is throttled; keep its counters out of the shared cache.
        settings.CACHES = {
            **settings.CACHES,
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        }

    def test_script_obtains_a_token_and_lists_incidents(self, api_client, lead_user, incident):
        # Given a CERT script that knows a username and password
        response = api_client.post(
            "/api/v1/auth/token/",
            {"username": lead_user.username, "password": TEST_PASSWORD},
            format="json",
        )
        assert response.status_code == 201
        token = response.json()["token"]

        # When it calls the API with the token
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = api_client.get("/api/v1/incidents/")

        # Then it gets the incidents the user may see
        assert response.status_code == 200
        assert [row["reference"] for row in response.json()["results"]] == [incident.reference]

    def test_wrong_password_gets_no_token(self, api_client, lead_user):
        response = api_client.post(
            "/api/v1/auth/token/",
            {"username": lead_user.username, "password": "guess"},
            format="json",
        )
        assert response.status_code == 400
        assert "token" not in response.json()

    def test_bad_token_answers_401(self, api_client, incident):
        api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        assert api_client.get("/api/v1/incidents/").status_code == 401

    def test_session_works_too(self, client, lead_user, incident):
        client.force_login(lead_user)
        response = client.get("/api/v1/incidents/")
        assert response.status_code == 200
        assert response.json()["count"] == 1
