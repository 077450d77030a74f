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
# invitable agencies, recipients, tags, the agency's tag suggestions: 13, the page budget.
MAX_QUERIES = 13


def _count(client, url):
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
