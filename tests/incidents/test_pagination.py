"""The incident list counts only as far as it needs to, and pages stay navigable."""

import re

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


# Keyset: a "Next" link starts the next page where the last one ended ---------------------


def _users_by_join_date(n):
    """``n`` users, several joined at the same instant (ties are broken by the key)."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    User.objects.bulk_create(
        User(username=f"user-{i:03}", date_joined=start + timedelta(minutes=i // 3))
        for i in range(n)
    )
    return User.objects.order_by("-date_joined", "-pk")


def test_next_link_position_walks_every_row_once_in_order():
    users = _users_by_join_date(11)
    expected = [u.username for u in users]
    seen, number, after = [], 1, None
    while True:
        page = _SmallLookahead(users, 2).get_page(number, after=after)
        seen += [u.username for u in page]
        if not page.has_next():
            assert page.next_cursor == ""
            break
        number, after = page.next_page_number(), page.next_cursor
    assert seen == expected


def test_a_page_after_a_position_reads_no_offset(django_assert_num_queries):
    users = _users_by_join_date(30)
    cursor = _SmallLookahead(users, 2).get_page(5).next_cursor
    with django_assert_num_queries(2) as captured:
        page = _SmallLookahead(users, 2).get_page(6, after=cursor)
        names = [u.username for u in page]
    assert names == [u.username for u in users[10:12]]
    walk = captured.captured_queries[0]["sql"]
    assert "OFFSET" not in walk and "date_joined" in walk
    assert page.number == 6
    assert page.paginator.count == 16 and page.paginator.is_capped  # still (6 + 2 ahead) x 2


def test_a_position_keeps_the_walk_steady_when_an_earlier_row_moves_to_the_top():
    from django.utils import timezone

    users = _users_by_join_date(10)
    page = _SmallLookahead(users, 2).get_page(1)
    shown = [u.username for u in page]
    # Another row is updated meanwhile and becomes the newest: an offset would show a row twice.
    User.objects.filter(username="user-003").update(date_joined=timezone.now())
    following = _SmallLookahead(users, 2).get_page(2, after=page.next_cursor)
    assert not set(shown) & {u.username for u in following}
    assert [u.username for u in following] == ["user-007", "user-006"]


@pytest.mark.parametrize(
    "token", ["", "abc", "1_2_3", "99999999999999999999999_1", "-1e5_4", "1_x"]
)
def test_a_rubbish_position_falls_back_to_counting_from_the_top(token):
    users = _users_by_join_date(9)
    page = _SmallLookahead(users, 2).get_page(2, after=token)
    assert [u.username for u in page] == [u.username for u in users[2:4]]


def test_orders_the_index_cannot_resume_offer_no_position():
    _users(5)
    for order in (
        ("username", "-pk"),
        ("-date_joined", "pk"),
        ("-last_login", "-pk"),
        ("-date_joined",),
    ):
        page = _SmallLookahead(User.objects.order_by(*order), 2).get_page(1)
        assert page.next_cursor == "", order


def test_incident_list_next_link_carries_the_position_and_page_links_do_not(
    client, lead_user, monkeypatch
):
    from incidents import views
    from tests.factories import make_incident

    monkeypatch.setattr(views, "LIST_PAGE_SIZE", 2)
    for i in range(5):
        make_incident(lead_user, title=f"Case {i}")
    client.force_login(lead_user)
    first = client.get(reverse("incidents:list"))
    cursor = first.context["page"].next_cursor
    assert cursor and f"page=2&amp;after={cursor}" in first.content.decode()

    second = client.get(reverse("incidents:list"), {"page": 2, "after": cursor})
    html = second.content.decode()
    assert [i.title for i in second.context["page"]] == ["Case 2", "Case 1"]
    assert 'href="?page=1"' in html  # numbered and previous links drop the position
    sort_links = re.findall(r'href="(\?[^"]*sort=[^"]*)"', html)
    assert sort_links and not [link for link in sort_links if "after=" in link]
