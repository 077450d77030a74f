"""Concurrent pastes on PostgreSQL: the same value pasted twice at once is stored once."""

import pytest

from coordination.intel import actions
from coordination.intel.actions import Outcome
from coordination.intel.models import Indicator
from incidents.models import Incident
from tests.incidents.test_concurrency import run_in_threads


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_pastes_of_the_same_values_at_once_store_each_value_once(
    require_postgres, incident, lead_user, invited_user
):
    values = "\n".join(f"192.0.2.{n}" for n in range(1, 40))
    people = [lead_user, invited_user]

    def paste(index):
        copy = Incident.objects.get(pk=incident.pk)
        return actions.paste_indicators(copy, people[index], values)

    results, errors = run_in_threads(paste)
    assert not errors
    assert Indicator.objects.filter(incident=incident).count() == 39
    # One paste added every value, the other merged every value.
    outcomes = sorted({line.outcome for line in report.lines} for report in results)
    assert outcomes == [{Outcome.ADDED}, {Outcome.MERGED}]
