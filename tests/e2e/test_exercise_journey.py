"""A joint cyber exercise in a real browser: a controller sets up and runs the hospital
ransomware scenario with three countries; the German and French players respond; the
controller ends it and takes the after-action report as a page, a PDF and a CSV."""

import csv
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.choices import AgencyKind, Role
from coordination.exercises.models import Exercise
from tests.e2e.test_journey import htmx_update, sign_in, snap
from tests.factories import AgencyFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.exercise, pytest.mark.django_db(transaction=True)]

TITLE = "Ransomware across three countries' hospitals"


@pytest.fixture
def cast():
    control = AgencyFactory(
        name="Exercise Control Cell",
        short_name="EXCON",
        country="BE",
        kind=AgencyKind.INTERNATIONAL,
    )
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(
        name="Office anti-cybercriminalité",
        short_name="OFAC",
        country="FR",
        timezone="Europe/Paris",
    )
    htc = AgencyFactory(
        name="Team High Tech Crime",
        short_name="NL-HTC",
        country="NL",
        timezone="Europe/Amsterdam",
    )
    cert = AgencyFactory(
        name="CERT-Bund", short_name="CERT-Bund", country="DE", kind=AgencyKind.CERT
    )
    zit = AgencyFactory(
        name="ZIT Frankfurt", short_name="ZIT", country="DE", kind=AgencyKind.PROSECUTOR
    )
    people = {
        "controller": UserFactory(username="clara.ctl", agency=control, role=Role.AGENCY_ADMIN),
        "de": UserFactory(username="anna.de", agency=bka),
        "fr": UserFactory(username="louis.fr", agency=ofac, timezone="Europe/Paris"),
        "nl": UserFactory(username="noor.nl", agency=htc),
        "cert-analyst": UserFactory(username="carl.cert", agency=cert),
        "zit-liaison": UserFactory(username="zoe.zit", agency=zit, role=Role.LIAISON_OFFICER),
    }
    for agency in (bka, ofac, htc):
        UserFactory(agency=agency, role=Role.LIAISON_OFFICER)
    return {"bka": bka, "ofac": ofac, "htc": htc, "cert": cert, "zit": zit, **people}


def release(page, exercise, key):
    inject = exercise.injects.get(key=key)
    row = page.locator(f"#inject-{inject.pk}")
    row.get_by_role("button", name="Release now").click()
    expect(page.locator(f"#inject-{inject.pk}")).to_contain_text("Released")


def test_a_controller_runs_a_scenario_with_three_countries_to_its_report(
    new_page, cast, screenshot_dir
):
    # The controller sets the scenario up with three countries' agencies in its roles
    ctl = new_page()
    sign_in(ctl, cast["controller"])
    ctl.locator(".mainnav").get_by_role("link", name="Exercises").click()
    ctl.get_by_role("link", name="Set up an exercise").click()
    ctl.locator("section", has_text=TITLE).get_by_role("link", name="Use this scenario").click()
    ctl.locator("#id_starts_at").fill("2026-12-01T09:00")
    for role, agency in (
        ("lead", "bka"),
        ("affected-a", "ofac"),
        ("affected-b", "htc"),
        ("cert", "cert"),
        ("prosecutor", "zit"),
    ):
        ctl.locator(f"#id_role_{role}").select_option(str(cast[agency].pk))
    ctl.get_by_role("button", name="Set up the exercise").click()
    expect(ctl.locator("h1")).to_contain_text(TITLE)
    exercise = Exercise.objects.get()

    # ... starts it and releases the first inject by hand
    ctl.get_by_role("button", name="Start the exercise").click()
    expect(ctl.locator("#exercise-status")).to_have_text("Running")
    release(ctl, exercise, "first-hospital")
    snap(ctl, screenshot_dir, "exercise-1-board")

    # The German lead country acknowledges it, opens the case and shares it with France
    de = new_page()
    sign_in(de, cast["de"])
    de.locator(".mainnav").get_by_role("link", name="Exercises").click()
    de.get_by_role("link", name=TITLE).click()
    expect(de.locator(".exercise-banner").first).to_contain_text("[EXERCISE]")
    card = de.locator(".inject-card", has_text="University hospital: radiology archive encrypted")
    card.get_by_role("button", name="Acknowledge").click()
    card = de.locator(".inject-card", has_text="University hospital: radiology archive encrypted")
    expect(card).to_contain_text("Acknowledged at")
    card.get_by_role("link", name=re.compile(r"Open CC-")).click()
    expect(de.locator(".exercise-banner")).to_be_visible()
    reference = re.search(r"CC-\d{4}-\d{6}", de.url + de.content()).group(0)
    with htmx_update(de, "/agency-options/", "country=FR"):
        de.locator("#id_invite_country").select_option("FR")
    de.locator("#id_invite_agency").select_option(str(cast["ofac"].pk))
    de.get_by_role("button", name="Invite", exact=True).click()
    expect(de.locator("body")).to_contain_text("Office anti-cybercriminalité")
    # ... and the case is on no everyday list
    de.goto("/incidents/")
    expect(de.locator("#results")).not_to_contain_text(reference)

    # The controller releases the second hospital's report to France
    ctl.reload()
    release(ctl, exercise, "second-hospital")

    # France acknowledges, finds the shared case from the exercise and adds a lesson
    fr = new_page()
    sign_in(fr, cast["fr"])
    fr.goto(f"/exercises/{exercise.pk}/play/")
    card = fr.locator(".inject-card", has_text="Regional hospital reports the same ransom note")
    card.get_by_role("button", name="Acknowledge").click()
    expect(
        fr.locator(".inject-card", has_text="Regional hospital reports the same ransom note")
    ).to_contain_text("Acknowledged at")
    expect(fr.locator("#content-heading + p + ul")).to_contain_text(reference)
    fr.get_by_role("textbox", name="Lesson learned").fill(
        "The lead's case reached us before the phone call did."
    )
    fr.get_by_role("button", name="Add the lesson").click()
    expect(fr.locator(".messages")).to_contain_text("Lesson added")
    snap(fr, screenshot_dir, "exercise-2-fr-play")

    # The controller ends the exercise (after confirming) and reads the report
    ctl.reload()
    ctl.once("dialog", lambda dialog: dialog.accept())
    ctl.get_by_role("button", name="End the exercise").click()
    expect(ctl.locator("#exercise-status")).to_have_text("Ended")
    ctl.get_by_role("link", name="After-action report").first.click()
    measurements = ctl.locator("#measurements")
    expect(measurements.locator("tr", has_text="Share the incident").first).to_contain_text(
        "On time"
    )
    expect(ctl.locator("svg.chart").first).to_be_visible()
    expect(ctl.locator("body")).to_contain_text("The lead's case reached us")
    snap(ctl, screenshot_dir, "exercise-3-report")

    with ctl.expect_download() as info:
        ctl.get_by_role("link", name="Download PDF").click()
    text = " ".join(p.extract_text() for p in PdfReader(info.value.path()).pages)
    assert "After-action report" in text and "BKA-CC" in text and "OFAC" in text
    with ctl.expect_download() as info:
        ctl.get_by_role("link", name="Download CSV").click()
    with open(info.value.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    acks = {(r["agency"], r["inject"]): r["outcome"] for r in rows if r["measure"] == "acknowledge"}
    assert acks[("BKA-CC", "first-hospital")] == "met"
    assert acks[("OFAC", "second-hospital")] == "met"
