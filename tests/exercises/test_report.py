"""The after-action report measures each response from the inject's release, against the
scenario's targets, and leaves out what the injects wrote themselves."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from coordination.assistance.actions import create_request
from coordination.assistance.models import AssistanceRequest
from coordination.assistance.transitions import transition_request
from coordination.exercises import actions, report
from coordination.intel.actions import add_indicator
from incidents import actions as incident_actions
from incidents.choices import ParticipationRole
from tests.exercises.conftest import START

pytestmark = pytest.mark.exercise


def at(clock, minutes):
    clock.move_to(START + timedelta(minutes=minutes))
    actions.release_due()


def inject(exercise, key):
    return exercise.injects.select_related("exercise").get(key=key)


@pytest.fixture
def responded(clock, exercise, controller, players, play_agencies):
    """Two and a half hours of play: the lead and the first affected country respond."""
    lead, lead_liaison = players["lead"], players["lead-liaison"]
    actions.start(exercise, controller)
    at(clock, 0)
    drill = exercise.incidents.get(key="hospital-lead").incident
    at(clock, 5)
    actions.acknowledge(inject(exercise, "first-hospital"), lead)  # 5 min, target 15
    at(clock, 20)  # the indicators inject
    at(clock, 35)
    at(clock, 50)
    incident_actions.share_incident(  # 50 min, target 1 h
        drill, play_agencies["affected-a"], ParticipationRole.CONTRIBUTOR, lead
    )
    at(clock, 60)
    at(clock, 70)
    at(clock, 80)
    add_indicator(drill, lead, value="evil-gateway-login.net")  # 60 min after release: late
    at(clock, 90)  # the leak site
    at(clock, 120)
    request = create_request(
        lead,
        incident=drill,
        legal_basis="police",
        measures=["traffic"],
        facts="Leak site hosting.",
        receiving_agency=play_agencies["affected-b"],
        data_sought=[
            {"kind": "ip_time", "value": "198.51.100.9", "observed_at": START},
        ],
    )
    transition_request(request, "submit", lead)
    at(clock, 130)
    transition_request(request, "approve", lead_liaison)  # 40 min after the leak-site inject
    at(clock, 150)  # the lead country's request to the first affected country
    at(clock, 180)
    incoming = AssistanceRequest.objects.get(pk=inject(exercise, "lead-asks-a").refs["requests"][0])
    answerer = players["affected-a-liaison"]
    transition_request(incoming, "acknowledge", answerer)
    at(clock, 210)
    transition_request(incoming, "accept", answerer)  # 60 min after release, target 4 h
    return exercise


def rows_of(built):
    return {(row.inject.key, row.measure): row for row in built.measurements}


def test_times_are_measured_from_each_release(responded):
    rows = rows_of(report.build(responded))

    assert rows[("first-hospital", "acknowledge")].taken == timedelta(minutes=5)
    assert rows[("first-hospital", "acknowledge")].outcome == "met"
    assert rows[("first-hospital", "share_incident")].taken == timedelta(minutes=50)
    assert rows[("hospital-iocs", "paste_indicators")].taken == timedelta(minutes=60)
    assert rows[("hospital-iocs", "paste_indicators")].outcome == "late"
    assert rows[("leak-site", "send_request")].taken == timedelta(minutes=40)
    assert rows[("lead-asks-a", "answer")].taken == timedelta(minutes=60)
    assert rows[("lead-asks-a", "answer")].outcome == "met"


def test_what_the_injects_wrote_does_not_count_as_a_response(responded):
    rows = rows_of(report.build(responded))
    # The inject pasted indicators as the lead agency at once: not its response.
    assert rows[("hospital-iocs", "paste_indicators")].taken != timedelta(0)
    # The lead's request the inject approved at 2 h 30 is not the lead's own send.
    assert rows[("leak-site", "send_request")].taken == timedelta(minutes=40)


def test_what_was_never_done_is_listed(responded):
    built = report.build(responded)
    never = {(row.inject.key, row.measure) for row in built.never_done}
    assert ("hospital-iocs", "acknowledge") in never
    assert ("second-hospital", "share_incident") in never
    assert ("first-hospital", "acknowledge") not in never
    summary = {s.name: s for s in built.summaries}
    assert summary["BKA-X"].met >= 3 and summary["BKA-X"].late == 1


def test_the_timeline_runs_in_order_through_the_whole_exercise(responded):
    timeline = report.build(responded).timeline
    assert [item.at for item in timeline] == sorted(item.at for item in timeline)
    texts = " | ".join(item.text for item in timeline)
    assert "Exercise started" in texts and "Share the incident" in texts


def test_the_report_page_draws_its_charts_and_downloads_as_csv_and_pdf(
    client, responded, controller
):
    client.force_login(controller)
    page = client.get(reverse("exercises:report", args=[responded.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "chart__bar--met" in body and "chart__bar--late" in body
    assert "[EXERCISE]" in body
    assert "<script" not in body.split('id="main"')[1]

    csv_response = client.get(reverse("exercises:report_csv", args=[responded.pk]))
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode())))
    ack = next(r for r in rows if r["inject"] == "first-hospital" and r["measure"] == "acknowledge")
    assert ack["taken_minutes"] == "5.0" and ack["outcome"] == "met"

    pdf = client.get(reverse("exercises:report_pdf", args=[responded.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "After-action report" in text and "EXERCISE" in text


def test_lessons_learned_are_collected_in_the_report(client, responded, players):
    client.force_login(players["affected-a"])
    response = client.post(
        reverse("exercises:lesson", args=[responded.pk]),
        {"body": "We had no contact for the hospital's vendor."},
    )
    assert response.status_code == 302
    empty = client.post(reverse("exercises:lesson", args=[responded.pk]), {"body": " "})
    assert empty.status_code == 400
    lessons = report.build(responded).lessons
    assert [lesson.body for lesson in lessons] == ["We had no contact for the hospital's vendor."]
