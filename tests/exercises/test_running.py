"""Running an exercise: injects released when due, once each, in order, to the right
agencies; controller's hold, release, replay, pause, resume and end."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from coordination.assistance.models import AssistanceRequest
from coordination.exercises import actions
from coordination.exercises.choices import ExerciseStatus, InjectStatus
from coordination.exercises.models import Inject
from coordination.intel.models import Indicator
from coordination.notifications.models import Notification
from incidents.models import Evidence, Incident
from tests.exercises.conftest import START

pytestmark = pytest.mark.exercise


def released(exercise):
    return list(
        exercise.injects.filter(status=InjectStatus.RELEASED)
        .order_by("released_at", "pk")
        .values_list("key", flat=True)
    )


def test_a_planned_exercise_starts_by_itself_at_its_start_time(clock, exercise):
    clock.move_to(START - timedelta(minutes=5))
    assert actions.release_due() == 0
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.SCHEDULED

    clock.move_to(START + timedelta(minutes=25))
    assert actions.release_due() == 2  # the first two injects, in one round
    exercise.refresh_from_db()
    assert exercise.status == ExerciseStatus.RUNNING and exercise.started_at == START


def test_started_by_hand_the_injects_fall_due_from_that_moment(clock, exercise, controller):
    clock.move_to(START - timedelta(hours=1))
    actions.start(exercise, controller)
    assert exercise.injects.get(key="hospital-iocs").due_at == START - timedelta(minutes=40)
    assert actions.release_due() == 1


def test_injects_are_released_when_due_in_order_to_their_agencies(
    clock, exercise, controller, play_agencies
):
    actions.start(exercise, controller)

    assert actions.release_due() == 1  # the first inject is due at the start
    assert released(exercise) == ["first-hospital"]
    first = exercise.injects.get(key="first-hospital")
    incident = Incident.objects.get(pk=exercise.incidents.get(key="hospital-lead").incident_id)
    assert incident.is_exercise and incident.lead_agency == play_agencies["lead"]
    assert first.result_label == incident.reference

    clock.move_to(START + timedelta(minutes=40))
    assert actions.release_due() == 2
    assert released(exercise) == ["first-hospital", "hospital-iocs", "gateway-logs"]
    assert Indicator.objects.filter(incident=incident).count() == 3
    assert Evidence.objects.filter(incident=incident).count() == 1

    clock.move_to(START + timedelta(hours=3))
    actions.release_due()
    assert released(exercise) == [
        "first-hospital",
        "hospital-iocs",
        "gateway-logs",
        "second-hospital",
        "cert-advisory",
        "leak-site",
        "third-hospital",
        "lead-asks-a",
        "facilitator-check",
    ]
    assert actions.release_due() == 0  # once each
    second = Incident.objects.get(pk=exercise.incidents.get(key="hospital-a").incident_id)
    assert second.lead_agency == play_agencies["affected-a"]
    request = AssistanceRequest.objects.get(incident=incident)
    assert request.status == "sent"
    assert request.requesting_agency == play_agencies["lead"]
    assert request.receiving_agency == play_agencies["affected-a"]
    assert not exercise.injects.filter(status=InjectStatus.FAILED).exists()


def test_each_inject_is_announced_to_its_agency_marked_as_exercise(clock, exercise, controller):
    actions.start(exercise, controller)
    clock.move_to(START + timedelta(hours=1, minutes=15))
    actions.release_due()

    advisory = exercise.injects.get(key="cert-advisory")
    emails = Notification.objects.filter(channel="email", event="exercise_inject")
    cert_mail = emails.filter(agency=advisory.agency)
    assert cert_mail.exists()
    for row in emails:
        assert row.subject.startswith("[EXERCISE] ")
        assert row.body_text.startswith("[EXERCISE] ")
        assert "[EXERCISE]" in row.body_html
    assert not emails.filter(agency=exercise.organiser).exists()


def test_a_held_inject_waits_until_released_by_hand(clock, exercise, controller):
    actions.start(exercise, controller)
    iocs = exercise.injects.get(key="hospital-iocs")
    actions.hold(iocs, controller)
    clock.move_to(START + timedelta(minutes=25))
    actions.release_due()
    assert released(exercise) == ["first-hospital"]

    actions.release_by_hand(Inject.objects.get(pk=iocs.pk), controller)
    assert released(exercise) == ["first-hospital", "hospital-iocs"]


def test_a_replay_runs_the_inject_again(clock, exercise, controller):
    actions.start(exercise, controller)
    actions.release_due()
    clock.move_to(START + timedelta(minutes=36))
    actions.release_due()
    logs = exercise.injects.get(key="gateway-logs")
    clock.move_to(START + timedelta(minutes=50))
    actions.release_by_hand(logs, controller, replay=True)
    logs.refresh_from_db()
    assert logs.release_count == 2
    assert Evidence.objects.filter(incident__exercise_link__exercise=exercise).count() == 2


def test_a_pause_holds_the_clock_and_resume_shifts_what_is_to_come(clock, exercise, controller):
    actions.start(exercise, controller)
    actions.release_due()
    clock.move_to(START + timedelta(minutes=10))
    actions.pause(exercise, controller)
    clock.move_to(START + timedelta(minutes=40))
    assert actions.release_due() == 0

    actions.resume(exercise, controller)
    assert exercise.injects.get(key="hospital-iocs").due_at == START + timedelta(minutes=50)
    clock.move_to(START + timedelta(minutes=45))
    assert actions.release_due() == 0
    clock.move_to(START + timedelta(minutes=50))
    assert actions.release_due() == 1


def test_ending_cancels_what_is_to_come_and_makes_the_cases_read_only(
    clock, exercise, controller, players
):
    from incidents import actions as incident_actions

    actions.start(exercise, controller)
    actions.release_due()
    incident = exercise.incidents.get(key="hospital-lead").incident
    actions.end(exercise, controller)

    assert exercise.status == ExerciseStatus.ENDED
    assert not exercise.injects.filter(status=InjectStatus.PENDING).exists()
    lead = players["lead"]
    assert Incident.objects.restrict(lead).filter(pk=incident.pk).exists()  # still readable
    with pytest.raises(PermissionDenied):
        incident_actions.add_timeline_entry(incident, lead, "After the end")
    with pytest.raises(actions.ExerciseConflict):
        actions.start(exercise, controller)


def test_an_inject_without_a_player_fails_with_its_reason(clock, exercise, controller, players):
    players["lead"].delete()
    actions.start(exercise, controller)
    actions.release_due()
    first = exercise.injects.get(key="first-hospital")
    assert first.status == InjectStatus.FAILED
    assert "no active user" in first.failure


def test_only_the_organisers_controllers_control(clock, exercise, players):
    with pytest.raises(PermissionDenied):
        actions.start(exercise, players["lead"])


@pytest.mark.parametrize("scenario_id", ["hospital-ransomware", "payment-ddos", "supply-chain"])
def test_every_shipped_scenario_plays_to_its_end_without_a_failed_inject(
    clock, controller, play_agencies, players, scenario_id
):
    from coordination.exercises import scenarios

    scenario = scenarios.get(scenario_id)
    agencies = {
        role["key"]: agency
        for role, agency in zip(scenario.roles, play_agencies.values(), strict=True)
    }
    exercise = actions.create_exercise(
        controller, scenario=scenario, starts_at=START, agencies=agencies
    )
    actions.start(exercise, controller)
    clock.move_to(START + timedelta(days=1))
    actions.release_due()
    failed = {i.key: i.failure for i in exercise.injects.exclude(status=InjectStatus.RELEASED)}
    assert failed == {}


def test_archived_content_keeps_its_append_only_rules(clock, exercise, controller, players):
    from incidents.evidence.actions import record_custody_event, verify_chain
    from incidents.models import TimelineEntry

    actions.start(exercise, controller)
    clock.move_to(START + timedelta(hours=1))
    actions.release_due()
    drill = exercise.incidents.get(key="hospital-lead").incident
    evidence = Evidence.objects.get(incident=drill)
    entries = TimelineEntry.objects.filter(incident=drill)
    count = entries.count()
    actions.end(exercise, controller)

    # Nothing of the exercise was deleted or rewritten by ending it
    assert entries.count() == count
    assert verify_chain(evidence)[1].ok
    # ... the timeline still refuses rewriting, and the archive refuses new custody steps
    with pytest.raises(TypeError):
        entries.update(body="rewritten")
    with pytest.raises(PermissionDenied):
        record_custody_event(evidence, players["lead"], "accessed", purpose="After the end")


def test_mail_about_exercise_cases_is_marked_in_subject_and_body(
    clock, exercise, controller, players, play_agencies
):
    from incidents import actions as incident_actions

    actions.start(exercise, controller)
    actions.release_due()
    drill = exercise.incidents.get(key="hospital-lead").incident
    incident_actions.share_incident(
        drill, play_agencies["affected-a"], "contributor", players["lead"]
    )

    shared = Notification.objects.filter(event="incident_shared", channel="email")
    assert shared.exists()
    for row in shared:
        assert row.subject.startswith("[EXERCISE] ")
        assert row.body_text.startswith("[EXERCISE] ")
        assert "[EXERCISE]" in row.body_html
