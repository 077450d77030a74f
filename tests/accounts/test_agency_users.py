import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.choices import Role
from accounts.models import User
from accounts.views import USERS_PAGE_SIZE
from coordination.audit.choices import AuditAction
from coordination.audit.models import AuditRecord
from tests.factories import TEST_PASSWORD, UserFactory

LIST = reverse("accounts:agency_users")
CREATE = reverse("accounts:agency_user_create")


def edit_url(user):
    return reverse("accounts:agency_user_edit", args=[user.pk])


def new_user_data(**overrides):
    data = {
        "username": "nadia",
        "first_name": "Nadia",
        "last_name": "Neumann",
        "email": "nadia@bka.example.de",
        "role": Role.LIAISON_OFFICER,
        "language": "en",
        "timezone": "Europe/Berlin",
    }
    data.update(overrides)
    return data


def edit_data(user, **overrides):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "language": user.language,
        "timezone": user.timezone,
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------------------
# Authorisation matrix: every accounts page × four personas.
# ---------------------------------------------------------------------------

PERSONAS = ["agency_admin", "other_admin", "investigator", "anonymous"]

# (url name, method, needs a target user of the lead agency,
#  expected status per persona in PERSONAS order)
MATRIX = [
    ("accounts:profile", "get", False, (200, 200, 200, 302)),
    ("accounts:directory", "get", False, (200, 200, 200, 302)),
    ("accounts:password_change", "get", False, (200, 200, 200, 302)),
    ("accounts:password_change_done", "get", False, (200, 200, 200, 302)),
    ("accounts:password_reset", "get", False, (200, 200, 200, 200)),
    ("accounts:password_reset_done", "get", False, (200, 200, 200, 200)),
    ("accounts:password_reset_complete", "get", False, (200, 200, 200, 200)),
    ("accounts:login", "get", False, (302, 302, 302, 200)),
    ("accounts:agency_users", "get", False, (200, 200, 403, 302)),
    ("accounts:agency_user_create", "get", False, (200, 200, 403, 302)),
    ("accounts:agency_user_edit", "get", True, (200, 404, 403, 302)),
    ("accounts:agency_user_deactivate", "get", True, (200, 404, 403, 302)),
    ("accounts:agency_user_deactivate", "post", True, (302, 404, 403, 302)),
    ("accounts:agency_user_reactivate", "post", True, (302, 404, 403, 302)),
    ("accounts:agency_user_send_reset", "post", True, (302, 404, 403, 302)),
    ("accounts:agency_user_unlock", "post", True, (302, 404, 403, 302)),
]


@pytest.fixture
def persona(request, client, agency_admin, other_admin, lead_user):
    users = {"agency_admin": agency_admin, "other_admin": other_admin, "investigator": lead_user}
    user = users.get(request.param)
    if user is not None:
        client.force_login(user)
    return request.param


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
@pytest.mark.parametrize(
    ("name", "method", "targeted", "expected"),
    MATRIX,
    ids=[f"{name.split(':')[1]}-{method}" for name, method, _t, _e in MATRIX],
)
def test_authorisation_matrix(
    client, persona, lead_agency, name, method, targeted, expected, mailoutbox
):
    target = UserFactory(agency=lead_agency, role=Role.INVESTIGATOR) if targeted else None
    url = reverse(name, args=[target.pk] if target else [])
    response = getattr(client, method)(url)
    assert response.status_code == expected[PERSONAS.index(persona)]
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    if target is not None and persona != "agency_admin":
        target.refresh_from_db()
        assert target.is_active  # nothing changed for those who may not act
        assert mailoutbox == []


@pytest.mark.django_db
def test_get_on_post_only_actions_is_refused(login, agency_admin, lead_user):
    client = login(agency_admin)
    for name in (
        "accounts:agency_user_reactivate",
        "accounts:agency_user_send_reset",
        "accounts:agency_user_unlock",
    ):
        assert client.get(reverse(name, args=[lead_user.pk])).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LIAISON_OFFICER, Role.SUPERVISOR])
def test_other_roles_are_refused(login, lead_agency, role):
    client = login(UserFactory(agency=lead_agency, role=role))
    assert client.get(LIST).status_code == 403
    assert client.get(CREATE).status_code == 403


@pytest.mark.django_db
def test_deactivated_agency_admin_is_signed_out(client, agency_admin):
    client.force_login(agency_admin)
    User.objects.filter(pk=agency_admin.pk).update(is_active=False)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# ---------------------------------------------------------------------------
# The list
# ---------------------------------------------------------------------------


