"""The second sign-in factor: the sign-in step, enrolment, removal, the agency rule, resets."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.request import Request

from accounts import mfa
from accounts.backends import ModelBackend
from accounts.choices import Role
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from tests.factories import TEST_PASSWORD, UserFactory
from tests.mfa import current_code, give_totp, verified_login

pytestmark = pytest.mark.django_db

VERIFY = reverse("accounts:mfa_verify")
SECURITY = reverse("accounts:mfa_security")
DASHBOARD = reverse("incidents:dashboard")


@pytest.fixture(autouse=True)
def _mfa_off_by_default(settings):
    settings.MFA_REQUIRED = False


def sign_in(client, user):
    """The password step, through the real form."""
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302, response.content
    return response


def records(action, **filters):
    return AuditRecord.objects.filter(action=action, **filters)


def with_recovery_codes(user):
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    for token in ("abcd2345", "efgh6723"):
        StaticToken.objects.create(device=device, token=token)
    return device


class TestPolicy:
    def test_platform_setting_requires_a_factor_of_everyone(self, settings, lead_user):
        settings.MFA_REQUIRED = True
        assert mfa.required_for(lead_user)

    def test_agency_rule_requires_it_of_its_users_only(self, lead_user, outsider):
        lead_user.agency.require_mfa = True
        lead_user.agency.save()
        assert mfa.required_for(lead_user)
        assert not mfa.required_for(outsider)

    def test_superuser_without_agency_is_not_required_when_the_platform_does_not(self, db):
        root = UserFactory(username="root", agency=None, is_staff=True, is_superuser=True)
        assert not mfa.required_for(root)

    def test_unconfirmed_app_is_no_factor_but_a_confirmed_one_and_recovery_codes_are(
        self, lead_user, outsider
    ):
        TOTPDevice.objects.create(user=lead_user, name="half set up", confirmed=False)
        assert not mfa.has_second_factor(lead_user)
        give_totp(lead_user)
        assert mfa.has_second_factor(lead_user)
        with_recovery_codes(outsider)
        assert mfa.has_second_factor(outsider)

    def test_the_session_user_comes_with_the_answer_in_its_own_query(
        self, client, lead_user, django_assert_num_queries
    ):
        give_totp(lead_user)
        with django_assert_num_queries(1):
            user = ModelBackend().get_user(lead_user.pk)
            assert mfa.has_second_factor(user) is True

    def test_a_verified_session_costs_no_query_more_than_any_other(
        self, client, lead_user, require_postgres
    ):
        plain = type(client)()
        plain.force_login(UserFactory(username="plain", agency=lead_user.agency))
        verified_login(client, lead_user)
        url = reverse("accounts:profile")
        counts = []
        for session in (plain, client):
            session.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert session.get(url).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]
        assert mfa.second_factor_passed(client.get(url).wsgi_request)

    def test_second_factor_passed_means_the_session_did_what_the_user_needs(
        self, client, settings, lead_user
    ):
        url = reverse("accounts:profile")
        client.force_login(lead_user)
        # No factor and none required: the password was all there was to pass.
        assert mfa.second_factor_passed(client.get(url).wsgi_request) is True
        assert mfa.session_verified(client.get(url).wsgi_request) is False
        settings.MFA_REQUIRED = True
        assert mfa.second_factor_passed(client.get(SECURITY).wsgi_request) is False
        settings.MFA_REQUIRED = False
        device = give_totp(lead_user)
        assert mfa.second_factor_passed(client.get(VERIFY).wsgi_request) is False
        client.post(VERIFY, {"code": current_code(device)})
        request = client.get(url).wsgi_request
        assert mfa.second_factor_passed(request) is True
        assert mfa.session_verified(request) is True
        assert mfa.second_factor_passed(RequestFactory().get("/")) is False  # no user

    def test_second_factor_passed_reads_django_and_drf_requests(self, client, lead_user):
        device = give_totp(lead_user)
        request = RequestFactory().get("/")
        request.user = lead_user
        lead_user.is_verified = lambda: lead_user.otp_device is not None
        lead_user.otp_device = None
        assert mfa.second_factor_passed(request) is False
        lead_user.otp_device = device
        assert mfa.second_factor_passed(request) is True
        assert mfa.second_factor_passed(Request(request)) is True


class TestSignInStep:
    def test_user_without_factor_signs_in_with_the_password_alone(self, client, lead_user):
        sign_in(client, lead_user)
        assert client.get(DASHBOARD).status_code == 200

    def test_user_with_an_app_lands_on_the_verify_page_then_passes_with_a_code(
        self, client, lead_user
    ):
        device = give_totp(lead_user)
        response = sign_in(client, lead_user)
        response = client.get(response["Location"])
        assert response.status_code == 302
        assert response["Location"] == f"{VERIFY}?next=%2F"
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert b'<label for="id_code">Code</label>' in page.content
        assert b"Sign out" in page.content
        assert reverse("incidents:list").encode() not in page.content  # no navigation yet
        session_before = client.session.session_key

        response = client.post(VERIFY, {"code": current_code(device), "next": "/"})

        assert response.status_code == 302
        assert response["Location"] == "/"
        assert client.get(DASHBOARD).status_code == 200
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert client.session.session_key != session_before

    def test_where_the_user_was_going_is_kept(self, client, lead_user):
        device = give_totp(lead_user)
        sign_in(client, lead_user)
        response = client.get("/incidents/?status=open")
        assert response["Location"] == f"{VERIFY}?next=%2Fincidents%2F%3Fstatus%3Dopen"
        page = client.get(response["Location"])
        assert b'name="next" value="/incidents/?status=open"' in page.content
        response = client.post(
            VERIFY, {"code": current_code(device), "next": "/incidents/?status=open"}
        )
        assert response["Location"] == "/incidents/?status=open"

    def test_a_foreign_next_is_ignored(self, client, lead_user):
        device = give_totp(lead_user)
        sign_in(client, lead_user)
        response = client.post(
            VERIFY, {"code": current_code(device), "next": "https://evil.example/"}
        )
        assert response["Location"] == DASHBOARD

    def test_wrong_code_is_shown_beside_the_field_and_recorded(self, client, lead_user):
        device = give_totp(lead_user)
        sign_in(client, lead_user)
        wrong = str((int(current_code(device)) + 1) % 1_000_000).zfill(6)

        response = client.post(VERIFY, {"code": wrong})

        assert response.status_code == 200
        assert b"field--error" in response.content
        assert "This code is not valid" in response.content.decode()
        assert client.get(DASHBOARD).status_code == 302
        failure = records(AuditAction.MFA_FAILED).get()
        assert failure.actor_id == lead_user.pk
        assert failure.agency_id == lead_user.agency_id
        assert failure.details == {"reason": "wrong_code"}

    def test_wrong_codes_slow_the_next_attempt_down(self, client, lead_user):
        start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
        device = give_totp(lead_user)
        sign_in(client, lead_user)
        # Each failure doubles the wait before the next try: 1, 2, 4 s.
        for at in (0, 2, 5):
            with time_machine.travel(start + datetime.timedelta(seconds=at), tick=False):
                client.post(VERIFY, {"code": "000000"})
        with time_machine.travel(start + datetime.timedelta(seconds=6), tick=False):
            response = client.post(VERIFY, {"code": current_code(device)})
            assert "Too many wrong codes. Wait 3 seconds" in response.content.decode()
            assert client.get(DASHBOARD).status_code == 302
        assert records(AuditAction.MFA_FAILED, details__reason="wrong_code").count() == 3
        assert records(AuditAction.MFA_FAILED, details__reason="throttled").count() == 1
        with time_machine.travel(start + datetime.timedelta(seconds=9), tick=False):
            response = client.post(VERIFY, {"code": current_code(device)})
            assert response.status_code == 302
            assert client.get(DASHBOARD).status_code == 200

    def test_a_code_works_once(self, client, lead_user):
        device = give_totp(lead_user)
        code = current_code(device)
        sign_in(client, lead_user)
        assert client.post(VERIFY, {"code": code}).status_code == 302
        client.post(reverse("accounts:logout"))
        sign_in(client, lead_user)
        response = client.post(VERIFY, {"code": code})
        assert response.status_code == 200
        assert client.get(DASHBOARD).status_code == 302

    def test_recovery_code_works_once_in_any_spelling(self, client, lead_user):
        give_totp(lead_user)
        with_recovery_codes(lead_user)
        sign_in(client, lead_user)
        assert client.post(VERIFY, {"code": "ABCD-2345"}).status_code == 302
        assert client.get(DASHBOARD).status_code == 200
        client.post(reverse("accounts:logout"))
        sign_in(client, lead_user)
        assert client.post(VERIFY, {"code": "abcd 2345"}).status_code == 200
        assert StaticToken.objects.filter(device__user=lead_user).count() == 1

    def test_verify_page_offers_the_key_when_the_user_has_one(self, client, lead_user):
        WebAuthnCredential.objects.create(
            user=lead_user, name="Security key", credential_id=b"k1", public_key=b"p"
        )
        sign_in(client, lead_user)
        page = client.get(VERIFY).content.decode()
        assert 'id="passkey-verification-placeholder"' in page
        assert "otp_webauthn_auth.js" in page
        assert 'id="otp_webauthn_config"' in page
        assert 'name="code"' not in page  # no app and no recovery codes: no code field
        assert "<script>" not in page  # the configuration is data, not an inline script

    def test_htmx_requests_are_told_to_load_the_step_as_a_page(self, client, lead_user):
        give_totp(lead_user)
        sign_in(client, lead_user)
        response = client.get(reverse("notifications:bell"), headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith(VERIFY)

    def test_sign_out_stays_reachable(self, client, lead_user):
        give_totp(lead_user)
        sign_in(client, lead_user)
        response = client.post(reverse("accounts:logout"))
        assert response["Location"] == reverse("accounts:login")
        assert "_auth_user_id" not in client.session

    def test_verify_page_sends_others_on(self, client, lead_user):
        assert client.get(VERIFY)["Location"].startswith(reverse("accounts:login"))
        client.force_login(lead_user)
        assert client.get(VERIFY)["Location"] == DASHBOARD

    def test_api_refuses_the_session_until_it_passed(self, client, lead_user):
        device = give_totp(lead_user)
        sign_in(client, lead_user)
        response = client.get("/api/v1/incidents/")
        assert response.status_code in (401, 403)
        assert "second sign-in step" in response.json()["detail"]
        client.post(VERIFY, {"code": current_code(device)})
        assert client.get("/api/v1/incidents/").status_code == 200


class TestEnrolment:
    def test_security_page_is_linked_from_the_profile_and_lists_factors(self, client, lead_user):
        verified_login(client, lead_user)
        with_recovery_codes(lead_user)
        profile = client.get(reverse("accounts:profile")).content.decode()
        assert f'href="{SECURITY}"' in profile
        page = client.get(SECURITY).content.decode()
        assert "Test app" in page
        assert "Recovery codes" in page
        assert "2 codes left" in page

    def test_authenticator_app_counts_once_confirmed_with_a_code(self, client, lead_user):
        client.force_login(lead_user)
        page = client.get(reverse("accounts:mfa_totp_add"))
        assert page.status_code == 200
        assert page["Cache-Control"].startswith("max-age=0")
        html = page.content.decode()
        assert 'src="data:image/svg+xml' in html
        device = TOTPDevice.objects.get(user=lead_user)
        assert not device.confirmed
        assert not mfa.has_second_factor(lead_user)
        secret = "".join(re.search(r'id="totp-secret"[^>]*>(.*?)</p>', html).group(1).split())
        secret = re.sub(r"</?span>", "", secret)
        from base64 import b32encode

        assert secret == b32encode(device.bin_key).decode()
        # Reloading the page keeps the same key.
        client.get(reverse("accounts:mfa_totp_add"))
        assert TOTPDevice.objects.filter(user=lead_user).count() == 1

        wrong = client.post(reverse("accounts:mfa_totp_add"), {"code": "12345"})
        assert wrong.status_code == 200
        assert b"field--error" in wrong.content
        assert not mfa.has_second_factor(lead_user)

        with time_machine.travel(
            datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=2)
        ):
            response = client.post(reverse("accounts:mfa_totp_add"), {"code": current_code(device)})
        assert response.status_code == 302
        assert response["Location"] == SECURITY
        device.refresh_from_db()
        assert device.confirmed
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        enrolled = records(AuditAction.MFA_ENROLLED).get()
        assert enrolled.details["factor"] == "totp"
        assert enrolled.agency_id == lead_user.agency_id
        assert enrolled.object_ref == lead_user.username

    def test_recovery_codes_are_shown_once_downloadable_and_replace_the_old_set(
        self, client, lead_user
    ):
        verified_login(client, lead_user)
        old = with_recovery_codes(lead_user)
        response = client.post(reverse("accounts:mfa_recovery_codes_new"))
        assert response["Location"] == reverse("accounts:mfa_recovery_codes")
        page = client.get(response["Location"]).content.decode()
        codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", page)
        assert len(codes) == 10
        download = client.get(reverse("accounts:mfa_recovery_codes_download"))
        assert download["Content-Type"].startswith("text/plain")
        assert "attachment" in download["Content-Disposition"]
        assert all(code in download.content.decode() for code in codes)
        assert not StaticDevice.objects.filter(pk=old.pk).exists()
        assert StaticToken.objects.filter(device__user=lead_user).count() == 10
        assert records(AuditAction.MFA_ENROLLED, details__factor="recovery").count() == 1

        # Back on the security page, the codes are gone from the session.
        client.get(SECURITY)
        assert client.get(reverse("accounts:mfa_recovery_codes"))["Location"] == SECURITY
        assert client.get(reverse("accounts:mfa_recovery_codes_download")).status_code == 404

        # The new codes sign in; the old ones are gone.
        assert not StaticToken.objects.filter(token="abcd2345").exists()
        client.post(reverse("accounts:logout"))
        sign_in(client, lead_user)
        assert client.post(VERIFY, {"code": codes[0]}).status_code == 302

    def test_recovery_codes_need_an_app_or_key_first(self, client, lead_user):
        client.force_login(lead_user)
        client.post(reverse("accounts:mfa_recovery_codes_new"))
        assert not StaticDevice.objects.filter(user=lead_user).exists()

    def test_removal_asks_for_confirmation_and_the_password(self, client, lead_user):
        verified_login(client, lead_user)
        key = WebAuthnCredential.objects.create(
            user=lead_user, name="Blue key", credential_id=b"k1", public_key=b"p"
        )
        url = reverse("accounts:mfa_remove", args=[f"webauthn-{key.pk}"])
        page = client.get(url)
        assert page.status_code == 200
        assert b"Remove Blue key?" in page.content
        assert b'<label for="id_password">Your password</label>' in page.content

        wrong = client.post(url, {"password": "not-it"})
        assert wrong.status_code == 200
        assert b"This is not your password." in wrong.content
        assert WebAuthnCredential.objects.filter(pk=key.pk).exists()

        response = client.post(url, {"password": TEST_PASSWORD})
        assert response["Location"] == SECURITY
        assert not WebAuthnCredential.objects.filter(pk=key.pk).exists()
        removed = records(AuditAction.MFA_REMOVED).get()
        assert removed.details["factors"] == ["webauthn"]
        assert client.get(DASHBOARD).status_code == 200  # still verified by the app

    def test_removing_the_device_of_the_session_keeps_it_verified_by_another(
        self, client, lead_user
    ):
        device = give_totp(lead_user)
        other = TOTPDevice.objects.create(user=lead_user, name="Second phone")
        verified_login(client, lead_user, device)
        client.post(
            reverse("accounts:mfa_remove", args=[f"totp-{device.pk}"]),
            {"password": TEST_PASSWORD},
        )
        assert client.session[DEVICE_ID_SESSION_KEY] == other.persistent_id
        assert client.get(DASHBOARD).status_code == 200

    def test_recovery_codes_go_with_the_last_app_or_key(self, client, lead_user):
        device = give_totp(lead_user)
        with_recovery_codes(lead_user)
        verified_login(client, lead_user, device)
        response = client.post(
            reverse("accounts:mfa_remove", args=[f"totp-{device.pk}"]),
            {"password": TEST_PASSWORD},
            follow=True,
        )
        assert "and your recovery codes with it" in response.content.decode()
        assert not mfa.has_second_factor(lead_user)
        assert records(AuditAction.MFA_REMOVED).get().details["factors"] == ["totp", "recovery"]

    def test_last_factor_cannot_be_removed_while_one_is_required(self, client, settings, lead_user):
        settings.MFA_REQUIRED = True
        device = give_totp(lead_user)
        verified_login(client, lead_user, device)
        url = reverse("accounts:mfa_remove", args=[f"totp-{device.pk}"])
        assert b"Add another one before" in client.get(url).content
        client.post(url, {"password": TEST_PASSWORD})
        assert TOTPDevice.objects.filter(pk=device.pk).exists()

    def test_unknown_or_foreign_factor_answers_404(self, client, lead_user, outsider):
        verified_login(client, lead_user)
        theirs = give_totp(outsider)
        for key in (f"totp-{theirs.pk}", "totp-x", "nonsense", "recovery-999"):
            assert client.get(reverse("accounts:mfa_remove", args=[key])).status_code == 404


class TestRequiredEnrolment:
    @pytest.fixture(params=["platform", "agency"])
    def required(self, request, settings, lead_user):
        if request.param == "platform":
            settings.MFA_REQUIRED = True
        else:
            lead_user.agency.require_mfa = True
            lead_user.agency.save()
        return lead_user

    def test_user_without_factor_is_sent_to_enrol_and_reaches_nothing_else(self, client, required):
        sign_in(client, required)
        response = client.get(DASHBOARD)
        assert response["Location"] == f"{SECURITY}?next=%2F"
        for url in ("/incidents/", reverse("accounts:profile"), reverse("accounts:directory")):
            assert client.get(url)["Location"].startswith(SECURITY)
        page = client.get(f"{SECURITY}?next=/")
        assert page.status_code == 200
        assert b"Add a second factor to continue." in page.content
        assert client.get(reverse("accounts:mfa_totp_add")).status_code == 200
        assert client.get("/api/v1/incidents/").status_code in (401, 403)

    def test_after_enrolling_everything_opens(self, client, required):
        sign_in(client, required)
        client.get(reverse("accounts:mfa_totp_add"))
        device = TOTPDevice.objects.get(user=required)
        response = client.post(
            f"{reverse('accounts:mfa_totp_add')}", {"code": current_code(device), "next": "/"}
        )
        assert response["Location"] == f"{SECURITY}?next=%2F"
        assert b">Continue</a>" in client.get(response["Location"]).content
        assert client.get(DASHBOARD).status_code == 200


class TestAgencyRule:
    def test_agency_admin_requires_a_second_factor_of_the_agency(
        self, client, agency_admin, lead_user
    ):
        give_totp(agency_admin)
        verified_login(client, agency_admin)
        users_page = client.get(reverse("accounts:agency_users")).content.decode()
        assert reverse("accounts:agency_security") in users_page
        page = client.get(reverse("accounts:agency_security"))
        assert page.status_code == 200
        assert "1 of 2 active users have a second factor." in page.content.decode()

        response = client.post(reverse("accounts:agency_security"), {"require_mfa": "on"})

        assert response.status_code == 302
        agency_admin.agency.refresh_from_db()
        assert agency_admin.agency.require_mfa
        changed = records(AuditAction.AGENCY_CHANGED).get()
        assert changed.details == {"require_mfa": True}
        assert changed.agency_id == agency_admin.agency_id
        lead_user.refresh_from_db()
        assert mfa.required_for(lead_user)

    @pytest.mark.parametrize("role", [Role.INVESTIGATOR, Role.LIAISON_OFFICER, Role.SUPERVISOR])
    def test_other_roles_cannot_set_it(self, client, lead_agency, role):
        client.force_login(UserFactory(username=f"u-{role}", agency=lead_agency, role=role))
        assert client.get(reverse("accounts:agency_security")).status_code == 403
        client.post(reverse("accounts:agency_security"), {"require_mfa": "on"})
        lead_agency.refresh_from_db()
        assert not lead_agency.require_mfa

    def test_the_django_admin_sets_it_too(self, client, superuser, lead_agency):
        verified_login(client, superuser)
        page = client.get(reverse("admin:accounts_agency_change", args=[lead_agency.pk]))
        assert b'name="require_mfa"' in page.content


class TestReset:
    def test_agency_admin_resets_a_users_factors_after_confirmation(
        self, client, agency_admin, lead_user, mailoutbox, django_capture_on_commit_callbacks
    ):
        give_totp(lead_user)
        with_recovery_codes(lead_user)
        victim_session = verified_login(type(client)(), lead_user)
        verified_login(client, agency_admin)
        edit = client.get(reverse("accounts:agency_user_edit", args=[lead_user.pk]))
        url = reverse("accounts:agency_user_mfa_reset", args=[lead_user.pk])
        assert url in edit.content.decode()
        page = client.get(url)
        assert page.status_code == 200
        assert b"Test app" in page.content

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)

        assert response["Location"] == reverse("accounts:agency_user_edit", args=[lead_user.pk])
        assert not mfa.has_second_factor(lead_user)
        reset = records(AuditAction.MFA_RESET).get()
        assert reset.actor_id == agency_admin.pk
        assert reset.agency_id == lead_user.agency_id
        assert reset.object_ref == lead_user.username
        assert reset.details == {"removed": {"totp": 1, "recovery": 1}}
        (email,) = mailoutbox
        assert email.to == [lead_user.email]
        assert "removed every second sign-in factor" in email.body
        assert reverse("accounts:mfa_security") in email.body
        # The sessions the devices verified are verified no longer.
        assert DEVICE_ID_SESSION_KEY in victim_session.session
        victim_session.get(DASHBOARD)
        assert DEVICE_ID_SESSION_KEY not in victim_session.session

    def test_admin_resets_not_their_own_factors_here(self, client, agency_admin):
        verified_login(client, agency_admin)
        url = reverse("accounts:agency_user_mfa_reset", args=[agency_admin.pk])
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
        assert mfa.has_second_factor(agency_admin)

    def test_other_roles_cannot_reset(self, client, lead_agency, lead_user):
        give_totp(lead_user)
        supervisor = UserFactory(username="sup", agency=lead_agency, role=Role.SUPERVISOR)
        client.force_login(supervisor)
        url = reverse("accounts:agency_user_mfa_reset", args=[lead_user.pk])
        assert client.post(url).status_code == 403
        assert mfa.has_second_factor(lead_user)


class TestAdminSite:
    def test_admin_login_goes_through_the_two_steps(self, client, superuser):
        response = client.get("/admin/")
        assert response["Location"] == "/admin/login/?next=/admin/"
        response = client.get(response["Location"])
        assert response["Location"] == f"{reverse('accounts:login')}?next=/admin/"

        device = give_totp(superuser)
        client.post(
            f"{reverse('accounts:login')}?next=/admin/",
            {"username": "root", "password": TEST_PASSWORD, "next": "/admin/"},
        )
        response = client.get("/admin/")
        assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
        response = client.post(VERIFY, {"code": current_code(device), "next": "/admin/"})
        assert response["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_staff_without_a_factor_is_asked_to_add_one(self, client, superuser):
        client.force_login(superuser)
        response = client.get("/admin/")
        response = client.get(response["Location"])
        assert response["Location"] == f"{SECURITY}?next=%2Fadmin%2F"

    def test_users_who_do_not_administer_the_platform_are_refused(self, client, lead_user):
        verified_login(client, lead_user)
        assert client.get("/admin/login/").status_code == 403
