"""Concurrent writers on PostgreSQL: no duplicate references, exactly one status change wins."""

import threading

import pytest
from django.db import connection

from incidents import actions
from incidents.choices import Status
from incidents.exceptions import ConcurrentChange
from incidents.models import Incident
from tests.factories import make_incident


def run_in_threads(target, count=2):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker(index):
        try:
            barrier.wait(timeout=10)
            results.append(target(index))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_never_duplicates_a_reference(require_postgres, lead_user):
    def file_many(index):
        return [
            make_incident(lead_user, title=f"Thread {index} case {n}").reference for n in range(15)
        ]

    results, errors = run_in_threads(file_many)
    assert not errors
    references = [ref for batch in results for ref in batch]
    assert len(references) == 30
    assert len(set(references)) == 30
    assert Incident.objects.count() == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_changing_status_at_once_exactly_one_wins(require_postgres, lead_user):
    incident = make_incident(lead_user)
    # Both officers loaded the incident while it was open; they submit at the same time.
    copies = [Incident.objects.get(pk=incident.pk) for _ in range(2)]

    def start(index):
        actions.change_status(copies[index], lead_user, Status.INVESTIGATING)
        return index

    results, errors = run_in_threads(start)
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], ConcurrentChange)
    assert incident.timeline.filter(kind="status_change").count() == 1
