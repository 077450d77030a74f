"""Legal deadlines of cross-border requests: one rule set per legal basis.

Each ``Rule`` names the deadline it sets (acknowledge, decide, execute, ...), the clock
that starts it (each clock's start is its own timestamp on the request: ``sent_at``,
``received_at``, ``accepted_at``, ``information_answered_at``, ``preserved_at``), the
window per urgency, the legal source text shown beside it in the UI, and whether the
number is law or policy. Policy numbers (no legal number exists) are defaults that an
agency admin may change for their agency (``DeadlinePolicy`` rows of the requesting
agency).

``deadlines_for(request)`` lists every deadline of a request with its state; the
transition function stores the nearest running one on the request (``due_at``,
``due_kind``, ``due_clock_started_at``) so the escalation sweep reads one indexed column.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from coordination.assistance.choices import DeadlineKind, LegalBasis, Measure, Status, Urgency

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

_EXECUTING = (Status.RECEIVED, Status.IN_EXECUTION)


def _same(window):
    return {u: window for u in Urgency}


@dataclass(frozen=True)
class Rule:
    basis: str
    kind: str
    # Which clock starts it: "sent", "received", "accepted", "preserved".
    clock: str
    windows: dict
    source: str
    is_law: bool
    runs_in: tuple
    # Name of the timestamp that marks the deadline as met.
    met_by: str | None = None
    # The clock starts again when the requested side's questions are answered.
    restarts_on_answer: bool = True
    # The issuer's earlier date, when given, replaces a later one.
    issuer_date_applies: bool = False
    # One extension of this length, with reasons, where the rule allows it.
    extension: timedelta | None = None
    extension_source: str = ""
    # Only when the request asks for one of these measures.
    measures: tuple = ()
    note: str = ""

    @property
    def label(self):
        return DeadlineKind(self.kind).label

    @property
    def configurable(self):
        return not self.is_law

    def window(self, urgency, policy=None):
        if self.configurable and policy:
            hours = policy.get((self.basis, self.kind, urgency))
            if hours:
                return timedelta(hours=hours)
        return self.windows[urgency]

    def applies(self, request):
        return not self.measures or bool(set(self.measures) & set(request.measures or ()))


B = LegalBasis
K = DeadlineKind

RULES = [
    # Budapest Convention Art. 29: expedited preservation.
    Rule(
        B.BUDAPEST_PRESERVATION,
        K.ACKNOWLEDGE,
        "sent",
        _same(24 * HOUR),
        _("CETS 185 Art. 29(3): to be executed “expeditiously”; no number in law."),
        is_law=False,
        runs_in=(Status.SENT,),
        met_by="received_at",
        note=_("Policy: acknowledge within 24 hours."),
    ),
    Rule(
        B.BUDAPEST_PRESERVATION,
        K.PRESERVE,
        "received",
        _same(24 * HOUR),
        _("CETS 185 Art. 29(3): take all appropriate measures to preserve expeditiously."),
        is_law=False,
        runs_in=_EXECUTING,
        met_by="preserved_at",
        note=_("Policy: confirm preservation within 24 hours of receipt."),
    ),
    Rule(
        B.BUDAPEST_PRESERVATION,
        K.PRESERVE_UNTIL,
        "preserved",
        _same(60 * DAY),
        _(
            "CETS 185 Art. 29(7): preserved for not less than 60 days, then held until "
            "the follow-up mutual assistance request is decided."
        ),
        is_law=True,
        runs_in=(Status.PRESERVED,),
        restarts_on_answer=False,
    ),
    # Budapest Convention Art. 31: MLA for stored data.
    Rule(
        B.BUDAPEST_MLA,
        K.ACKNOWLEDGE,
        "sent",
        _same(7 * DAY),
        _("No number in CETS 185 Art. 31."),
        is_law=False,
        runs_in=(Status.SENT,),
        met_by="received_at",
        note=_("Policy: acknowledge within 7 days."),
    ),
    Rule(
        B.BUDAPEST_MLA,
        K.EXECUTE,
        "received",
        {Urgency.ROUTINE: 60 * DAY, Urgency.URGENT: 10 * DAY, Urgency.EMERGENCY: 10 * DAY},
        _(
            "CETS 185 Art. 31(3): respond on an “expedited basis” where data are "
            "vulnerable to loss; no number in law."
        ),
        is_law=False,
        runs_in=_EXECUTING,
        met_by="fulfilled_at",
        issuer_date_applies=True,
        note=_("Policy default: 60 days, 10 days when urgent; set per agency."),
    ),
    # EU European Investigation Order, Directive 2014/41/EU.
    Rule(
        B.EIO,
        K.ACKNOWLEDGE,
        "sent",
        _same(7 * DAY),
        _(
            "Directive 2014/41/EU Art. 16(1) and Annex B: acknowledge without delay, "
            "in any case within a week of receipt."
        ),
        is_law=True,
        runs_in=(Status.SENT,),
        met_by="received_at",
    ),
    Rule(
        B.EIO,
        K.PROVISIONAL,
        "received",
        _same(24 * HOUR),
        _(
            "Directive 2014/41/EU Art. 32(2): decide on provisional measures, wherever "
            "practicable, within 24 hours of receipt."
        ),
        is_law=True,
        runs_in=(Status.RECEIVED,),
        met_by="accepted_at",
        measures=(Measure.PRESERVATION, Measure.SEARCH),
        restarts_on_answer=False,
    ),
    Rule(
        B.EIO,
        K.DECIDE,
        "received",
        _same(30 * DAY),
        _(
            "Directive 2014/41/EU Art. 12(3): decide on recognition within 30 days of "
            "receipt; Art. 12(2): an earlier date set by the issuing authority applies."
        ),
        is_law=True,
        runs_in=(Status.RECEIVED,),
        met_by="accepted_at",
        issuer_date_applies=True,
        extension=30 * DAY,
        extension_source=_("Directive 2014/41/EU Art. 12(5): one extension of 30 days at most."),
    ),
    Rule(
        B.EIO,
        K.EXECUTE,
        "accepted",
        _same(90 * DAY),
        _(
            "Directive 2014/41/EU Art. 12(4): carry out the measure within 90 days of "
            "the decision on recognition."
        ),
        is_law=True,
        runs_in=(Status.IN_EXECUTION,),
        met_by="fulfilled_at",
        issuer_date_applies=True,
    ),
    # EU European Production Order, Regulation (EU) 2023/1543.
    Rule(
        B.EPOC,
        K.PRODUCE,
        "received",
        {Urgency.ROUTINE: 10 * DAY, Urgency.URGENT: 10 * DAY, Urgency.EMERGENCY: 8 * HOUR},
        _(
            "Regulation (EU) 2023/1543 Art. 10(2): data within 10 days of receipt; "
            "Art. 10(4): within 8 hours in an emergency."
        ),
        is_law=True,
        runs_in=(Status.SENT, Status.RECEIVED, Status.IN_EXECUTION),
        met_by="fulfilled_at",
        issuer_date_applies=True,
    ),
    # EU European Preservation Order, Regulation (EU) 2023/1543.
    Rule(
        B.EPOC_PR,
        K.PRESERVE,
        "received",
        _same(24 * HOUR),
        _("Regulation (EU) 2023/1543 Art. 11(1): preserve without undue delay."),
        is_law=False,
        runs_in=(Status.SENT, Status.RECEIVED, Status.IN_EXECUTION),
        met_by="preserved_at",
        note=_("Policy: confirm preservation within 24 hours of receipt."),
    ),
    Rule(
        B.EPOC_PR,
        K.PRESERVE_UNTIL,
        "preserved",
        _same(60 * DAY),
        _(
            "Regulation (EU) 2023/1543 Art. 11(1): preserve for 60 days; no end once a "
            "follow-up production request is confirmed."
        ),
        is_law=True,
        runs_in=(Status.PRESERVED,),
        restarts_on_answer=False,
        extension=30 * DAY,
        extension_source=_(
            "Regulation (EU) 2023/1543 Art. 11(1): one extension of 30 days where "
            "needed to issue the production request."
        ),
    ),
    # Bilateral MLA treaty: the treaty's number, kept as data.
    Rule(
        B.BILATERAL,
        K.ACKNOWLEDGE,
        "sent",
        _same(7 * DAY),
        _("The treaty; most set no acknowledgement time."),
        is_law=False,
        runs_in=(Status.SENT,),
        met_by="received_at",
        note=_("Policy: acknowledge within 7 days."),
    ),
    Rule(
        B.BILATERAL,
        K.EXECUTE,
        "received",
        _same(60 * DAY),
        _("The bilateral treaty's time limit, as the agency admin records it."),
        is_law=False,
        runs_in=_EXECUTING,
        met_by="fulfilled_at",
        issuer_date_applies=True,
        note=_("Default 60 days; set per agency to the treaty's number."),
    ),
    # Police-to-police cooperation and the 24/7 network.
    Rule(
        B.POLICE,
        K.ACKNOWLEDGE,
        "sent",
        {Urgency.ROUTINE: 24 * HOUR, Urgency.URGENT: 4 * HOUR, Urgency.EMERGENCY: 4 * HOUR},
        _("CETS 185 Art. 35 (24/7 network); no legal number."),
        is_law=False,
        runs_in=(Status.SENT,),
        met_by="received_at",
        note=_("Policy: acknowledge within 24 hours, 4 hours when urgent."),
    ),
    Rule(
        B.POLICE,
        K.ANSWER,
        "sent",
        _same(7 * DAY),
        _("CETS 185 Art. 35 (24/7 network); no legal number."),
        is_law=False,
        runs_in=(Status.SENT, *_EXECUTING),
        met_by="fulfilled_at",
        issuer_date_applies=True,
        note=_("Policy: answer within 7 days."),
    ),
]

RULES_BY_BASIS = {}
for _rule in RULES:
    RULES_BY_BASIS.setdefault(_rule.basis, []).append(_rule)


def rules_for(basis):
    return RULES_BY_BASIS.get(basis, [])


def rule(basis, kind):
    for candidate in rules_for(basis):
        if candidate.kind == kind:
            return candidate
    return None


def configurable_rules():
    """Policy rules an agency admin may set for their agency (one number per urgency)."""
    return [r for r in RULES if r.configurable]


@dataclass
class Deadline:
    """One deadline of one request, computed now."""

    rule: Rule
    clock_start: object = None
    due_at: object = None
    state: str = "pending"  # pending (clock not started), running, stopped, met, over
    met_at: object = None
    extended: bool = False
    issuer_date: bool = False
    restarted: bool = False
    notes: list = field(default_factory=list)

    @property
    def kind(self):
        return self.rule.kind

    @property
    def label(self):
        return self.rule.label

    @property
    def source(self):
        return self.rule.source

    @property
    def is_law(self):
        return self.rule.is_law

    @property
    def is_running(self):
        return self.state == "running"


def _clock_start(request, rule):
    if rule.clock == "sent":
        start = request.sent_at
    elif rule.clock == "received":
        start = request.received_at
        if start is None and request.legal_basis in (B.EPOC, B.EPOC_PR):
            # Addressed to the provider: the clock runs from delivery until receipt is
            # acknowledged (the acknowledgement may state the actual receipt time).
            start = request.sent_at
    elif rule.clock == "accepted":
        start = request.accepted_at
    elif rule.clock == "preserved":
        start = request.preserved_at
    else:  # pragma: no cover - a typo in RULES
        raise ValueError(rule.clock)
    return start


def deadlines_for(request, policy=None):
    """Every deadline of ``request`` with its clock, due date and state."""
    result = []
    for rule in rules_for(request.legal_basis):
        if not rule.applies(request):
            continue
        deadline = Deadline(rule)
        start = _clock_start(request, rule)
        if start is None:
            result.append(deadline)
            continue
        answered = request.information_answered_at
        if rule.restarts_on_answer and answered and answered > start:
            # Regulation (EU) 2023/1543 Art. 10(7) and common practice: the time limit
            # does not run until the requested clarification is given.
            start = answered
            deadline.restarted = True
        deadline.clock_start = start
        due = start + rule.window(request.urgency, policy)
        if rule.extension and rule.kind == K.DECIDE and request.decision_extended_at:
            due += rule.extension
            deadline.extended = True
        if rule.kind == K.PRESERVE_UNTIL:
            if request.preservation_extended_at and rule.extension:
                due += rule.extension
                deadline.extended = True
            if request.follow_up_id and request.status == Status.HELD:
                due = None  # held until the follow-up request is decided
        if (
            due is not None
            and rule.issuer_date_applies
            and request.issuer_deadline
            and request.issuer_deadline < due
        ):
            due = request.issuer_deadline
            deadline.issuer_date = True
        deadline.due_at = due
        met_at = getattr(request, rule.met_by) if rule.met_by else None
        if met_at:
            deadline.met_at = met_at
            deadline.state = "met"
        elif request.status in rule.runs_in and due is not None:
            deadline.state = "running"
        elif request.status == Status.AWAITING_INFORMATION and rule.restarts_on_answer:
            deadline.state = "stopped"
        elif request.status == Status.HELD and rule.kind == K.PRESERVE_UNTIL:
            deadline.state = "held"
        else:
            deadline.state = "over"
        result.append(deadline)
    return result


def current_deadline(request, policy=None):
    """The nearest running deadline, or None when no clock runs."""
    running = [d for d in deadlines_for(request, policy) if d.is_running]
    return min(running, key=lambda d: d.due_at, default=None)


def due_fields(request, policy=None):
    """The denormalised columns the transition stores: ``due_at``, ``due_kind``, ..."""
    deadline = current_deadline(request, policy)
    if deadline is None:
        return {"due_at": None, "due_kind": "", "due_clock_started_at": None}
    return {
        "due_at": deadline.due_at,
        "due_kind": deadline.kind,
        "due_clock_started_at": deadline.clock_start,
    }


def can_extend_decision(request):
    decide = rule(request.legal_basis, K.DECIDE)
    return bool(decide and decide.extension and not request.decision_extended_at)


def can_extend_preservation(request):
    keep = rule(request.legal_basis, K.PRESERVE_UNTIL)
    return bool(keep and keep.extension and not request.preservation_extended_at)


def preservation_window(request):
    keep = rule(request.legal_basis, K.PRESERVE_UNTIL)
    return keep.windows[request.urgency] if keep else None


def policy_for(agency_id):
    """The agency's own numbers for policy rules: ``{(basis, kind, urgency): hours}``."""
    from coordination.assistance.models import DeadlinePolicy

    if not agency_id:
        return {}
    return {
        (p.legal_basis, p.kind, p.urgency): p.hours
        for p in DeadlinePolicy.objects.filter(agency_id=agency_id)
    }


def format_remaining(delta):
    """“2 days 4 h left” / “overdue by 6 h”, from a timedelta (negative when overdue)."""
    from django.utils.translation import gettext, ngettext

    overdue = delta.total_seconds() < 0
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(gettext("%(n)d h") % {"n": hours})
    if not days and (minutes or not hours):
        parts.append(gettext("%(n)d min") % {"n": minutes})
    text = " ".join(parts)
    if overdue:
        return gettext("overdue by %(time)s") % {"time": text}
    return gettext("%(time)s left") % {"time": text}
