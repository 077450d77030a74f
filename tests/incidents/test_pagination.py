"""The incident list counts only as far as it needs to, and pages stay navigable."""

import pytest
from django.urls import reverse

from accounts.models import User
from incidents.pagination import LookaheadPaginator

pytestmark = pytest.mark.django_db


def _users(n):
    User.objects.bulk_create(User(username=f"user-{i:03}") for i in range(n))
    return User.objects.order_by("username")


class _SmallLookahead(LookaheadPaginator):
    lookahead = 2


def test_count_is_exact_when_the_rows_fit_within_the_lookahead():
    paginator = _SmallLookahead(_users(5), 2)
    page = paginator.get_page(1)
    assert paginator.count == 5
    assert paginator.is_capped is False
    assert paginator.num_pages == 3
    assert [u.username for u in page] == ["user-000", "user-001"]


def test_count_stops_at_the_requested_page_plus_the_lookahead():
    paginator = _SmallLookahead(_users(30), 2)
    paginator.get_page(1)
    assert paginator.count == 6  # (page 1 + 2 pages ahead) x 2 per page
    assert paginator.is_capped is True
    assert paginator.num_pages == 3


def test_later_pages_move_the_limit_and_show_their_rows():
    paginator = _SmallLookahead(_users(30), 2)
    page = paginator.get_page(5)
    assert page.number == 5
    assert [u.username for u in page] == ["user-008", "user-009"]
    assert paginator.count == 14 and paginator.is_capped


def test_a_page_past_the_end_shows_the_last_page():
    paginator = _SmallLookahead(_users(7), 2)
    page = paginator.get_page(50)
    assert page.number == 4
    assert paginator.is_capped is False
    assert [u.username for u in page] == ["user-006"]


def test_a_page_is_two_queries_the_ordered_ids_then_its_rows_by_key(
    django_assert_num_queries,
):
    users = _users(30).select_related("agency").order_by("-username")
    with django_assert_num_queries(2) as captured:
        page = _SmallLookahead(users, 4).get_page(2)
        names = [u.username for u in page]
    assert names == ["user-025", "user-024", "user-023", "user-022"]
    by_key = captured.captured_queries[1]["sql"]
    assert "ORDER BY" not in by_key and "agency" in by_key  # select_related is kept
    assert page.paginator.count == 16 and page.paginator.is_capped  # (2 + 2 ahead) x 4


def test_an_annotated_list_keeps_its_computed_columns():
    from django.db.models import Value
    from django.db.models.functions import Concat

    users = _users(5).annotate(label=Concat("username", Value("!")))
    page = _SmallLookahead(users, 2).get_page(2)
    assert [u.label for u in page] == ["user-002!", "user-003!"]


def test_rubbish_page_numbers_show_the_first_page():
    paginator = _SmallLookahead(_users(7), 2)
    assert paginator.get_page("abc").number == 1


def test_incident_list_says_more_than_when_the_count_is_capped(
    client, lead_user, settings, monkeypatch
):
    from incidents import views
    from tests.factories import make_incident

    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    monkeypatch.setattr(LookaheadPaginator, "lookahead", 1)
    for i in range(6):
        make_incident(lead_user, title=f"Case {i}")
    client.force_login(lead_user)

    first = client.get(reverse("incidents:list")).content.decode()
    assert "More than 4 incidents" in first
    assert "of more than 4" in first

    last = client.get(reverse("incidents:list") + "?page=3").content.decode()
    assert "6 incidents" in last and "More than" not in last
    assert "Page 3 of 3" in last


def test_a_deep_page_reads_ids_from_its_own_offset_only(django_assert_num_queries):
    users = _users(30)
    with django_assert_num_queries(2) as captured:
        page = _SmallLookahead(users, 2).get_page(6)
        names = [u.username for u in page]
    assert names == ["user-010", "user-011"]
    assert "OFFSET 10" in captured.captured_queries[0]["sql"]
    assert page.paginator.count == 16 and page.paginator.is_capped  # (6 + 2 ahead) x 2


def test_a_page_past_the_end_of_an_empty_list_is_the_empty_first_page():
    paginator = _SmallLookahead(User.objects.none(), 2)
    page = paginator.get_page(3)
    assert page.number == 1
    assert list(page) == []
    assert paginator.count == 0


def test_the_last_page_is_exact_when_reached_from_its_own_number():
    paginator = _SmallLookahead(_users(7), 2)
    page = paginator.get_page(4)
    assert [u.username for u in page] == ["user-006"]
    assert paginator.count == 7 and not paginator.is_capped
