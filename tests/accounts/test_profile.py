import pytest
from django.urls import reverse

URL = reverse("accounts:profile")


@pytest.mark.django_db
class TestProfile:
    def test_user_sets_language_and_timezone(self, login, lead_user):
        client = login(lead_user)
        page = client.get(URL)
        assert page.status_code == 200
        assert lead_user.agency.name.encode() in page.content
        response = client.post(URL, {"language": "fr", "timezone": "America/Sao_Paulo"})
        assert response.status_code == 302
        lead_user.refresh_from_db()
        assert (lead_user.language, lead_user.timezone) == ("fr", "America/Sao_Paulo")
        # The next page is shown in the chosen zone.
        assert client.get(URL).context["TIME_ZONE"] == "America/Sao_Paulo"

    def test_saved_message_is_in_the_language_just_chosen(self, login, lead_user):
        # Given a user reading Concord in English
        lead_user.language = "en"
        lead_user.save()
        client = login(lead_user)
        # When she switches to French
        page = client.post(URL, {"language": "fr", "timezone": "Europe/Paris"}, follow=True)
        # Then the confirmation on the next page is in French too
        messages = [str(m) for m in page.context["messages"]]
        assert messages == ["Vos préférences ont été enregistrées."]

    def test_unknown_values_are_refused_beside_their_fields(self, login, lead_user):
        response = login(lead_user).post(URL, {"language": "xx", "timezone": "Mars/Olympus"})
        assert response.status_code == 200
        assert set(response.context["form"].errors) == {"language", "timezone"}
        assert b"field--error" in response.content
        lead_user.refresh_from_db()
        assert lead_user.timezone == "Europe/Berlin"

    def test_profile_cannot_change_role_agency_or_flags(self, login, lead_user, other_agency):
        login(lead_user).post(
            URL,
            {
                "language": "en",
                "timezone": "UTC",
                "role": "agency_admin",
                "agency": other_agency.pk,
                "is_superuser": "on",
                "email": "new@example.org",
            },
        )
        lead_user.refresh_from_db()
        assert lead_user.role == "investigator"
        assert lead_user.agency_id != other_agency.pk
        assert not lead_user.is_superuser
        assert lead_user.email != "new@example.org"

    def test_superuser_without_agency_sees_the_profile(self, login, superuser):
        assert login(superuser).get(URL).status_code == 200

    def test_pages_carry_no_inline_script_or_style(self, login, lead_user, agency_admin):
        client = login(agency_admin)
        for name in ("accounts:profile", "accounts:directory", "accounts:agency_users"):
            html = client.get(reverse(name)).content.decode()
            assert "style=" not in html
            assert "<script>" not in html and "onclick" not in html
