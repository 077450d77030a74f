"""The visibility clause's literals (group ids, permission ids) and rights read with an incident."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management.sql import emit_post_migrate_signal

from accounts.models import User
from incidents import querysets
from incidents.choices import Action
from incidents.models import Incident
from incidents.permissions import _held_actions, allowed_actions, held_actions_annotations
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_clause_names_the_users_groups_and_the_permission_as_literals(lead_user, incident):
    sql = str(Incident.objects.restrict(lead_user).query)

    assert "auth_permission" not in sql
    assert "accounts_user_groups" not in sql
    assert f"IN ({lead_user.agency.group_id})" in sql


def test_a_user_in_no_group_still_sees_what_was_granted_to_them_by_name(lead_user, incident):
    from incidents.permissions import grant_user

    loner = UserFactory(username="loner", agency=None)
    grant_user(incident, loner)

    assert loner.visibility_group_ids == []
    assert list(Incident.objects.restrict(loner)) == [incident]


def test_joining_a_group_through_user_groups_is_seen_at_once(lead_user, incident, outsider):
    assert not Incident.objects.restrict(outsider).exists()  # memoises the group ids

    outsider.groups.add(lead_user.agency.group_id)

    assert list(Incident.objects.restrict(outsider)) == [incident]


def test_leaving_a_group_through_user_groups_is_seen_at_once(lead_user, incident):
    assert Incident.objects.restrict(lead_user).exists()

    lead_user.groups.remove(lead_user.agency.group_id)

    assert not Incident.objects.restrict(lead_user).exists()


def test_moving_to_another_agency_moves_visibility(lead_user, incident, outsider):
    assert not Incident.objects.restrict(outsider).exists()

    outsider.agency = lead_user.agency
    outsider.save()

    assert list(Incident.objects.restrict(outsider)) == [incident]


def test_group_ids_are_read_once_per_user_object(lead_user, django_assert_num_queries):
    with django_assert_num_queries(1):
        first = lead_user.visibility_group_ids
        second = lead_user.visibility_group_ids
    assert first == second == [lead_user.agency.group_id]


def test_permission_ids_are_forgotten_after_migrate_or_flush(lead_user, incident):
    codename = "view_incident"
    querysets.incident_permission_id(codename)
    querysets._PERMISSION_IDS[codename] = -1  # as if the table had been recreated
    try:
        # What ``migrate`` and ``flush`` send once they are done.
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    finally:
        remembered = querysets._PERMISSION_IDS.pop(codename, None)

    assert remembered != -1
    assert (
        querysets.incident_permission_id(codename)
        == Permission.objects.get(codename=codename, content_type__app_label="incidents").pk
    )
    assert list(Incident.objects.restrict(lead_user)) == [incident]


@pytest.mark.parametrize("who", ["lead_user", "invited_user", "outsider"])
def test_rights_read_with_the_incident_equal_rights_read_apart(request, who, incident):
    user = request.getfixturevalue(who)
    annotated = (
        Incident.objects.filter(pk=incident.pk).annotate(**held_actions_annotations(user)).get()
    )

    assert allowed_actions(user, annotated) == allowed_actions(
        user, Incident.objects.get(pk=incident.pk)
    )
    assert {a for a in Action if getattr(annotated, f"holds_{a.value}")} == _held_actions(
        user, incident
    )


def test_rights_read_with_the_incident_need_no_query(
    lead_user, incident, django_assert_num_queries
):
    annotated = (
        Incident.objects.filter(pk=incident.pk)
        .annotate(**held_actions_annotations(lead_user))
        .get()
    )

    with django_assert_num_queries(0):
        allowed = allowed_actions(lead_user, annotated)

    assert allowed == {Action.VIEW, Action.CONTRIBUTE, Action.CHANGE, Action.SHARE}


def test_a_stale_group_added_from_the_group_side_is_read_by_the_next_request(lead_user, incident):
    # Changes made from the group's side reach users loaded afterwards (each request loads
    # its user afresh).
    stranger = UserFactory(username="stranger", agency=None)
    assert not Incident.objects.restrict(stranger).exists()

    Group.objects.get(pk=lead_user.agency.group_id).user_set.add(stranger)

    assert list(Incident.objects.restrict(User.objects.get(pk=stranger.pk))) == [incident]


class TestVisibleCount:
    def test_equals_the_restricted_count_whatever_the_source_of_the_grant(
        self, lead_user, invited_user, outsider, invited_agency
    ):
        from incidents.permissions import grant_user
        from tests.factories import make_incident

        shared = make_incident(lead_user, shared_with=[(invited_agency, "contributor")])
        make_incident(lead_user, title="Not shared")
        named = make_incident(lead_user, title="Shown to one outsider by name")
        grant_user(named, outsider)
        grant_user(shared, invited_user)  # also granted through the agency: counted once

        for user in (lead_user, invited_user, outsider):
            for action in Action:
                assert Incident.objects.visible_count(user, action) == (
                    Incident.objects.restrict(user, action).count()
                ), (user, action)

    def test_an_inactive_user_counts_nothing(self, lead_user, incident):
        lead_user.is_active = False

        assert Incident.objects.visible_count(lead_user) == 0

    def test_the_api_list_counts_the_same_with_and_without_filters(
        self, api_login, lead_user, invited_agency
    ):
        from tests.factories import make_incident

        for n in range(3):
            make_incident(lead_user, title=f"Case {n}", severity="high")
        make_incident(lead_user, title="Minor", severity="low")
        client = api_login(lead_user)

        assert client.get("/api/v1/incidents/").json()["count"] == 4
        assert client.get("/api/v1/incidents/", {"sort": "title"}).json()["count"] == 4
        assert client.get("/api/v1/incidents/", {"severity": "high"}).json()["count"] == 3
        assert client.get("/api/v1/incidents/", {"page_size": 1, "page": 4}).json()["count"] == 4


def test_entry_tlp_rule_in_sql_matches_the_rule_in_words(lead_user, invited_user, incident):
    """Every TLP against every kind of reader: author, named recipient, colleague of the
    author, another participating agency, a user of no agency."""
    from incidents import actions
    from incidents.choices import TLP
    from incidents.models import TimelineEntry

    colleague = UserFactory(username="colleague", agency=lead_user.agency)
    loner = UserFactory(username="loner", agency=None)
    entries = {
        tlp: actions.add_timeline_entry(
            incident,
            lead_user,
            f"Entry {tlp}",
            tlp=tlp,
            audience=[invited_user] if tlp == TLP.RED else (),
        )
        for tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
    }

    def may_read(user, entry):
        if entry.tlp == TLP.RED:
            return user == entry.author or entry.audience.filter(pk=user.pk).exists()
        if entry.tlp == TLP.AMBER_STRICT:
            return user.agency_id is not None and user.agency_id == entry.author_agency_id
        return True

    for user in (lead_user, invited_user, colleague, loner):
        readable = set(
            TimelineEntry.objects.filter(pk__in=[e.pk for e in entries.values()])
            .visible_to(user)
            .values_list("pk", flat=True)
        )
        expected = {e.pk for e in entries.values() if may_read(user, e)}
        assert readable == expected, user.username