@pytest.mark.django_db
class TestUserList:
    def test_lists_own_agency_users_only(self, login, agency_admin, lead_user, outsider):
        response = login(agency_admin).get(LIST)
        listed = set(response.context["page"].object_list)
        assert listed == {agency_admin, lead_user}
        assert outsider.username.encode() not in response.content

    def test_superusers_and_staff_of_the_agency_are_not_managed(
        self, login, agency_admin, lead_agency
    ):
        staff = UserFactory(agency=lead_agency, is_staff=True)
        root = UserFactory(agency=lead_agency, is_superuser=True, is_staff=True)
        client = login(agency_admin)
        listed = set(client.get(LIST, {"status": "all"}).context["page"].object_list)
        assert staff not in listed and root not in listed
        assert client.get(edit_url(root)).status_code == 404
        assert client.post(edit_url(staff), edit_data(staff, email="me@x.org")).status_code == 404
        staff.refresh_from_db()
        assert staff.email != "me@x.org"

    def test_deactivated_users_hidden_by_default_and_shown_on_request(
        self, login, agency_admin, lead_agency
    ):
        gone = UserFactory(agency=lead_agency, is_active=False, last_name="Gone")
        client = login(agency_admin)
        assert gone not in client.get(LIST).context["page"].object_list
        assert list(client.get(LIST, {"status": "inactive"}).context["page"].object_list) == [gone]
        assert gone in client.get(LIST, {"status": "all"}).context["page"].object_list

    def test_search_and_role_filter(self, login, agency_admin, lead_agency):
        UserFactory(agency=lead_agency, last_name="Zander", role=Role.SUPERVISOR)
        UserFactory(agency=lead_agency, last_name="Yilmaz", role=Role.LIAISON_OFFICER)
        client = login(agency_admin)
        found = client.get(LIST, {"q": "zand"}).context["page"].object_list
        assert [u.last_name for u in found] == ["Zander"]
        found = client.get(LIST, {"role": Role.LIAISON_OFFICER}).context["page"].object_list
        assert [u.last_name for u in found] == ["Yilmaz"]

    def test_pagination(self, login, agency_admin, lead_agency):
        UserFactory.create_batch(USERS_PAGE_SIZE + 3, agency=lead_agency)
        client = login(agency_admin)
        first = client.get(LIST)
        assert len(first.context["page"].object_list) == USERS_PAGE_SIZE
        second = client.get(LIST, {"page": 2})
        assert len(second.context["page"].object_list) == 4

    def test_query_count_does_not_grow_with_rows(
        self, login, agency_admin, lead_agency, django_assert_max_num_queries
    ):
        client = login(agency_admin)
        with django_assert_max_num_queries(6):
            assert client.get(LIST).status_code == 200
        UserFactory.create_batch(40, agency=lead_agency)
        with django_assert_max_num_queries(6):
            response = client.get(LIST)
        assert len(response.context["page"].object_list) == USERS_PAGE_SIZE


# ---------------------------------------------------------------------------
# Creating, editing, (de)activating
# ---------------------------------------------------------------------------


