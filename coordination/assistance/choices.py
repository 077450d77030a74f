"""Choices and the transition table of cross-border requests (DESIGN.md section 4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role


class LegalBasis(models.TextChoices):
    """The seven legal bases of the deadline table."""

    BUDAPEST_PRESERVATION = "budapest_29", _("Budapest Convention Art. 29 (expedited preservation)")
    BUDAPEST_MLA = "budapest_31", _("Budapest Convention Art. 31 (MLA, stored data)")
    EIO = "eio", _("European Investigation Order")
    EPOC = "epoc", _("European Production Order (EPOC)")
    EPOC_PR = "epoc_pr", _("European Preservation Order (EPOC-PR)")
    BILATERAL = "bilateral", _("Bilateral MLA treaty")
    POLICE = "police", _("Police-to-police / 24/7 network")


# Bases whose object is to freeze data until a follow-up request moves it.
PRESERVATION_BASES = (LegalBasis.BUDAPEST_PRESERVATION, LegalBasis.EPOC_PR)
# Bases a preserved request may be followed up by (the "MLA request" that holds it).
FOLLOW_UP_BASES = (
    LegalBasis.BUDAPEST_MLA,
    LegalBasis.EIO,
    LegalBasis.EPOC,
    LegalBasis.BILATERAL,
)


class Measure(models.TextChoices):
    PRESERVATION = "preservation", _("Preservation")
    SUBSCRIBER = "subscriber", _("Subscriber information")
    TRAFFIC = "traffic", _("Traffic data")
    CONTENT = "content", _("Content data")
    SEARCH = "search", _("Search and seizure")
    HEARING = "hearing", _("Hearing")
    OTHER = "other", _("Other")


# Measures that are about stored data: they need at least one item of data sought.
DATA_MEASURES = (Measure.PRESERVATION, Measure.SUBSCRIBER, Measure.TRAFFIC, Measure.CONTENT)


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency (danger to life)")


class DataKind(models.TextChoices):
    ACCOUNT = "account", _("Account")
    IP_TIME = "ip_time", _("IP address and time")
    DOMAIN = "domain", _("Domain")
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    IN_EXECUTION = "in_execution", _("In execution")
    AWAITING_INFORMATION = "awaiting_information", _("Awaiting information")
    PRESERVED = "preserved", _("Data preserved")
    HELD = "held", _("Held pending the follow-up request")
    FULFILLED = "fulfilled", _("Fulfilled")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially fulfilled")
    REFUSED = "refused", _("Refused")
    NOT_EXECUTED = "not_executed", _("Not executed by the provider")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


# Before approval the request is the requesting agency's internal business.
INTERNAL_STATUSES = (Status.DRAFT, Status.PENDING_APPROVAL)
FINISHED_STATUSES = (
    Status.FULFILLED,
    Status.PARTIALLY_FULFILLED,
    Status.REFUSED,
    Status.NOT_EXECUTED,
    Status.WITHDRAWN,
)
OPEN_STATUSES = tuple(s for s in Status if s not in (*FINISHED_STATUSES, Status.CLOSED))
# Statuses in which the requested side is working on it (and may be late).
WITH_REQUESTED_SIDE = (
    Status.SENT,
    Status.RECEIVED,
    Status.IN_EXECUTION,
    Status.PRESERVED,
    Status.HELD,
)


class Side(models.TextChoices):
    REQUESTING = "requesting", _("Requesting side")
    REQUESTED = "requested", _("Requested side")
    # Regulation (EU) 2023/1543 Art. 8: the authority of the provider's Member State notified
    # of a production order; it may raise grounds for refusal (Art. 12).
    ENFORCING = "enforcing", _("Enforcing authority")
    # Directive 2014/41/EU Art. 2(c)(ii), Regulation (EU) 2023/1543 Art. 4: the judicial
    # authority of the issuing State that validates the order before it is sent.
    VALIDATING = "validating", _("Validating authority")


# Orders addressed to a service provider, not to an authority (Regulation (EU) 2023/1543 Art. 7).
PROVIDER_BASES = (LegalBasis.EPOC, LegalBasis.EPOC_PR)
# Bases addressed to an authority of the requested country, which acknowledges and executes.
AGENCY_BASES = tuple(b for b in LegalBasis if b not in PROVIDER_BASES)


class Party(models.TextChoices):
    """Who must act to meet a deadline."""

    REQUESTING = "requesting", _("Issuing / requesting authority")
    REQUESTED = "requested", _("Executing / requested authority")
    PROVIDER = "provider", _("Service provider")
    ENFORCING = "enforcing", _("Enforcing authority")


class Counting(models.TextChoices):
    """How a period is counted."""

    EXACT = "exact", _("Exact duration from the event")
    EU_DAYS = "eu_days", _("Calendar days, Regulation (EEC, Euratom) No 1182/71 Art. 3")


class ProviderRole(models.TextChoices):
    """Who receives orders for a service provider (Regulation (EU) 2023/1543 Art. 7)."""

    DESIGNATED_ESTABLISHMENT = "establishment", _("Designated establishment")
    LEGAL_REPRESENTATIVE = "representative", _("Legal representative")


class EnforcingDecision(models.TextChoices):
    NO_GROUNDS = "no_grounds", _("No ground for refusal raised")
    REFUSAL = "refusal", _("Grounds for refusal raised")


class ProviderOutcome(models.TextChoices):
    """The provider's answer as the Regulation's forms have it (Annex III)."""

    DATA_RECEIVED = "data", _("Data received")
    DATA_PARTLY = "partly", _("Data received in part")
    PRESERVED = "preserved", _("Data preserved")
    IMPOSSIBLE = "impossible", _("Impossible to execute")


class ActionName(models.TextChoices):
    SUBMIT = "submit", _("Submit for approval")
    APPROVE = "approve", _("Approve and send")
    RETURN = "return", _("Return to the drafter")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge receipt")
    ACCEPT = "accept", _("Accept (recognise)")
    FORWARD = "forward", _("Forward to the competent agency")
    EXTEND = "extend", _("Extend the decision deadline")
    DECIDE_PROVISIONAL = "decide_provisional", _("Decide on provisional measures")
    ASK_INFORMATION = "ask_information", _("Ask for information")
    ANSWER = "answer", _("Answer the questions")
    CONFIRM_PRESERVATION = "confirm_preservation", _("Confirm preservation")
    EXTEND_PRESERVATION = "extend_preservation", _("Extend preservation")
    LINK_FOLLOW_UP = "link_follow_up", _("Link the follow-up request")
    FULFIL = "fulfil", _("Fulfil")
    FULFIL_PARTLY = "fulfil_partly", _("Fulfil partly")
    REFUSE = "refuse", _("Refuse")
    WITHDRAW = "withdraw", _("Withdraw")
    CLOSE = "close", _("Close")
    # Orders to a service provider: the issuing side records what the provider did
    # (Regulation (EU) 2023/1543 Art. 10, 11, Annex III), the enforcing authority decides
    # on grounds for refusal (Art. 12).
    RECORD_RECEIPT = "record_receipt", _("Record the provider's receipt")
    RECORD_CLARIFICATION_REQUEST = (
        "record_clarification_request",
        _("Record the provider's request for clarification"),
    )
    RECORD_PRESERVATION = "record_preservation", _("Record the provider's preservation")
    RECORD_DATA = "record_data", _("Record the data received")
    RECORD_DATA_PARTLY = "record_data_partly", _("Record the data received in part")
    RECORD_IMPOSSIBILITY = "record_impossibility", _("Record the provider's impossibility")
    CONFIRM_NO_GROUNDS = "confirm_no_grounds", _("Confirm no ground for refusal")
    RAISE_REFUSAL_GROUNDS = "raise_refusal_grounds", _("Raise grounds for refusal")


DRAFTING_ROLES = (Role.INVESTIGATOR, Role.LIAISON_OFFICER, Role.SUPERVISOR)
LIAISON = (Role.LIAISON_OFFICER,)
REQUESTING_ANY = (Role.INVESTIGATOR, Role.LIAISON_OFFICER, Role.SUPERVISOR)
REQUESTING_OFFICERS = (Role.LIAISON_OFFICER, Role.SUPERVISOR)


class Transition:
    """One row of the state machine: from where, to where, by whom, with what input."""

    def __init__(
        self,
        name,
        sources,
        target,
        side,
        roles,
        *,
        comment=None,
        irreversible=False,
        bases=None,
    ):
        self.name = ActionName(name)
        self.sources = tuple(sources)
        # None: stays in the status it came from (forward, extend, ...)
        self.target = target
        self.side = side
        self.roles = tuple(roles)
        # None: no comment; "optional"; "required": the action needs the reason / answer.
        self.comment = comment
        self.irreversible = irreversible
        # Restricts the action to some legal bases (preservation steps).
        self.bases = tuple(bases) if bases else None

    @property
    def label(self):
        return self.name.label

    def applies_to(self, request):
        return request.status in self.sources and (
            self.bases is None or request.legal_basis in self.bases
        )

    def __repr__(self):
        return f"<Transition {self.name}>"


_EXECUTING = (Status.RECEIVED, Status.IN_EXECUTION)
_PRESERVATION_OPEN = (Status.PRESERVED, Status.HELD)
# Open states of an order in which the notified enforcing authority may still decide.
_ENFORCING_OPEN = (Status.SENT, Status.RECEIVED, Status.AWAITING_INFORMATION)

TRANSITIONS = {
    t.name: t
    for t in [
        Transition(
            "submit", [Status.DRAFT], Status.PENDING_APPROVAL, Side.REQUESTING, DRAFTING_ROLES
        ),
        Transition(
            "approve",
            [Status.PENDING_APPROVAL],
            Status.SENT,
            Side.REQUESTING,
            LIAISON,
            comment="optional",
            irreversible=True,
        ),
        Transition(
            "return",
            [Status.PENDING_APPROVAL],
            Status.DRAFT,
            Side.REQUESTING,
            LIAISON,
            comment="required",
        ),
        Transition(
            "acknowledge",
            [Status.SENT],
            Status.RECEIVED,
            Side.REQUESTED,
            LIAISON,
            comment="optional",
            bases=AGENCY_BASES,
        ),
        Transition(
            "accept",
            [Status.RECEIVED],
            Status.IN_EXECUTION,
            Side.REQUESTED,
            LIAISON,
            comment="optional",
            bases=AGENCY_BASES,
        ),
        Transition(
            "forward",
            [Status.RECEIVED],
            None,
            Side.REQUESTED,
            LIAISON,
            comment="optional",
            bases=AGENCY_BASES,
        ),
        Transition(
            "extend",
            [Status.RECEIVED],
            None,
            Side.REQUESTED,
            LIAISON,
            comment="required",
            bases=AGENCY_BASES,
        ),
        Transition(
            "decide_provisional",
            [Status.RECEIVED, Status.IN_EXECUTION, Status.AWAITING_INFORMATION],
            None,
            Side.REQUESTED,
            LIAISON,
            comment="required",
            bases=(LegalBasis.EIO,),
        ),
        Transition(
            "ask_information",
            _EXECUTING,
            Status.AWAITING_INFORMATION,
            Side.REQUESTED,
            LIAISON,
            comment="required",
            bases=AGENCY_BASES,
        ),
        Transition(
            "answer",
            [Status.AWAITING_INFORMATION],
            None,  # back to where the questions were asked
            Side.REQUESTING,
            REQUESTING_ANY,
            comment="required",
        ),
        Transition(
            "confirm_preservation",
            _EXECUTING,
            Status.PRESERVED,
            Side.REQUESTED,
            LIAISON,
            comment="optional",
            bases=(LegalBasis.BUDAPEST_PRESERVATION,),
        ),
        Transition(
            "extend_preservation",
            [Status.PRESERVED],
            None,
            Side.REQUESTING,
            REQUESTING_ANY,
            comment="required",
            bases=(LegalBasis.BUDAPEST_PRESERVATION, LegalBasis.EPOC_PR),
        ),
        Transition(
            "link_follow_up",
            [Status.PRESERVED],
            Status.HELD,
            Side.REQUESTING,
            REQUESTING_ANY,
            comment="optional",
            bases=(LegalBasis.BUDAPEST_PRESERVATION, LegalBasis.EPOC_PR),
        ),
        Transition(
            "fulfil",
            [Status.IN_EXECUTION, *_PRESERVATION_OPEN],
            Status.FULFILLED,
            Side.REQUESTED,
            LIAISON,
            comment="required",
            irreversible=True,
            bases=AGENCY_BASES,
        ),
        Transition(
            "fulfil_partly",
            [Status.IN_EXECUTION, *_PRESERVATION_OPEN],
            Status.PARTIALLY_FULFILLED,
            Side.REQUESTED,
            LIAISON,
            comment="required",
            irreversible=True,
            bases=AGENCY_BASES,
        ),
        Transition(
            "refuse",
            _EXECUTING,
            Status.REFUSED,
            Side.REQUESTED,
            LIAISON,
            comment="required",
            irreversible=True,
            bases=AGENCY_BASES,
        ),
        Transition(
            "withdraw",
            OPEN_STATUSES,
            Status.WITHDRAWN,
            Side.REQUESTING,
            REQUESTING_OFFICERS,
            comment="required",
            irreversible=True,
        ),
        Transition(
            "close",
            FINISHED_STATUSES,
            Status.CLOSED,
            Side.REQUESTING,
            REQUESTING_ANY,
            comment="optional",
            irreversible=True,
        ),
        # Orders to a service provider (PROVIDER_BASES): the issuing side records the
        # provider's steps; the notified enforcing authority decides (Art. 12).
        Transition(
            "record_receipt",
            [Status.SENT],
            Status.RECEIVED,
            Side.REQUESTING,
            REQUESTING_OFFICERS,
            comment="optional",
            bases=PROVIDER_BASES,
        ),
        Transition(
            "record_clarification_request",
            [Status.RECEIVED],
            Status.AWAITING_INFORMATION,
            Side.REQUESTING,
            REQUESTING_OFFICERS,
            comment="required",
            bases=PROVIDER_BASES,
        ),
        Transition(
            "record_preservation",
            [Status.RECEIVED],
            Status.PRESERVED,
            Side.REQUESTING,
            REQUESTING_OFFICERS,
            comment="optional",
            bases=(LegalBasis.EPOC_PR,),
        ),
        Transition(
            "record_data",
            [Status.RECEIVED],
            Status.FULFILLED,
            Side.REQUESTING,
            REQUESTING_OFFICERS,
            comment="optional",
            irreversible=True,
            bases=(LegalBasis.EPOC,),
        ),
        Transition(
            "record_data_partly",
            [Status.RECEIVED],
            Status.PARTIALLY_FULFILLED,
            Side.REQUESTING,
            REQUESTING_OFFICERS,
            comment="required",
            irreversible=True,
            bases=(LegalBasis.EPOC,),
        ),
        Transition(
            "record_impossibility",
            [Status.RECEIVED],
            Status.NOT_EXECUTED,
            Side.REQUESTING,
            REQUESTING_OFFICERS,
            comment="required",
            irreversible=True,
            bases=PROVIDER_BASES,
        ),
        Transition(
            "confirm_no_grounds",
            _ENFORCING_OPEN,
            None,
            Side.ENFORCING,
            REQUESTING_OFFICERS,
            comment="optional",
            bases=(LegalBasis.EPOC,),
        ),
        Transition(
            "raise_refusal_grounds",
            _ENFORCING_OPEN,
            Status.REFUSED,
            Side.ENFORCING,
            REQUESTING_OFFICERS,
            comment="required",
            irreversible=True,
            bases=(LegalBasis.EPOC,),
        ),
    ]
}


# The steps a request between nodes takes after it left the requesting node: each is taken
# on the node of the side it belongs to and mirrored to the other (coordination.assistance
# .federated). Orders to a service provider and linking a follow-up request stay on one node.
BETWEEN_NODES = frozenset(
    {
        ActionName.ACKNOWLEDGE,
        ActionName.ACCEPT,
        ActionName.FORWARD,
        ActionName.EXTEND,
        ActionName.DECIDE_PROVISIONAL,
        ActionName.ASK_INFORMATION,
        ActionName.ANSWER,
        ActionName.CONFIRM_PRESERVATION,
        ActionName.EXTEND_PRESERVATION,
        ActionName.FULFIL,
        ActionName.FULFIL_PARTLY,
        ActionName.REFUSE,
        ActionName.WITHDRAW,
        ActionName.CLOSE,
    }
)


def actions_from(request):
    """The transitions the state machine allows from the request's status (anyone's)."""
    return [t for t in TRANSITIONS.values() if t.applies_to(request)]


class DeadlineKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge receipt")
    PRESERVE = "preserve", _("Preserve the data")
    PROVISIONAL = "provisional", _("Decide on provisional measures")
    DECIDE = "decide", _("Decide on recognition")
    EXECUTE = "execute", _("Execute")
    PRODUCE = "produce", _("Produce the data")
    ANSWER = "answer", _("Answer")
    PRESERVE_UNTIL = "preserve_until", _("Data preserved until")
    CLARIFY = "clarify", _("Answer the provider's request for clarification")
    ENFORCING_REVIEW = "enforcing_review", _("Raise grounds for refusal")


class EscalationLevel(models.TextChoices):
    """How far a deadline has slipped (the escalation sweep's levels, in order)."""

    REMINDER = "reminder", _("Deadline approaching")
    OVERDUE = "overdue", _("Overdue")
    LONG_OVERDUE = "long_overdue", _("Long overdue")
