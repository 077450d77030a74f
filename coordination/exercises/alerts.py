"""What players hear of an exercise: each inject released to their agency, by email and
in the app, every message marked "[EXERCISE]" (notifications.services.EXERCISE_MARK)."""

from django.urls import reverse

from coordination.notifications.choices import Event
from coordination.notifications.services import Mailbox, Message, notify


def _role_label(inject):
    for role in inject.exercise.scenario["roles"]:
        if role["key"] == inject.role_key:
            return role["label"]
    return inject.role_key


def inject_email(inject, subject, text):
    """The inject's agency (its people and functional mailbox) receives it."""
    agency = inject.agency
    message = Message(
        event=Event.EXERCISE_INJECT,
        key=f"exercise-inject:{inject.pk}:{inject.release_count}",
        link=reverse("exercises:play", kwargs={"pk": inject.exercise_id}) + f"#inject-{inject.pk}",
        thread=f"exercise.{inject.exercise_id}",
        exercise=True,
        context={
            "exercise_title": inject.exercise.title,
            "role": _role_label(inject),
            "subject": subject,
            "text": text,
        },
    )
    return notify(
        message,
        users=agency.users.filter(is_active=True),
        mailboxes=[
            Mailbox(
                email=agency.mailbox,
                agency_id=agency.pk,
                language=agency.language,
                timezone=agency.timezone,
            )
        ],
    )
