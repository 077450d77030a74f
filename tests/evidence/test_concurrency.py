"""Concurrent custody writers on PostgreSQL: gap-free numbers, an intact chain."""

import pytest

from incidents.evidence import actions, chain
from incidents.evidence.choices import CustodyAction, EvidenceStatus
from incidents.exceptions import TransitionNotAllowed
from incidents.models import Evidence
from tests.evidence.conftest import evidence_fields
from tests.incidents.test_concurrency import run_in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_threads_appending_get_gap_free_numbers_and_an_intact_chain(
    require_postgres, incident, lead_user
):
    item = actions.create_evidence(incident, lead_user, **evidence_fields())

    def append_many(index):
        for n in range(10):
            copy = Evidence.objects.select_related("incident").get(pk=item.pk)
            actions.record_custody_event(
                copy, lead_user, CustodyAction.ANALYSED, purpose=f"thread {index} pass {n}"
            )
        return index

    results, errors = run_in_threads(append_many)
    assert not errors and sorted(results) == [0, 1]
    item.refresh_from_db()
    assert list(item.custody.order_by("seq").values_list("seq", flat=True)) == list(range(1, 22))
    result = chain.verify(item)
    assert result.ok and result.length == 21


def test_two_holders_transferring_at_once_open_one_transfer(
    require_postgres, incident, lead_user, invited_agency
):
    item = actions.create_evidence(incident, lead_user, **evidence_fields())

    def hand_over(index):
        copy = Evidence.objects.select_related("incident").get(pk=item.pk)
        return actions.record_custody_event(
            copy,
            lead_user,
            CustodyAction.TRANSFERRED,
            to_agency=invited_agency,
            purpose=f"courier {index}",
        )

    results, errors = run_in_threads(hand_over)
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], TransitionNotAllowed)
    item.refresh_from_db()
    assert item.status == EvidenceStatus.IN_TRANSIT and item.custody_length == 2
    assert chain.verify(item).ok
