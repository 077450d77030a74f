"""Tasks on incidents: assignment across agencies, visibility, templates, reminders, events."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from coordination.notifications.choices import Channel, Event
from coordination.notifications.models import Notification
from incidents import actions
from incidents.casework import actions as casework
from incidents.casework import reminders
from incidents.choices import Category, ParticipationRole, TaskStatus, TimelineKind
from incidents.exceptions import TransitionNotAllowed
from incidents.models import CaseTemplate, CaseTemplateStep, Task, TimelineEntry
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


def _panel(client, incident):
    return client.get(reverse("casework:panel", args=[incident.reference]), HTTP_HX_REQUEST="true")


# Assignment ---------------------------------------------------------------------------


def test_lead_assigns_a_task_to_a_user_of_the_invited_agency(incident, lead_user, invited_user):
    task = casework.add_task(incident, lead_user, title="Image the VPN appliance")
    casework.assign_task(task, lead_user, invited_user)

    task.refresh_from_db()
    assert task.assignee == invited_user
    assert task.status == TaskStatus.OPEN


def test_a_non_participant_cannot_be_assigned(incident, lead_user, outsider):
    with pytest.raises(ValidationError) as exc:
        casework.add_task(incident, lead_user, title="Check logs", assignee=outsider)
    assert "assignee" in exc.value.message_dict
    assert not Task.objects.exists()


def test_assigning_a_non_participant_on_the_page_answers_an_error_beside_the_field(
    client, incident, lead_user, outsider
):
    client.force_login(lead_user)
    response = client.post(
        reverse("casework:add", args=[incident.reference]),
        {"task-title": "Check logs", "task-assignee": outsider.pk},
    )
    assert response.status_code == 400
    assert "field--error" in response.content.decode()
    assert not Task.objects.exists()


def test_api_refuses_a_non_participant_assignee_with_a_field_message(
    api_login, incident, lead_user, outsider
):
    response = api_login(lead_user).post(
        reverse("incidents-api:incident-task-list", args=[incident.reference]),
        {"title": "Check logs", "assignee": outsider.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "assignee" in response.json()


def test_an_observer_cannot_add_tasks(lead_user, outsider, other_agency):
    incident = make_incident(lead_user, shared_with=[(other_agency, ParticipationRole.OBSERVER)])
    with pytest.raises(PermissionDenied):
        casework.add_task(incident, outsider, title="Check logs")


# Visibility ---------------------------------------------------------------------------


def test_another_agency_gets_404_for_the_panel_and_the_api(
    client, api_login, incident, lead_user, outsider
):
    task = casework.add_task(incident, lead_user, title="Secret step")
    client.force_login(outsider)
    assert _panel(client, incident).status_code == 404
    assert (
        client.post(
            reverse("casework:status", args=[incident.reference, task.pk]), {"status": "done"}
        ).status_code
        == 404
    )
    api = api_login(outsider)
    assert (
        api.get(reverse("incidents-api:incident-task-list", args=[incident.reference])).status_code
        == 404
    )


def test_an_observer_sees_tasks_but_may_not_change_them(client, lead_user, outsider, other_agency):
    incident = make_incident(lead_user, shared_with=[(other_agency, ParticipationRole.OBSERVER)])
    task = casework.add_task(incident, lead_user, title="Collect the ransom note")
    client.force_login(outsider)
    assert "Collect the ransom note" in _panel(client, incident).content.decode()
    response = client.post(
        reverse("casework:status", args=[incident.reference, task.pk]), {"status": "done"}
    )
    assert response.status_code == 403


def test_anonymous_is_sent_to_sign_in(client, incident):
    response = client.get(reverse("casework:panel", args=[incident.reference]))
    assert response.status_code == 302


# Status, order, owner ------------------------------------------------------------------


def test_status_moves_along_the_allowed_transitions_only(incident, lead_user):
    task = casework.add_task(incident, lead_user, title="Isolate hosts")
    casework.change_task_status(task, lead_user, TaskStatus.DONE)
    with pytest.raises(TransitionNotAllowed):
        casework.change_task_status(task, lead_user, TaskStatus.IN_PROGRESS)
    casework.change_task_status(task, lead_user, TaskStatus.OPEN)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_a_forbidden_transition_answers_409_in_the_api(api_login, incident, lead_user):
    task = casework.add_task(incident, lead_user, title="Isolate hosts")
    casework.change_task_status(task, lead_user, TaskStatus.CANCELLED)
    response = api_login(lead_user).post(
        reverse("incidents-api:incident-task-change-status", args=[incident.reference, task.pk]),
        {"status": "done"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["allowed"] == ["open"]


def test_moving_a_task_up_reorders_the_list(incident, lead_user):
    *_, third = (casework.add_task(incident, lead_user, title=t) for t in ("one", "two", "three"))
    casework.move_task(third, lead_user, -1)
    assert list(Task.objects.filter(incident=incident).values_list("title", flat=True)) == [
        "one",
        "three",
        "two",
    ]


def test_an_agency_names_its_own_owner_and_not_another_agencys(
    incident, lead_user, invited_user, invited_agency
):
    invited = incident.participations.get(agency=invited_agency)
    casework.set_owner(invited, invited_user, invited_user)
    assert incident.participations.get(agency=invited_agency).owner == invited_user
    with pytest.raises(PermissionDenied):
        casework.set_owner(invited, lead_user, None)


def test_owner_shows_with_the_participants(client, incident, invited_user, invited_agency):
    casework.set_owner(
        incident.participations.get(agency=invited_agency), invited_user, invited_user
    )
    client.force_login(invited_user)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert f"Owner: {invited_user.display_name}" in page


# Timeline -------------------------------------------------------------------------------


def test_task_events_are_written_to_the_timeline(incident, lead_user, invited_user):
    task = casework.add_task(incident, lead_user, title="Check *decryptor*")
    casework.assign_task(task, lead_user, invited_user)
    casework.change_task_status(task, lead_user, TaskStatus.IN_PROGRESS)

    entries = TimelineEntry.objects.filter(
        incident=incident, subject_type__model="task", subject_id=str(task.pk)
    ).order_by("pk")
    bodies = [e.body for e in entries]
    assert len(bodies) == 3
    assert "added" in bodies[0]
    assert invited_user.display_name in bodies[1]
    assert "In progress" in bodies[2]
    assert all(e.kind == TimelineKind.SYSTEM for e in entries)
    # The title is quoted as typed, not read as Markdown.
    assert "<em>" not in entries[0].body_html


# Case templates -------------------------------------------------------------------------


def test_the_filing_agencys_template_prefills_tasks_due_relative_to_filing(
    lead_user, lead_agency, invited_agency
):
    template = CaseTemplate.objects.create(
        agency=lead_agency, category=Category.MALICIOUS_CODE, name="Ransomware"
    )
    CaseTemplateStep.objects.create(template=template, title="Isolate hosts", due_after_hours=4)
    CaseTemplateStep.objects.create(
        template=template, title="Notify the DPA", due_after_hours=72, position=1
    )
    other = CaseTemplate.objects.create(
        agency=invited_agency, category=Category.MALICIOUS_CODE, name="Theirs"
    )
    CaseTemplateStep.objects.create(template=other, title="Not ours")

    incident = make_incident(lead_user, category=Category.MALICIOUS_CODE)

    tasks = list(Task.objects.filter(incident=incident))
    assert [t.title for t in tasks] == ["Isolate hosts", "Notify the DPA"]
    assert tasks[1].due_at - incident.created_at == timedelta(hours=72)
    assert make_incident(lead_user, category=Category.FRAUD).tasks.count() == 0


def test_agency_admin_edits_templates_of_their_agency_only(client, lead_agency, invited_agency):
    admin = UserFactory(agency=lead_agency, role=Role.AGENCY_ADMIN)
    foreign = CaseTemplate.objects.create(
        agency=invited_agency, category=Category.FRAUD, name="Theirs"
    )
    client.force_login(admin)
    response = client.post(
        reverse("casework:template_create"),
        {
            "name": "Ransomware",
            "category": Category.MALICIOUS_CODE,
            "is_active": "on",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "0",
            "steps-0-title": "Isolate hosts",
            "steps-0-due_after_hours": "4",
            "steps-0-position": "0",
        },
    )
    assert response.status_code == 302
    assert CaseTemplate.objects.get(agency=lead_agency).steps.get().title == "Isolate hosts"
    assert client.get(reverse("casework:template_edit", args=[foreign.pk])).status_code == 404


def test_investigators_may_not_edit_case_templates(client, lead_user):
    client.force_login(lead_user)
    assert client.get(reverse("casework:templates")).status_code == 403


# Reminders -------------------------------------------------------------------------------


def _reminders(user):
    return Notification.objects.filter(
        recipient=user, event=Event.TASK_REMINDER, channel=Channel.APP
    )


def test_reminders_are_sent_once_near_and_once_overdue(
    incident, lead_user, invited_user, django_capture_on_commit_callbacks
):
    now = timezone.now()
    task = casework.add_task(
        incident,
        lead_user,
        title="Preserve logs",
        assignee=invited_user,
        due_at=now + timedelta(hours=30),
    )
    assert reminders.sweep(now) == []

    near = now + timedelta(hours=7)
    assert reminders.sweep(near) == [(task.pk, "near")]
    assert reminders.sweep(near) == []
    assert _reminders(invited_user).count() == 1

    late = now + timedelta(hours=31)
    assert reminders.sweep(late) == [(task.pk, "overdue")]
    assert reminders.sweep(late + timedelta(hours=5)) == []
    assert _reminders(invited_user).count() == 2
    subjects = list(_reminders(invited_user).order_by("pk").values_list("subject", flat=True))
    assert "overdue" in subjects[1].lower() or "retard" in subjects[1].lower()


def test_reminder_email_is_in_the_recipients_language_and_time_zone(
    incident, lead_user, invited_user, django_capture_on_commit_callbacks
):
    invited_user.language, invited_user.timezone = "fr", "Europe/Paris"
    invited_user.save()
    due = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    casework.add_task(incident, lead_user, title="Preserve logs", assignee=invited_user, due_at=due)
    reminders.sweep()
    email = Notification.objects.get(
        recipient=invited_user, channel=Channel.EMAIL, event=Event.TASK_REMINDER
    )
    local = timezone.localtime(due, timezone=ZoneInfo("Europe/Paris"))
    assert local.strftime("%H:%M") in email.body_text
    assert "Bonjour" in email.body_text or "tâche" in email.body_text.lower()


def test_done_or_undated_tasks_are_not_reminded(incident, lead_user, invited_user):
    done = casework.add_task(
        incident, lead_user, title="a", assignee=invited_user, due_at=timezone.now()
    )
    casework.change_task_status(done, lead_user, TaskStatus.DONE)
    casework.add_task(incident, lead_user, title="b", assignee=invited_user)
    assert reminders.sweep(timezone.now() + timedelta(days=2)) == []


def test_a_reminder_claimed_by_another_sweep_is_not_sent_again(incident, lead_user, invited_user):
    task = casework.add_task(
        incident, lead_user, title="a", assignee=invited_user, due_at=timezone.now()
    )
    now = timezone.now()
    assert reminders.remind(task.pk, now) == "overdue"
    assert reminders.remind(task.pk, now) is None
    assert _reminders(invited_user).count() == 1


def test_reminder_sweep_is_one_query_on_the_partial_index(require_postgres):
    with CaptureQueriesContext(connection) as ctx:
        reminders.due_ids(timezone.now(), 10)
    assert len(ctx.captured_queries) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'task_remind_idx'")
        (indexdef,) = cursor.fetchone()
    assert "WHERE (remind_at IS NOT NULL)" in indexdef


# My tasks and the panel ------------------------------------------------------------------


def test_my_tasks_lists_my_active_tasks_by_due_date_with_the_reference(
    client, incident, lead_user, invited_user
):
    now = timezone.now()
    later = casework.add_task(
        incident, lead_user, title="Later", assignee=invited_user, due_at=now + timedelta(days=3)
    )
    casework.add_task(
        incident, lead_user, title="Sooner", assignee=invited_user, due_at=now + timedelta(days=1)
    )
    done = casework.add_task(incident, lead_user, title="Finished", assignee=invited_user)
    casework.change_task_status(done, lead_user, TaskStatus.DONE)
    casework.add_task(incident, lead_user, title="Someone else's", assignee=lead_user)
    casework.change_task_status(later, lead_user, TaskStatus.IN_PROGRESS)

    client.force_login(invited_user)
    page = client.get(reverse("casework:my_tasks"), HTTP_HX_REQUEST="true").content.decode()
    assert page.index("Sooner") < page.index("Later")
    assert "Finished" not in page and "Someone else" not in page
    assert incident.reference in page


def test_my_tasks_has_an_empty_state(client, invited_user):
    client.force_login(invited_user)
    page = client.get(reverse("casework:my_tasks"), HTTP_HX_REQUEST="true").content.decode()
    assert "No tasks for you" in page


def test_my_tasks_leaves_out_cases_my_agency_no_longer_takes_part_in(
    client, incident, lead_user, invited_user, invited_agency
):
    casework.add_task(incident, lead_user, title="Gone", assignee=invited_user)
    actions.remove_participation(incident.participations.get(agency=invited_agency), lead_user)
    client.force_login(invited_user)
    assert "Gone" not in client.get(reverse("casework:my_tasks")).content.decode()


def test_adding_a_task_through_htmx_returns_the_panel_focused_on_the_new_task(
    client, incident, invited_user, lead_user
):
    client.force_login(invited_user)
    response = client.post(
        reverse("casework:add", args=[incident.reference]),
        {"task-title": "Ask the registrar", "task-assignee": lead_user.pk},
        HTTP_HX_REQUEST="true",
    )
    task = Task.objects.get()
    assert response.status_code == 200
    assert f'data-focus="task-{task.pk}"' in response.content.decode()
    assert task.assignee == lead_user


def test_every_panel_field_has_a_label_and_cancel_asks_first(client, incident, lead_user):
    casework.add_task(incident, lead_user, title="Isolate hosts")
    client.force_login(lead_user)
    page = _panel(client, incident).content.decode()
    assert 'hx-confirm="Cancel the task' in page
    for field_id in ("id_task-title", "id_task-description", "id_task-assignee", "id_task-due_at"):
        assert f'for="{field_id}"' in page


@pytest.mark.parametrize("url_name", ["panel", "my_tasks"])
def test_panel_and_my_tasks_queries_do_not_grow_with_tasks(
    client, incident, lead_user, invited_user, url_name
):
    def seed(n):
        for i in range(n):
            casework.add_task(
                incident,
                lead_user,
                title=f"Task {i}",
                assignee=invited_user,
                due_at=timezone.now() + timedelta(days=i + 1),
            )

    url = (
        reverse("casework:panel", args=[incident.reference])
        if url_name == "panel"
        else reverse("casework:my_tasks")
    )
    client.force_login(invited_user)
    seed(2)
    with CaptureQueriesContext(connection) as few:
        client.get(url, HTTP_HX_REQUEST="true")
    seed(20)
    with CaptureQueriesContext(connection) as many:
        client.get(url, HTTP_HX_REQUEST="true")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_api_lists_tasks_filtered_by_status_and_assignee(
    api_login, incident, lead_user, invited_user
):
    mine = casework.add_task(incident, lead_user, title="Mine", assignee=invited_user)
    casework.add_task(incident, lead_user, title="Lead's", assignee=lead_user)
    done = casework.add_task(incident, lead_user, title="Done", assignee=invited_user)
    casework.change_task_status(done, lead_user, TaskStatus.DONE)
    url = reverse("incidents-api:incident-task-list", args=[incident.reference])
    api = api_login(invited_user)

    response = api.get(url, {"assignee": invited_user.pk, "status": "open"})

    assert response.status_code == 200
    assert [t["id"] for t in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["assignee"]["agency"]["short_name"] == "OFAC"


def test_api_creates_and_assigns_across_agencies(api_login, incident, lead_user, invited_user):
    api = api_login(lead_user)
    url = reverse("incidents-api:incident-task-list", args=[incident.reference])
    created = api.post(
        url, {"title": "Seize the server", "assignee": invited_user.pk}, format="json"
    )
    assert created.status_code == 201
    detail = reverse(
        "incidents-api:incident-task-detail", args=[incident.reference, created.json()["id"]]
    )
    changed = api.patch(detail, {"assignee": None, "title": "Seize the servers"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["assignee"] is None
    assert changed.json()["title"] == "Seize the servers"


def test_the_assignee_of_another_agency_hears_of_the_assignment_in_their_language(
    incident, lead_user, invited_user
):
    invited_user.language = "fr"
    invited_user.save()
    task = casework.add_task(incident, lead_user, title="Seize the server")
    casework.assign_task(task, lead_user, invited_user)

    notice = Notification.objects.get(
        recipient=invited_user, event=Event.TASK_ASSIGNED, channel=Channel.APP
    )
    assert "Tâche" in notice.subject and "Seize the server" in notice.subject


def test_assigning_a_task_to_oneself_notifies_no_one(incident, lead_user):
    casework.add_task(incident, lead_user, title="Mine", assignee=lead_user)
    assert not Notification.objects.filter(event=Event.TASK_ASSIGNED).exists()


# Editing ---------------------------------------------------------------------------------


def test_a_contributor_edits_title_description_and_due_date_on_the_task_page(
    client, incident, lead_user
):
    task = casework.add_task(incident, lead_user, title="Collect the note")
    url = reverse("casework:edit", args=[incident.reference, task.pk])
    client.force_login(lead_user)

    page = client.get(url)
    assert page.status_code == 200 and "Collect the note" in page.content.decode()
    response = client.post(
        url,
        {
            "title": "Collect the ransom note",
            "description": "From the file server share.",
            "due_at": "2030-01-31T12:00",
        },
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#task-{task.pk}")
    task.refresh_from_db()
    assert task.title == "Collect the ransom note"
    assert task.description == "From the file server share."
    assert task.due_at is not None and task.remind_at is not None


def test_editing_a_task_without_a_title_shows_the_error_beside_the_field_and_keeps_it(
    client, incident, lead_user
):
    task = casework.add_task(incident, lead_user, title="Collect the note")
    client.force_login(lead_user)

    response = client.post(
        reverse("casework:edit", args=[incident.reference, task.pk]), {"title": ""}
    )

    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    task.refresh_from_db()
    assert task.title == "Collect the note"


def test_an_observer_may_not_edit_and_another_agency_does_not_see_the_task(
    client, lead_user, outsider, other_agency, invited_user
):
    incident = make_incident(lead_user, shared_with=[(other_agency, ParticipationRole.OBSERVER)])
    task = casework.add_task(incident, lead_user, title="Collect the note")
    url = reverse("casework:edit", args=[incident.reference, task.pk])

    client.force_login(outsider)
    assert client.post(url, {"title": "Mine now"}).status_code == 403
    client.force_login(invited_user)  # the invited agency takes no part in this one
    assert client.get(url).status_code == 404
    task.refresh_from_db()
    assert task.title == "Collect the note"
