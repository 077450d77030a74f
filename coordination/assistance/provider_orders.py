"""European Production and Preservation Orders (Regulation (EU) 2023/1543): the rules that
are theirs alone.

An EPOC or EPOC-PR is addressed to a service provider's designated establishment or legal
representative (Art. 7(1)), not to an authority; the issuing side records what the provider
does. For an EPOC for traffic data (other than data requested only to identify the user,
Art. 3(10)) or content data, the enforcing authority of the addressee's Member State is
notified at the same time (Art. 8(1)), unless Art. 8(2) applies; it may raise grounds for
refusal within 10 days of the notification, 96 hours in an emergency (Art. 12(1)).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Agency
from coordination.assistance import deadlines
from coordination.assistance.choices import (
    PROVIDER_BASES,
    ActionName,
    EnforcingDecision,
    LegalBasis,
    Measure,
    ProviderOutcome,
    Status,
)

ENFORCING_ACTIONS = (ActionName.CONFIRM_NO_GROUNDS, ActionName.RAISE_REFUSAL_GROUNDS)
MAX_TRANSMISSION_ID = 120


def is_provider_basis(basis):
    return basis in PROVIDER_BASES


def notification_needed(request):
    """Whether Art. 8(1) asks for the enforcing authority to be notified, exception aside:
    an EPOC for content data, or for traffic data not sought only to identify the user."""
    if request.legal_basis != LegalBasis.EPOC:
        return False  # Art. 8(1) names production orders only: no notification of an EPOC-PR
    measures = set(request.measures or ())
    if Measure.CONTENT in measures:
        return True
    return Measure.TRAFFIC in measures and not request.identification_only


def notification_required(request):
    """Art. 8(1) applies and the issuing authority did not invoke the Art. 8(2) exception."""
    return notification_needed(request) and not request.notification_exception


def enforcing_agencies(country):
    """Active agencies of the addressee's Member State that may be the enforcing authority."""
    if not country:
        return Agency.objects.none()
    return Agency.objects.active().filter(country=str(country)).order_by("name")


def refusal_window_end(request):
    return deadlines.refusal_window_end(request)


def refusal_window_open(request, now):
    """Whether the notified enforcing authority may still raise grounds (Art. 12(1))."""
    return deadlines.refusal_window_open(request, now)


def enforcing_unavailable(transition, request, now):
    """None when the enforcing authority's ``transition`` is open now, else why not."""
    if transition.name not in ENFORCING_ACTIONS:
        return None
    if request.enforcing_decision:
        return _("The enforcing authority has already decided on this order.")
    if transition.name == ActionName.RAISE_REFUSAL_GROUNDS and not refusal_window_open(
        request, now
    ):
        return _(
            "The time to raise grounds for refusal has run out: 10 days from the notification, "
            "96 hours in an emergency (Regulation (EU) 2023/1543 Art. 12(1))."
        )
    return None


def check_draft(request, by):
    """Field errors of an order's addressee and notification, while drafting."""
    errors = {}
    if not is_provider_basis(request.legal_basis):
        return errors
    addressee = request.provider_addressee
    if addressee is not None:
        if not (addressee.is_active and addressee.provider.is_active):
            errors["provider_addressee"] = _(
                "This establishment or representative is no longer in the register."
            )
        else:
            request.requested_country = addressee.country.code
    request.receiving_agency = None  # an order goes to the provider, not to an authority
    if request.legal_basis != LegalBasis.EPOC or not notification_needed(request):
        request.enforcing_agency = None
        request.notification_exception = False
        request.notification_exception_reason = ""
    elif request.notification_exception:
        request.enforcing_agency = None
    agency = request.enforcing_agency
    if agency is not None:
        if not agency.is_active:
            errors["enforcing_agency"] = _("%(agency)s is no longer active.") % {
                "agency": agency.name
            }
        elif request.requested_country and agency.country.code != str(request.requested_country):
            errors["enforcing_agency"] = _(
                "The enforcing authority is an authority of the Member State of the addressee "
                "(Regulation (EU) 2023/1543 Art. 8(1))."
            )
    return errors


