"""Tasks across borders: a lead investigator gives a task to a partner agency's user, who
finds it under "My tasks" on the dashboard."""

import pytest
from playwright.sync_api import expect

from accounts.choices import AgencyKind, Role
from incidents.choices import ParticipationRole
from tests.e2e.test_journey import sign_in, snap
from tests.factories import AgencyFactory, UserFactory, make_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_task_assigned_to_a_partner_shows_in_their_my_tasks(new_page, screenshot_dir):
    bka = AgencyFactory(name="Bundeskriminalamt Cybercrime", short_name="BKA-CC", country="DE")
    ofac = AgencyFactory(
        name="Office anti-cybercriminalité", short_name="OFAC", country="FR", kind=AgencyKind.POLICE
    )
    anna = UserFactory(
        username="anna.de",
        first_name="Anna",
        last_name="Schmidt",
        agency=bka,
        role=Role.INVESTIGATOR,
    )
    louis = UserFactory(
        username="louis.fr",
        first_name="Louis",
        last_name="Martin",
        agency=ofac,
        role=Role.INVESTIGATOR,
        language="en",
    )
    incident = make_incident(
        anna,
        title="Ransomware at a logistics firm",
        shared_with=[(ofac, ParticipationRole.CONTRIBUTOR)],
    )

    # The French investigator has nothing to do yet
    fr = new_page()
    sign_in(fr, louis)
    expect(fr.locator("#my-tasks")).to_contain_text("No tasks for you")

    # The German investigator adds a task for him from the incident page
    de = new_page()
    sign_in(de, anna)
    de.goto(incident.get_absolute_url())
    panel = de.locator("#tasks")
    expect(panel).to_contain_text("No tasks yet")
    panel.get_by_text("Add a task", exact=True).click()
    panel.get_by_label("Title").fill("Seize the C2 server in Roubaix")
    panel.get_by_label("Assignee", exact=True).select_option(str(louis.pk))
    panel.get_by_role("button", name="Add task").click()
    task_row = de.locator(".task").filter(has_text="Seize the C2 server in Roubaix")
    expect(task_row).to_contain_text("Assigned to Louis Martin (OFAC)")
    expect(task_row).to_be_focused()
    snap(de, screenshot_dir, "tasks-1-added")

    # He sees it under "My tasks" and follows it to the case
    fr.goto("/")
    my_tasks = fr.locator("#my-tasks")
    expect(my_tasks).to_contain_text("Seize the C2 server in Roubaix")
    expect(my_tasks).to_contain_text(incident.reference)
    snap(fr, screenshot_dir, "tasks-2-my-tasks")
    my_tasks.get_by_role("link", name="Seize the C2 server in Roubaix").click()
    expect(fr.locator("h1")).to_contain_text("Ransomware at a logistics firm")
