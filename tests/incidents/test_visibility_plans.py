"""The plan the visibility clause and the search take by how many cases an agency sees
(incidents/querysets.py): every plan gives the same rows."""

import pytest
from celery.signals import worker_ready
from django.core.cache import cache
from django.db import connection

from incidents import querysets, tasks
from incidents.models import Incident
from incidents.pagination import LookaheadPaginator
from tests.factories import make_incident

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="only PostgreSQL plans by the grants held"
    ),
]


@pytest.fixture
def thresholds(monkeypatch):
    """Two grants make a large holder, one a middling one; nothing listed to begin with."""
    monkeypatch.setattr(querysets, "PROBE_FROM_GRANTS", 2)
    monkeypatch.setattr(querysets, "LIST_FROM_GRANTS", 2)
    cache.delete(querysets.GRANT_HOLDERS_KEY)
    querysets.forget_grant_holders()
    yield
    cache.delete(querysets.GRANT_HOLDERS_KEY)
    querysets.forget_grant_holders()


def clause(user):
    return Incident.objects.restrict(user).query.incident_visibility


def test_until_the_holders_are_listed_every_clause_takes_the_middle_plan(
    thresholds, lead_user, incident
):
    make_incident(lead_user, title="Second case")

    assert (clause(lead_user).probe, clause(lead_user).few) == (False, False)


def test_an_agency_holding_many_grants_is_probed_row_by_row_with_the_same_result(
    thresholds, lead_user, incident, outsider
):
    second = make_incident(lead_user, title="Second case")
    hashed = list(Incident.objects.restrict(lead_user).order_by("pk"))

    tasks.refresh_large_grant_holders()

    probed = Incident.objects.restrict(lead_user).order_by("pk")
    assert "OFFSET 0" in str(probed.query)
    assert list(probed) == hashed == sorted([incident, second], key=lambda i: i.pk)
    assert "OFFSET 0" not in str(Incident.objects.restrict(outsider).query)
    assert clause(outsider).few  # no grant at all


def test_the_list_of_holders_is_read_without_a_query(
    thresholds, lead_user, incident, django_assert_num_queries
):
    make_incident(lead_user, title="Second case")
    tasks.refresh_large_grant_holders()
    querysets.forget_grant_holders()
    groups = lead_user.visibility_group_ids
    view = querysets.incident_permission_id("view_incident")

    with django_assert_num_queries(0):
        assert querysets.group_grants(groups, view) == 2


def test_a_starting_worker_lists_the_holders():
    assert any(
        receiver() is tasks.list_large_holders_on_start for _, receiver in worker_ready.receivers
    )


def test_an_agency_seeing_few_cases_lists_and_filters_among_its_grants(
    thresholds, monkeypatch, lead_user, incident, invited_agency
):
    from incidents.choices import ParticipationRole
    from tests.factories import UserFactory

    second = make_incident(
        lead_user,
        title="Second case",
        shared_with=[(invited_agency, ParticipationRole.CONTRIBUTOR)],
    )
    make_incident(lead_user, title="Not shared")
    reader = UserFactory(agency=invited_agency)
    walked = list(Incident.objects.restrict(reader).filter(status=incident.status))

    monkeypatch.setattr(querysets, "LIST_FROM_GRANTS", 3)
    tasks.refresh_large_grant_holders()  # the lead's agency: 3 grants; the invited one: 2

    among = Incident.objects.restrict(reader).filter(status=incident.status)
    assert clause(reader).few and " UNION ALL " in str(among.query)
    assert not clause(lead_user).few
    assert " UNION ALL " not in str(Incident.objects.restrict(lead_user).query)
    assert list(among) == walked == [second, incident]


def test_an_agency_seeing_few_cases_searches_among_its_grants(
    thresholds, lead_user, incident, outsider
):
    make_incident(lead_user, title="Phishing of a ministry", summary="Mails.")
    tasks.refresh_large_grant_holders()  # lead_user: 2 grants, many; outsider: none, few

    found = Incident.objects.restrict(outsider).search("ransomware")
    assert " UNION ALL " in str(found.query)
    assert list(found) == []
    from incidents.permissions import grant_user

    grant_user(incident, outsider)
    assert list(Incident.objects.restrict(outsider).search("ransomware")) == [incident]


@pytest.fixture
def searched(thresholds, lead_user, monkeypatch):
    """Seven cases, five matching "ransomware", newest last; a walk of three rows."""
    monkeypatch.setattr(querysets, "SEARCH_WALK_ROWS", 3)
    titles = ["Ransomware one", "Phishing", "Ransomware two", "Ransomware three", "DDoS"]
    titles += ["Ransomware four", "Ransomware five"]
    made = [make_incident(lead_user, title=t, summary="Servers down.") for t in titles]
    tasks.refresh_large_grant_holders()
    return [i.pk for i in reversed(made) if i.title.startswith("Ransomware")]


def test_a_large_holders_search_walks_the_newest_cases_then_reads_the_older_ones(
    searched, lead_user
):
    found = Incident.objects.restrict(lead_user).search("ransomware")
    assert list(found.values_list("pk", flat=True)) == searched

    assert found.recent_window(0, 2) == searched[:2]  # within the walk
    assert found.recent_window(0, 5) == searched  # past it: the older matches follow
    assert found.recent_window(1, 4) == searched[1:4]
    assert found.recent_window(4, 9) == searched[4:]
    assert found.order_by("title").recent_window(0, 2) is None  # sorted otherwise


def test_the_list_pages_of_a_walked_search_are_those_of_the_sorted_one(searched, lead_user):
    found = Incident.objects.restrict(lead_user).search("ransomware")
    paginator = LookaheadPaginator(found, 2)
    pages = [[i.pk for i in paginator.page(n).object_list] for n in (1, 2, 3)]

    assert pages == [searched[:2], searched[2:4], searched[4:]]
    assert paginator.count == 5


def test_a_large_holders_count_is_kept_until_a_grant_changes(
    thresholds, lead_user, incident, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from incidents.permissions import revoke_participation

    second = make_incident(lead_user, title="Second case")
    tasks.refresh_large_grant_holders()  # lead_user's agency: 2 grants, a large holder
    assert Incident.objects.visible_count(lead_user) == 2
    with django_assert_num_queries(0):
        assert Incident.objects.visible_count(lead_user) == 2

    with django_capture_on_commit_callbacks(execute=True):
        revoke_participation(second, lead_user.agency)
    assert Incident.objects.visible_count(lead_user) == 1


def test_status_and_severity_filters_add_no_distinct(lead_user):
    from django.http import QueryDict

    from incidents.filtersets import IncidentFilterSet

    filters = IncidentFilterSet(
        QueryDict("status=open&status=investigating&severity=high"),
        queryset=Incident.objects.restrict(lead_user),
    )
    assert filters.is_valid()
    sql = str(filters.qs.query)
    assert "DISTINCT" not in sql and "investigating" in sql
