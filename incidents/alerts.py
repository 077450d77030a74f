"""What other agencies' people hear about an incident: built here, delivered by notifications.

Called from actions inside their transaction; the notifications app renders and sends
what it is handed and knows nothing of incidents.
"""

from coordination.notifications.choices import Event
from coordination.notifications.services import Mailbox, Message, notify
from incidents.choices import TLP, ParticipationRole, Severity

# Material whose body never goes out by email, only a link that needs login (TLP 2.0).
CONFIDENTIAL_TLP = {TLP.AMBER_STRICT, TLP.RED}


def incident_thread(incident):
    """All mail about one incident threads together in the recipient's mail client."""
    return f"incident.{incident.reference}"


def mailbox_of(agency):
    return Mailbox(
        email=agency.mailbox,
        agency_id=agency.pk,
        language=agency.language,
        timezone=agency.timezone,
    )


def incident_shared(incident, participation, by):
    """The invited agency's people and its functional mailbox learn of the invitation."""
    agency = participation.agency
    message = Message(
        event=Event.INCIDENT_SHARED,
        key=f"incident-shared:{participation.pk}",
        link=incident.get_absolute_url(),
        thread=incident_thread(incident),
        confidential=incident.tlp in CONFIDENTIAL_TLP,
        exercise=incident.is_exercise,
        context={
            "reference": incident.reference,
            "title": incident.title,
            "tlp": TLP(incident.tlp).label,
            # Lazy labels: each recipient reads them in their own language.
            "severity": Severity(incident.severity).label,
            "agency": agency.name,
            "role": ParticipationRole(participation.role).label,
            "inviter_name": by.display_name,
            "inviter_agency": by.agency.name if by.agency_id else "",
        },
    )
    return notify(
        message,
        users=agency.users.filter(is_active=True),
        mailboxes=[mailbox_of(agency)],
    )