def missing_essentials(request):
    """``{field: why}`` for an order's addressee and notification (``validation`` calls it)."""
    missing = {}
    if not request.provider_addressee_id:
        missing["provider_addressee"] = _(
            "Choose the provider's designated establishment or legal representative: the order "
            "is addressed to it directly (Regulation (EU) 2023/1543 Art. 7(1))."
        )
    if not notification_needed(request):
        return missing
    if request.notification_exception:
        if not (request.notification_exception_reason or "").strip():
            missing["notification_exception_reason"] = _(
                "Give the reasonable grounds to believe that the offence was committed in your "
                "Member State and that the person whose data are sought resides there "
                "(Regulation (EU) 2023/1543 Art. 8(2))."
            )
    elif not request.enforcing_agency_id:
        missing["enforcing_agency"] = _(
            "Choose the enforcing authority of the addressee's Member State: an order for "
            "traffic or content data is notified to it at the same time (Regulation (EU) "
            "2023/1543 Art. 8(1))."
        )
    return missing


def clean_transmission_id(value):
    value = (value or "").strip()
    if len(value) > MAX_TRANSMISSION_ID:
        raise ValidationError(
            {"transmission_id": _("At most %(n)d characters.") % {"n": MAX_TRANSMISSION_ID}}
        )
    return value


def changes_on_sending(request, now, data):
    """What ``approve`` sets on an order: the notification (Art. 8) and the channel's id."""
    required = notification_required(request)
    changes = {
        "notification_required": required,
        "enforcing_notified_at": now if required else None,
    }
    transmission_id = clean_transmission_id(data.get("transmission_id"))
    if transmission_id:
        changes["transmission_id"] = transmission_id
    return changes


def changes_for(name, request, now, comment, data, parse_received_at):
    """The columns the issuing side's and enforcing authority's recording actions set."""
    changes = {}
    if name == ActionName.RECORD_RECEIPT:
        changes["received_at"] = parse_received_at(data.get("received_at"), request, now)
        transmission_id = clean_transmission_id(data.get("transmission_id"))
        if transmission_id:
            changes["transmission_id"] = transmission_id
    elif name == ActionName.RECORD_CLARIFICATION_REQUEST:
        changes |= {"information_asked_at": now, "resume_status": request.status}
    elif name == ActionName.RECORD_PRESERVATION:
        changes |= {
            "preserved_at": now,
            "provider_outcome": ProviderOutcome.PRESERVED,
            "provider_answered_at": now,
        }
    elif name in (ActionName.RECORD_DATA, ActionName.RECORD_DATA_PARTLY):
        changes |= {
            "fulfilled_at": now,
            "provider_outcome": (
                ProviderOutcome.DATA_RECEIVED
                if name == ActionName.RECORD_DATA
                else ProviderOutcome.DATA_PARTLY
            ),
            "provider_answered_at": now,
        }
    elif name == ActionName.RECORD_IMPOSSIBILITY:
        changes |= {"provider_outcome": ProviderOutcome.IMPOSSIBLE, "provider_answered_at": now}
    elif name == ActionName.CONFIRM_NO_GROUNDS:
        changes |= {"enforcing_decision": EnforcingDecision.NO_GROUNDS, "enforcing_decided_at": now}
    elif name == ActionName.RAISE_REFUSAL_GROUNDS:
        changes |= {
            "enforcing_decision": EnforcingDecision.REFUSAL,
            "enforcing_decided_at": now,
            "enforcing_grounds": comment,
        }
    return changes


def awaits_enforcing_decision(request):
    return bool(
        request.notification_required
        and request.enforcing_notified_at
        and not request.enforcing_decision
        and request.status in (Status.SENT, Status.RECEIVED, Status.AWAITING_INFORMATION)
    )
