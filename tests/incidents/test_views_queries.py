"""Query-count guards: the pages cost the same with 3 or 30 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from incidents import actions
from incidents.choices import TLP, ParticipationRole
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = pytest.mark.django_db

# session, user with agency, the user's group ids, incident with its entry count and the
# user's rights, participants, timeline page + audience + corrections + attachments,
# invitable agencies, recipients, tags, the agency's tag suggestions (when not already in
# the cache): 13, the page budget.
MAX_QUERIES = 13


def _count(client, url):
    """The queries of ``url`` drawn again (what is cached until a write, is cached)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _seed_incidents(lead_user, invited_agency, n):
    for i in range(n):
        incident = make_incident(
            lead_user,
            title=f"Case {i}",
            affected_countries=["DE", "FR"],
            shared_with=[(invited_agency, ParticipationRole.CONTRIBUTOR)],
        )
        actions.add_timeline_entry(incident, lead_user, f"Note {i}")


@pytest.mark.parametrize("page", ["incidents:dashboard", "incidents:list"])
def test_dashboard_and_list_queries_do_not_grow_with_rows(
    client, django_assert_max_num_queries, lead_user, invited_user, invited_agency, page
):
    client.force_login(invited_user)
    _seed_incidents(lead_user, invited_agency, 3)
    few = _count(client, reverse(page))
    _seed_incidents(lead_user, invited_agency, 27)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(reverse(page))
    assert _count(client, reverse(page)) == few


def test_detail_queries_do_not_grow_with_entries_participants_or_recipients(
    client, django_assert_max_num_queries, lead_user, invited_user, incident
):
    def seed(n):
        for i in range(n):
            agency = AgencyFactory(country="NL")
            member = UserFactory(agency=agency, role=Role.INVESTIGATOR)
            actions.share_incident(incident, agency, ParticipationRole.CONTRIBUTOR, lead_user)
            entry = actions.add_timeline_entry(
                incident, lead_user, f"Red {i}", tlp=TLP.RED, audience=[member, invited_user]
            )
            actions.add_timeline_entry(incident, lead_user, f"Fix {i}", tlp=TLP.RED, corrects=entry)

    client.force_login(lead_user)
    seed(3)
    few = _count(client, incident.get_absolute_url())
    seed(27)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(incident.get_absolute_url())
    assert _count(client, incident.get_absolute_url()) == few
    # The invited member sees the page (no share controls) for no more
    client.force_login(invited_user)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(incident.get_absolute_url())


def test_timeline_asks_only_for_what_its_entries_have(lead_user, incident):
    from incidents.views import _attach_related, _timeline_entries

    plain = actions.add_timeline_entry(incident, lead_user, "Plain note")
    with CaptureQueriesContext(connection) as ctx:
        entries = _attach_related(list(_timeline_entries(incident, lead_user)), lead_user)
    assert len(ctx.captured_queries) == 1  # the entries, nothing prefetched for nothing
    assert all(not e.attachments.all() and e.visible_corrections == [] for e in entries)

    actions.add_timeline_entry(incident, lead_user, "Secret", tlp=TLP.RED, audience=[])
    actions.add_timeline_entry(incident, lead_user, "Fixed", corrects=plain)
    with CaptureQueriesContext(connection) as ctx:
        entries = _attach_related(list(_timeline_entries(incident, lead_user)), lead_user)
    assert len(ctx.captured_queries) == 3  # entries, the RED entry's audience, corrections
    corrected = next(e for e in entries if e.pk == plain.pk)
    assert [c.body for c in corrected.visible_corrections] == ["Fixed"]
