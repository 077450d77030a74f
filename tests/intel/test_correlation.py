"""Correlation tells only what sharing allows: links, counts, or nothing at all."""

import pytest

from coordination.intel import actions
from coordination.intel.correlation import sightings
from incidents.actions import share_incident
from incidents.choices import TLP, ParticipationRole
from tests.factories import AgencyFactory, UserFactory, make_incident
from tests.intel.conftest import SHARED_IP

KEY = ("ipv4", SHARED_IP)


def test_visible_sightings_are_links_and_hidden_ones_only_counts(
    incident, lead_user, outsider, spanish_incident, add_indicator
):
    add_indicator(spanish_incident, outsider, SHARED_IP)
    second = make_incident(lead_user, title="Second German case")
    add_indicator(second, lead_user, SHARED_IP)
    add_indicator(incident, lead_user, SHARED_IP)

    seen = sightings(lead_user, [KEY], exclude_incident=incident)[KEY]

    assert [link.reference for link in seen.links] == [second.reference]
    assert seen.visible_count == 1
    assert (seen.hidden_count, seen.hidden_countries) == (1, 1)
    assert seen.may_request_contact


def test_hidden_counts_name_countries_not_cases(
    incident, lead_user, outsider, spanish_incident, italian_user, add_indicator
):
    add_indicator(spanish_incident, outsider, SHARED_IP)
    add_indicator(make_incident(outsider, title="Another Spanish case"), outsider, SHARED_IP)
    add_indicator(make_incident(italian_user, title="Italian case"), italian_user, SHARED_IP)
    seen = sightings(lead_user, [KEY], exclude_incident=incident)[KEY]
    assert (seen.hidden_count, seen.hidden_countries) == (3, 2)
    assert seen.links == []


@pytest.mark.parametrize("tlp", [TLP.AMBER_STRICT, TLP.RED])
def test_nothing_at_all_from_strict_or_red_incidents(
    tlp, incident, lead_user, italian_user, add_indicator
):
    secret = make_incident(italian_user, title="Operation Nightjar", tlp=tlp)
    add_indicator(secret, italian_user, SHARED_IP)
    seen = sightings(lead_user, [KEY], exclude_incident=incident)[KEY]
    assert (seen.visible_count, seen.hidden_count, seen.hidden_countries) == (0, 0, 0)
    assert not seen.any


@pytest.mark.parametrize("tlp", [TLP.AMBER_STRICT, TLP.RED])
def test_nothing_from_strict_or_red_indicators_in_countable_incidents(
    tlp, incident, lead_user, outsider, spanish_incident, add_indicator
):
    add_indicator(spanish_incident, outsider, SHARED_IP, tlp=tlp)
    seen = sightings(lead_user, [KEY], exclude_incident=incident)[KEY]
    assert not seen.any


def test_red_sighting_is_a_link_for_its_named_recipient_only(
    lead_user, italian_user, italian_agency, add_indicator
):
    # Given a TLP:RED case shared with the lead user's agency, whose indicator names
    # the lead user (and not a colleague of theirs)
    secret = make_incident(italian_user, title="Operation Nightjar", tlp=TLP.RED)
    share_incident(secret, lead_user.agency, ParticipationRole.OBSERVER, italian_user)
    add_indicator(secret, italian_user, SHARED_IP, audience=[lead_user])
    colleague = UserFactory(agency=lead_user.agency)

    # Then the named recipient gets a link, the colleague neither a link nor a count
    seen = sightings(lead_user, [KEY])[KEY]
    assert [link.reference for link in seen.links] == [secret.reference]
    assert seen.hidden_count == 0
    unnamed = sightings(colleague, [KEY])[KEY]
    assert (unnamed.links, unnamed.visible_count, unnamed.hidden_count) == ([], 0, 0)


def test_sharing_turns_a_count_into_a_link(
    incident, lead_user, outsider, spanish_incident, add_indicator
):
    add_indicator(spanish_incident, outsider, SHARED_IP)
    assert sightings(lead_user, [KEY], exclude_incident=incident)[KEY].hidden_count == 1
    share_incident(spanish_incident, lead_user.agency, ParticipationRole.OBSERVER, outsider)
    seen = sightings(lead_user, [KEY], exclude_incident=incident)[KEY]
    assert seen.hidden_count == 0
    assert [link.reference for link in seen.links] == [spanish_incident.reference]


def test_links_are_capped_but_counted(lead_user, add_indicator, django_assert_num_queries):
    cases = [make_incident(lead_user, title=f"Case {n}") for n in range(7)]
    for case in cases:
        add_indicator(case, lead_user, SHARED_IP)
    lead_user.visibility_group_ids  # noqa: B018 - read once per request with the session's user
    with django_assert_num_queries(2):
        seen = sightings(lead_user, [KEY], exclude_incident=cases[0])[KEY]
    assert seen.visible_count == 6
    assert len(seen.links) == 5
    assert seen.more_links == 1


def test_query_count_does_not_grow_with_observables_or_incidents(
    lead_user, outsider, italian_user, add_indicator, django_assert_max_num_queries
):
    values = [f"203.0.113.{n}" for n in range(30)]
    for user in (lead_user, outsider, italian_user):
        case = make_incident(user, title="Case")
        actions.paste_indicators(case, user, "\n".join(values))
    keys = [("ipv4", v) for v in values]
    lead_user.visibility_group_ids  # noqa: B018 - read once per request with the session's user
    with django_assert_max_num_queries(3):
        seen = sightings(lead_user, keys)
    assert all(s.visible_count == 1 and s.hidden_count == 2 for s in seen.values())


def test_anonymous_and_inactive_users_learn_nothing(
    lead_user, outsider, spanish_incident, add_indicator
):
    from django.contrib.auth.models import AnonymousUser

    add_indicator(spanish_incident, outsider, SHARED_IP)
    assert not sightings(AnonymousUser(), [KEY])[KEY].any
    lead_user.is_active = False
    assert not sightings(lead_user, [KEY])[KEY].any


def test_named_user_grant_makes_the_sighting_visible(
    lead_user, outsider, spanish_incident, add_indicator
):
    from incidents.permissions import grant_user

    add_indicator(spanish_incident, outsider, SHARED_IP)
    grant_user(spanish_incident, lead_user)
    seen = sightings(lead_user, [KEY])[KEY]
    assert seen.visible_count == 1 and seen.hidden_count == 0


def test_a_user_without_agency_sees_only_counts(spanish_incident, outsider, add_indicator):
    add_indicator(spanish_incident, outsider, SHARED_IP)
    loner = UserFactory(username="loner", agency=AgencyFactory(short_name="X", country="PT"))
    seen = sightings(loner, [KEY])[KEY]
    assert seen.hidden_count == 1 and not seen.links


def test_raising_the_owning_incident_to_red_withdraws_its_counts(
    incident, lead_user, outsider, spanish_incident, add_indicator
):
    from incidents.actions import update_incident

    add_indicator(spanish_incident, outsider, SHARED_IP)
    assert sightings(lead_user, [KEY], exclude_incident=incident)[KEY].hidden_count == 1
    update_incident(spanish_incident, outsider, tlp=TLP.RED)
    assert not sightings(lead_user, [KEY], exclude_incident=incident)[KEY].any
