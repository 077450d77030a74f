import re

import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD

NEW_PASSWORD = "quiet-lantern-orbit-7421"


def _link_in(message):
    """The path of the first link to a password page in an email's text body."""
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
class TestLogin:
    def test_login_page_links_to_password_reset(self, client):
        response = client.get(reverse("accounts:login"))
        assert response.status_code == 200
        assert reverse("accounts:password_reset").encode() in response.content
        assert b'name="username"' in response.content

    def test_user_signs_in_and_lands_on_the_dashboard(self, client, lead_user):
        response = client.post(
            reverse("accounts:login"), {"username": "lena", "password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("incidents:dashboard")
        assert client.get(reverse("accounts:profile")).status_code == 200

    def test_sign_in_follows_a_local_next_but_not_a_foreign_one(self, client, lead_user):
        data = {"username": "lena", "password": TEST_PASSWORD}
        response = client.post(
            reverse("accounts:login"), {**data, "next": reverse("accounts:directory")}
        )
        assert response["Location"] == reverse("accounts:directory")
        client.logout()
        response = client.post(reverse("accounts:login"), {**data, "next": "https://evil.example/"})
        assert response["Location"] == reverse("incidents:dashboard")

    def test_wrong_password_shows_an_error_and_keeps_the_username(self, client, lead_user):
        response = client.post(reverse("accounts:login"), {"username": "lena", "password": "x"})
        assert response.status_code == 200
        assert b"errorlist" in response.content
        assert b'value="lena"' in response.content
        assert "_auth_user_id" not in client.session

    def test_deactivated_user_cannot_sign_in(self, client, lead_user):
        lead_user.is_active = False
        lead_user.save()
        response = client.post(
            reverse("accounts:login"), {"username": "lena", "password": TEST_PASSWORD}
        )
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    def test_repeated_failures_lock_the_username_out_for_a_while(self, client, lead_user):
        for _attempt in range(5):
            client.post(reverse("accounts:login"), {"username": "lena", "password": "wrong"})
        # Even the right password is refused now.
        response = client.post(
            reverse("accounts:login"), {"username": "lena", "password": TEST_PASSWORD}
        )
        assert response.status_code == 200
        assert b"Too many failed sign-in attempts" in response.content
        assert "_auth_user_id" not in client.session

    def test_a_success_resets_the_failure_count(self, client, lead_user):
        for _attempt in range(4):
            client.post(reverse("accounts:login"), {"username": "lena", "password": "wrong"})
        client.post(reverse("accounts:login"), {"username": "lena", "password": TEST_PASSWORD})
        client.logout()
        for _attempt in range(4):
            client.post(reverse("accounts:login"), {"username": "lena", "password": "wrong"})
        response = client.post(
            reverse("accounts:login"), {"username": "lena", "password": TEST_PASSWORD}
        )
        assert response.status_code == 302

    def test_signed_in_user_visiting_login_is_sent_on(self, login, lead_user):
        client = login(lead_user)
        response = client.get(reverse("accounts:login"))
        assert response.status_code == 302


@pytest.mark.django_db
class TestLogout:
    def test_logout_is_a_post_and_ends_the_session(self, login, lead_user):
        client = login(lead_user)
        assert client.get(reverse("accounts:logout")).status_code == 405
        response = client.post(reverse("accounts:logout"))
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:login")
        assert client.get(reverse("accounts:directory")).status_code == 302


@pytest.mark.django_db
class TestPasswordChange:
    def test_user_changes_password_and_signs_in_with_the_new_one(self, client, login, lead_user):
        login(lead_user)
        page = client.get(reverse("accounts:password_change"))
        assert page.status_code == 200
        response = client.post(
            reverse("accounts:password_change"),
            {
                "old_password": TEST_PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_change_done")
        assert client.get(response["Location"]).status_code == 200
        client.post(reverse("accounts:logout"))
        response = client.post(
            reverse("accounts:login"), {"username": "lena", "password": NEW_PASSWORD}
        )
        assert response.status_code == 302

    def test_wrong_old_password_and_weak_new_one_are_shown_beside_their_fields(
        self, login, lead_user
    ):
        client = login(lead_user)
        response = client.post(
            reverse("accounts:password_change"),
            {"old_password": "nope", "new_password1": "123", "new_password2": "123"},
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert "old_password" in form.errors
        assert b"field--error" in response.content
        lead_user.refresh_from_db()
        assert lead_user.check_password(TEST_PASSWORD)

    def test_guessing_the_current_password_meets_the_sign_in_throttle(
        self, settings, login, lead_user
    ):
        from axes.models import AccessAttempt

        client = login(lead_user)
        wrong = {
            "old_password": "guess",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        }
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("accounts:password_change"), wrong)
        assert AccessAttempt.objects.filter(username=lead_user.username).exists()

        right = {**wrong, "old_password": TEST_PASSWORD}
        refused = client.post(reverse("accounts:password_change"), right)
        assert refused.status_code == 200
        assert "Too many failed sign-in attempts" in refused.content.decode()
        assert refused.context["form"].errors["old_password"]
        lead_user.refresh_from_db()
        assert lead_user.check_password(TEST_PASSWORD)

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(reverse("accounts:password_change"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
class TestPasswordReset:
    def test_full_reset_flow_by_email(
        self, client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
    ):
        # Given a user who forgot their password
        page = client.get(reverse("accounts:password_reset"))
        assert page.status_code == 200
        # When they ask for a link
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:password_reset"), {"email": lead_user.email})
        assert response["Location"] == reverse("accounts:password_reset_done")
        assert client.get(response["Location"]).status_code == 200
        # Then one email arrives (sent by the task), with a text and an HTML part
        assert len(mailoutbox) == 1
        message = mailoutbox[0]
        assert message.to == [lead_user.email]
        assert message.subject == "Reset your Concord password"
        assert "\n" not in message.subject
        assert message.alternatives and message.alternatives[0][1] == "text/html"
        # and following its link lets them choose a new password
        link = _link_in(message)
        assert link in message.alternatives[0][0]
        form_page = client.get(link, follow=True)
        assert form_page.status_code == 200
        assert form_page.context["validlink"]
        set_url = form_page.redirect_chain[-1][0]
        response = client.post(
            set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        assert response["Location"] == reverse("accounts:password_reset_complete")
        assert client.get(response["Location"]).status_code == 200
        # with which they sign in
        response = client.post(
            reverse("accounts:login"), {"username": "lena", "password": NEW_PASSWORD}
        )
        assert response.status_code == 302
        assert "_auth_user_id" in client.session
        # and the link works only once
        client.post(reverse("accounts:logout"))
        reused = client.get(link, follow=True)
        assert not reused.context["validlink"]
        assert b"no longer works" in reused.content

    def test_unknown_address_sends_nothing_but_says_the_same(
        self, client, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("accounts:password_reset"), {"email": "nobody@example.org"}
            )
        assert response["Location"] == reverse("accounts:password_reset_done")
        assert mailoutbox == []

    def test_inactive_user_gets_no_reset_email(
        self, client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
    ):
        lead_user.is_active = False
        lead_user.save()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("accounts:password_reset"), {"email": lead_user.email})
        assert mailoutbox == []

    def test_user_of_a_deactivated_agency_gets_no_reset_email(
        self, client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
    ):
        lead_user.agency.is_active = False
        lead_user.agency.save()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("accounts:password_reset"), {"email": lead_user.email})
        assert mailoutbox == []

    def test_reset_email_speaks_the_recipients_language(
        self, client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
    ):
        lead_user.language = "fr"
        lead_user.save()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("accounts:password_reset"), {"email": lead_user.email})
        assert len(mailoutbox) == 1
        assert mailoutbox[0].subject != "Reset your Concord password"
        assert "Concord" in mailoutbox[0].subject

    def test_link_points_at_the_configured_site(
        self,
        client,
        lead_user,
        mailoutbox,
        run_reset_tasks,
        settings,
        django_capture_on_commit_callbacks,
    ):
        settings.SITE_URL = "https://concord.example.eu"
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("accounts:password_reset"), {"email": lead_user.email})
        assert "https://concord.example.eu/accounts/password/reset/" in mailoutbox[0].body

    def test_a_completed_reset_lifts_the_sign_in_lockout(
        self, client, lead_user, mailoutbox, run_reset_tasks, django_capture_on_commit_callbacks
    ):
        for _attempt in range(5):
            client.post(reverse("accounts:login"), {"username": "lena", "password": "wrong"})
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("accounts:password_reset"), {"email": lead_user.email})
        page = client.get(_link_in(mailoutbox[0]), follow=True)
        client.post(
            page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        response = client.post(
            reverse("accounts:login"), {"username": "lena", "password": NEW_PASSWORD}
        )
        assert response.status_code == 302

    def test_tampered_link_is_refused(self, client, lead_user):
        response = client.get(
            reverse(
                "accounts:password_reset_confirm", kwargs={"uidb64": "MQ", "token": "bad-token"}
            )
        )
        assert response.status_code == 200
        assert not response.context["validlink"]