@pytest.mark.django_db
class TestCreateUser:
    def test_new_user_joins_the_admins_agency_and_sets_a_password_from_the_email(
        self, client, login, agency_admin, lead_agency, mailoutbox
    ):
        # Given an agency admin
        login(agency_admin)
        form = client.get(CREATE)
        assert form.context["form"].initial["timezone"] == lead_agency.timezone
        # When they add a user
        response = client.post(CREATE, new_user_data())
        assert response.status_code == 302
        user = User.objects.get(username="nadia")
        # Then the user belongs to the admin's agency (and its group), with no password yet
        assert user.agency == lead_agency
        assert user.role == Role.LIAISON_OFFICER
        assert not user.is_staff and not user.is_superuser
        assert not user.has_usable_password()
        assert user.groups.filter(pk=lead_agency.group_id).exists()
        # and an invitation with a set-password link is emailed
        assert len(mailoutbox) == 1
        message = mailoutbox[0]
        assert message.to == ["nadia@bka.example.de"]
        assert "BKA-CC" in message.subject
        assert "nadia" in message.body
        assert message.alternatives[0][1] == "text/html"
        path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body)[1]
        # which the new user follows to choose a password and sign in
        client.post(reverse("accounts:logout"))
        page = client.get(path, follow=True)
        assert page.context["validlink"]
        done = client.post(
            page.redirect_chain[-1][0],
            {"new_password1": "violet-harbour-42-lamp", "new_password2": "violet-harbour-42-lamp"},
        )
        assert done["Location"] == reverse("accounts:password_reset_complete")
        signed_in = client.post(
            reverse("accounts:login"),
            {"username": "nadia", "password": "violet-harbour-42-lamp"},
        )
        assert signed_in.status_code == 302
        assert "_auth_user_id" in client.session

    def test_invalid_input_keeps_values_and_shows_errors(
        self, login, agency_admin, lead_user, mailoutbox
    ):
        response = login(agency_admin).post(
            CREATE, new_user_data(username=lead_user.username, email="not-an-email")
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert "username" in errors and "email" in errors
        assert b'value="Nadia"' in response.content
        assert mailoutbox == []

    def test_email_already_used_is_refused(self, login, agency_admin, outsider):
        response = login(agency_admin).post(CREATE, new_user_data(email=outsider.email.upper()))
        assert "email" in response.context["form"].errors

    def test_crafted_post_cannot_make_staff_superuser_or_another_agencys_user(
        self, login, agency_admin, lead_agency, other_agency
    ):
        login(agency_admin).post(
            CREATE,
            new_user_data(
                is_superuser="on",
                is_staff="on",
                agency=other_agency.pk,
                groups=[other_agency.group_id],
            ),
        )
        user = User.objects.get(username="nadia")
        assert not user.is_superuser and not user.is_staff
        assert user.agency == lead_agency
        assert not user.groups.filter(pk=other_agency.group_id).exists()

    def test_unknown_role_or_language_is_refused(self, login, agency_admin):
        client = login(agency_admin)
        response = client.post(CREATE, new_user_data(role="superuser", language="xx"))
        assert {"role", "language"} <= set(response.context["form"].errors)
        assert not User.objects.filter(username="nadia").exists()


@pytest.mark.django_db
class TestEditUser:
    def test_admin_edits_a_user_of_their_agency(self, login, agency_admin, lead_user):
        response = login(agency_admin).post(
            edit_url(lead_user),
            edit_data(lead_user, role=Role.SUPERVISOR, timezone="Europe/Paris", language="fr"),
        )
        assert response.status_code == 302
        lead_user.refresh_from_db()
        assert (lead_user.role, lead_user.timezone, lead_user.language) == (
            Role.SUPERVISOR,
            "Europe/Paris",
            "fr",
        )

    def test_other_agencys_user_answers_404_to_read_and_write(self, login, agency_admin, outsider):
        client = login(agency_admin)
        assert client.get(edit_url(outsider)).status_code == 404
        response = client.post(edit_url(outsider), edit_data(outsider, role=Role.AGENCY_ADMIN))
        assert response.status_code == 404
        outsider.refresh_from_db()
        assert outsider.role == Role.INVESTIGATOR

    def test_crafted_post_cannot_escalate_or_move_a_user(
        self, login, agency_admin, lead_user, other_agency, lead_agency
    ):
        login(agency_admin).post(
            edit_url(lead_user),
            edit_data(
                lead_user,
                is_superuser="on",
                is_staff="on",
                agency=other_agency.pk,
                user_permissions=[1],
                password="hijack",
            ),
        )
        lead_user.refresh_from_db()
        assert not lead_user.is_superuser and not lead_user.is_staff
        assert lead_user.agency == lead_agency
        assert lead_user.user_permissions.count() == 0
        assert lead_user.check_password(TEST_PASSWORD)

    def test_admin_cannot_change_their_own_role(self, login, agency_admin):
        login(agency_admin).post(
            edit_url(agency_admin), edit_data(agency_admin, role=Role.INVESTIGATOR)
        )
        agency_admin.refresh_from_db()
        assert agency_admin.role == Role.AGENCY_ADMIN

    def test_admin_may_edit_their_own_details(self, login, agency_admin):
        response = login(agency_admin).post(
            edit_url(agency_admin), edit_data(agency_admin, first_name="Adelheid")
        )
        assert response.status_code == 302
        agency_admin.refresh_from_db()
        assert agency_admin.first_name == "Adelheid"


@pytest.mark.django_db
class TestActivation:
    def test_deactivation_asks_for_confirmation_then_deactivates(
        self, login, agency_admin, lead_user
    ):
        client = login(agency_admin)
        url = reverse("accounts:agency_user_deactivate", args=[lead_user.pk])
        confirm = client.get(url)
        assert confirm.status_code == 200
        assert b"Deactivate" in confirm.content
        lead_user.refresh_from_db()
        assert lead_user.is_active  # GET changes nothing
        assert client.post(url).status_code == 302
        lead_user.refresh_from_db()
        assert not lead_user.is_active

    def test_deactivated_user_loses_their_session(self, client, agency_admin, lead_user):
        from django.test import Client

        theirs = Client()
        theirs.force_login(lead_user)
        client.force_login(agency_admin)
        client.post(reverse("accounts:agency_user_deactivate", args=[lead_user.pk]))
        assert theirs.get(reverse("accounts:directory")).status_code == 302

    def test_admin_cannot_deactivate_themselves(self, login, agency_admin):
        client = login(agency_admin)
        url = reverse("accounts:agency_user_deactivate", args=[agency_admin.pk])
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
        agency_admin.refresh_from_db()
        assert agency_admin.is_active

    def test_reactivation(self, login, agency_admin, lead_user):
        lead_user.is_active = False
        lead_user.save()
        response = login(agency_admin).post(
            reverse("accounts:agency_user_reactivate", args=[lead_user.pk])
        )
        assert response.status_code == 302
        lead_user.refresh_from_db()
        assert lead_user.is_active

    def test_send_password_link(self, login, agency_admin, lead_user, mailoutbox):
        response = login(agency_admin).post(
            reverse("accounts:agency_user_send_reset", args=[lead_user.pk])
        )
        assert response.status_code == 302
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == [lead_user.email]
        assert "/accounts/password/reset/" in mailoutbox[0].body
        lead_user.refresh_from_db()
        assert lead_user.check_password(TEST_PASSWORD)  # unchanged until they use the link

    def test_no_password_link_for_a_deactivated_user(
        self, login, agency_admin, lead_user, mailoutbox
    ):
        lead_user.is_active = False
        lead_user.save()
        login(agency_admin).post(reverse("accounts:agency_user_send_reset", args=[lead_user.pk]))
        assert mailoutbox == []


# ---------------------------------------------------------------------------
# Sign-in lockouts
# ---------------------------------------------------------------------------

ATTACKER = "203.0.113.66"


def fail_sign_ins(user, times=5, address=ATTACKER):
    client = Client()
    for _attempt in range(times):
        client.post(
            reverse("accounts:login"),
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR=address,
        )


def signs_in(user, address=ATTACKER):
    response = Client().post(
        reverse("accounts:login"),
        {"username": user.username, "password": TEST_PASSWORD},
        REMOTE_ADDR=address,
    )
    return response.status_code == 302


@pytest.mark.django_db
class TestSignInLockout:
    def test_admin_sees_that_a_user_is_locked_and_unlocks_them(
        self, login, agency_admin, lead_user
    ):
        # Given a user locked out after five failures
        fail_sign_ins(lead_user)
        assert not signs_in(lead_user)
        # When their agency admin opens their page
        client = login(agency_admin)
        page = client.get(edit_url(lead_user))
        # Then the lockout shows, with a way to lift it
        assert page.context["sign_in"]["locked"]
        assert b"sign-in locked" in page.content
        assert b"5 failed attempts" in page.content
        unlock = reverse("accounts:agency_user_unlock", args=[lead_user.pk])
        assert unlock.encode() in page.content
        response = client.post(unlock)
        assert response["Location"] == edit_url(lead_user)
        # and the user signs in again at once
        assert signs_in(lead_user)
        # and the trail says who lifted the lockout
        record = AuditRecord.objects.get(action=AuditAction.USER_CHANGED, object_ref="lena")
        assert record.actor_id == agency_admin.pk
        assert record.details == {"sign_in": "unlocked"}

    def test_a_user_without_failures_shows_no_lockout(self, login, agency_admin, lead_user):
        page = login(agency_admin).get(edit_url(lead_user))
        assert not page.context["sign_in"]["locked"]
        assert b"Unlock sign-in" not in page.content

    def test_failures_below_the_limit_are_shown_without_an_unlock_button(
        self, login, agency_admin, lead_user
    ):
        fail_sign_ins(lead_user, times=2)
        page = login(agency_admin).get(edit_url(lead_user))
        assert b"2 failed attempts" in page.content
        assert b"Unlock sign-in" not in page.content

    def test_another_agencys_admin_cannot_unlock(self, login, other_admin, lead_user):
        fail_sign_ins(lead_user)
        response = login(other_admin).post(
            reverse("accounts:agency_user_unlock", args=[lead_user.pk])
        )
        assert response.status_code == 404
        assert not signs_in(lead_user)

    def test_superuser_sees_lockouts_in_the_django_admin(self, login, superuser, lead_user):
        fail_sign_ins(lead_user)
        response = login(superuser).get(reverse("admin:axes_accessattempt_changelist"))
        assert response.status_code == 200
        assert lead_user.username.encode() in response.content
