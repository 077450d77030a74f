"""Exercise pages for the four personas: controller, player, outsider, anonymous."""

from datetime import timedelta

import pytest
from django.urls import reverse

from coordination.exercises import actions
from coordination.exercises.choices import ExerciseStatus, InjectStatus
from coordination.exercises.models import Exercise
from tests.exercises.conftest import START
from tests.factories import UserFactory

pytestmark = pytest.mark.exercise

PAGES = ["exercises:detail", "exercises:play", "exercises:report", "exercises:report_csv"]


@pytest.fixture
def outsider(db):
    return UserFactory(username="stranger")


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_sign_in(client, exercise, name):
    response = client.get(reverse(name, args=[exercise.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", [*PAGES, "exercises:board"])
def test_an_outsider_does_not_learn_the_exercise_exists(client, exercise, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(name, args=[exercise.pk])).status_code == 404
    listed = client.get(reverse("exercises:list")).content.decode()
    assert exercise.title not in listed


def test_a_player_reads_the_players_page_and_report_but_does_not_control(client, exercise, players):
    client.force_login(players["affected-a"])
    detail = client.get(reverse("exercises:detail", args=[exercise.pk]))
    assert detail.status_code == 302 and detail["Location"].endswith("/play/")
    play = client.get(reverse("exercises:play", args=[exercise.pk]))
    assert play.status_code == 200 and "[EXERCISE]" in play.content.decode()
    assert client.get(reverse("exercises:report", args=[exercise.pk])).status_code == 200
    assert client.get(reverse("exercises:board", args=[exercise.pk])).status_code == 403
    control = client.post(reverse("exercises:control", args=[exercise.pk]), {"action": "start"})
    assert control.status_code == 403
    assert Exercise.objects.get(pk=exercise.pk).status == ExerciseStatus.SCHEDULED
    assert client.get(reverse("exercises:new")).status_code == 403


def test_the_controller_sets_up_an_exercise_from_a_scenario(
    client, controller, play_agencies, django_assert_max_num_queries
):
    client.force_login(controller)
    choice = client.get(reverse("exercises:new")).content.decode()
    assert "Supply-chain compromise of a software vendor" in choice
    url = reverse("exercises:new") + "?scenario=payment-ddos"
    assert client.get(url).status_code == 200

    incomplete = client.post(url, {"scenario": "payment-ddos", "starts_at": ""})
    assert incomplete.status_code == 400
    body = incomplete.content.decode()
    assert 'id="id_starts_at_error"' in body and 'id="id_role_lead_error"' in body

    roles = ("lead", "host-a", "host-b", "cert", "prosecutor")
    data = {"scenario": "payment-ddos", "starts_at": "2026-11-23T10:00"}
    data |= {f"role_{r}": a.pk for r, a in zip(roles, play_agencies.values(), strict=True)}
    created = client.post(url, data)
    exercise = Exercise.objects.get()
    assert created.status_code == 302 and created["Location"] == exercise.get_absolute_url()
    assert exercise.injects.count() == 8
    assert exercise.organiser == controller.agency
    with django_assert_max_num_queries(20):
        assert client.get(exercise.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exercises:list")).status_code == 200


def test_a_scheduled_exercise_offers_no_release_and_no_report_until_it_starts(
    clock, client, exercise, controller
):
    client.force_login(controller)
    page = client.get(exercise.get_absolute_url()).content.decode()
    assert "Release now" not in page and "After-action report" not in page
    inject = exercise.injects.get(key="hospital-iocs")
    refused = client.post(
        reverse("exercises:inject", args=[exercise.pk, inject.pk]),
        {"action": "release"},
        follow=True,
    )
    assert "Start the exercise before releasing an inject." in refused.content.decode()
    assert exercise.injects.get(pk=inject.pk).status == InjectStatus.PENDING
    client.post(reverse("exercises:control", args=[exercise.pk]), {"action": "start"})
    page = client.get(exercise.get_absolute_url()).content.decode()
    assert "Release now" in page and "After-action report" in page


def test_the_controller_drives_the_exercise_from_the_board(clock, client, exercise, controller):
    client.force_login(controller)
    control = reverse("exercises:control", args=[exercise.pk])
    assert client.post(control, {"action": "start"}).status_code == 302
    actions.release_due()  # beat's first round: the case is filed
    inject = exercise.injects.get(key="hospital-iocs")
    url = reverse("exercises:inject", args=[exercise.pk, inject.pk])
    client.post(url, {"action": "hold"})
    assert exercise.injects.get(pk=inject.pk).status == InjectStatus.HELD
    client.post(url, {"action": "release"})
    assert exercise.injects.get(pk=inject.pk).status == InjectStatus.RELEASED
    asked = exercise.injects.get(key="lead-asks-a")  # its case is filed: it runs
    client.post(reverse("exercises:inject", args=[exercise.pk, asked.pk]), {"action": "release"})
    board = client.get(reverse("exercises:board", args=[exercise.pk])).content.decode()
    assert "Hospital IT sends the first indicators" in board
    assert client.post(control, {"action": "pause"}).status_code == 302
    assert client.post(control, {"action": "resume"}).status_code == 302
    assert client.post(control, {"action": "end"}).status_code == 302
    assert Exercise.objects.get(pk=exercise.pk).status == ExerciseStatus.ENDED
    again = client.post(control, {"action": "start"}, follow=True)
    assert "cannot be running" in again.content.decode()


def test_a_player_acknowledges_an_inject_of_its_agency_once(
    clock, client, exercise, controller, players
):
    actions.start(exercise, controller)
    actions.release_due()
    first = exercise.injects.get(key="first-hospital")
    url = reverse("exercises:inject", args=[exercise.pk, first.pk])

    client.force_login(players["affected-a"])  # not the agency it went to
    assert client.post(url, {"action": "acknowledge"}).status_code == 403

    client.force_login(players["lead"])
    clock.move_to(START + timedelta(minutes=3))
    assert client.post(url, {"action": "acknowledge"}).status_code == 302
    client.post(url, {"action": "acknowledge"})
    first.refresh_from_db()
    assert first.acknowledged_at == START + timedelta(minutes=3)
    play = client.get(reverse("exercises:play", args=[exercise.pk])).content.decode()
    assert "Acknowledged at" in play and first.result_label in play


def test_exercise_cases_and_requests_carry_the_banner(clock, client, exercise, controller, players):
    actions.start(exercise, controller)
    clock.move_to(START + timedelta(hours=3))
    actions.release_due()
    drill = exercise.incidents.get(key="hospital-lead").incident
    client.force_login(players["lead"])
    assert "exercise-banner" in client.get(drill.get_absolute_url()).content.decode()
    request = drill.assistance_requests.get()
    assert "exercise-banner" in client.get(request.get_absolute_url()).content.decode()
    evidence = drill.evidence.get()
    assert "exercise-banner" in client.get(evidence.get_absolute_url()).content.decode()


def test_the_navigation_links_exercises_for_agency_users(client, players):
    client.force_login(players["lead"])
    body = client.get(reverse("incidents:dashboard")).content.decode()
    assert f'href="{reverse("exercises:list")}"' in body


@pytest.mark.parametrize(
    ("name", "current"),
    [("exercises:list", "Exercises"), ("incidents:list", "Incidents")],
)
def test_only_the_page_s_own_section_is_marked_current(client, players, name, current):
    import re

    client.force_login(players["lead"])
    body = client.get(reverse(name)).content.decode()
    nav = body[body.index('class="mainnav"') : body.index("</nav>", body.index('class="mainnav"'))]
    assert re.findall(r'aria-current="page">([^<]+)</a>', nav) == [current]
