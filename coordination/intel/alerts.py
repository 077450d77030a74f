"""What the owner of a case hears when another agency asks for contact about an indicator.

Built here, delivered by the notifications app (which knows no incident or indicator),
inside the caller's transaction.
"""

from accounts.choices import lazy_country_name
from coordination.intel.choices import IndicatorType
from coordination.notifications.choices import Event
from coordination.notifications.services import Message, notify
from incidents.alerts import CONFIDENTIAL_TLP, incident_thread, mailbox_of
from incidents.choices import ROLES_FOR_ACTION, TLP, Action


def contact_requested(contact, by):
    """Notify the lead agency of ``contact.to_incident`` (its people and mailbox)."""
    incident = contact.to_incident
    owner = incident.lead_agency
    asker = contact.requester_agency
    message = Message(
        event=Event.CONTACT_REQUESTED,
        key=f"contact-requested:{contact.pk}",
        link=incident.get_absolute_url() + "#participants",
        thread=incident_thread(incident),
        confidential=incident.tlp in CONFIDENTIAL_TLP,
        exercise=incident.is_exercise,
        context={
            "reference": incident.reference,
            "title": incident.title,
            "tlp": TLP(incident.tlp).label,
            # Lazy label: each recipient reads it in their own language.
            "indicator_type": IndicatorType(contact.type).label,
            "indicator_value": contact.value,
            "asker_agency": asker.name,
            "asker_country": lazy_country_name(asker.country.code),
            "asker_name": contact.requested_by_name,
            "asker_email": by.email,
            "asker_mailbox": asker.mailbox,
        },
    )
    # The people of the lead agency who may share the case act on it.
    users = owner.users.filter(is_active=True, role__in=ROLES_FOR_ACTION[Action.SHARE])
    return notify(message, users=users, mailboxes=[mailbox_of(owner)])
