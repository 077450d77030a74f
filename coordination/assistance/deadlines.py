"""Legal deadlines of cross-border requests: one rule set per legal basis.

Each ``Rule`` names the deadline it sets (acknowledge, decide, execute, ...), the clock that
starts it (a timestamp of the request: ``sent_at``, ``received_at``, ``accepted_at``,
``preserved_at``, ``information_asked_at``, ``enforcing_notified_at``), who must act, the
window per urgency, how the period is counted (``periods``), what an information round does
to it, and the source of each of these. Where the law gives no number or no rule, the rule
says it is Concord's policy; policy numbers may be set per agency (``DeadlinePolicy``).

A deadline is computed once, when its clock starts, and stored as a ``RequestDeadline`` row
(``sync_clocks``, called by every transition). Afterwards only the rule's own provisions
change it: an extension, a pause or a restart in an information round. A met deadline is
never re-dated. ``deadlines_for(request)`` lists the stored rows with the rules whose clock
has not started yet, for the pages, the printable forms and the API.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coordination.assistance import periods
from coordination.assistance.choices import (
    FINISHED_STATUSES,
    Counting,
    DeadlineKind,
    EscalationLevel,
    LegalBasis,
    Party,
    Status,
    Urgency,
)
from coordination.assistance.periods import hours

DAY = timedelta(days=1)

RUNS, PAUSES, RESTARTS = "runs", "pauses", "restarts"


def _same(window):
    return {u: window for u in Urgency}


@dataclass(frozen=True)
class Rule:
    basis: str
    kind: str
    # Which clock starts it: "sent", "received", "accepted", "preserved",
    # "information_asked", "enforcing_notified".
    clock: str
    windows: dict
    source: str
    is_law: bool
    party: str
    # Whose days and time zone count the period, when not the acting party's (the provider's
    # for the data it preserves).
    calendar_of: str = ""
    # Name of the request's timestamp that meets the deadline ("follow_up": linking one).
    met_by: str | None = None
    # Day windows counted by Regulation 1182/71 (EU_DAYS) or as an exact duration.
    counting: str = Counting.EXACT
    counting_source: str = ""
    # What an information round does: the clock keeps running, pauses, or restarts.
    on_information: str = RUNS
    information_source: str = ""
    information_is_law: bool = False
    # One extension, by whom, its cap, and its source.
    extension: timedelta | None = None
    extension_by: str = ""
    extension_source: str = ""
    # Only when the request has this attribute set (provisional measures, notification).
    when: str = ""
    # Escalation levels this deadline raises (an authority's window that closes in silence
    # only reminds: silence is consent).
    levels: tuple = tuple(EscalationLevel)
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
        return not self.when or bool(getattr(request, self.when, False))

    def counting_of(self, urgency, policy=None):
        return periods.counting_for(self.counting, self.window(urgency, policy))


B = LegalBasis
K = DeadlineKind
P = Party

EU_DAYS_SOURCE = _(
    "Days counted by Regulation (EEC, Euratom) No 1182/71 Art. 3: the day of the event is "
    "not counted, the period ends at the end of its last day in the time zone of the "
    "authority that must act, and a last day that is a Saturday, Sunday or public holiday "
    "there moves to the next working day. Hours are counted exactly, to the minute."
)
EXACT_POLICY = _(
    "Counted as an exact duration from the event, to the minute: the instrument sets no "
    "counting rule (Concord's policy)."
)
EIO_RUNS = _(
    "Keeps running while questions are open: Directive 2014/41/EU has no suspension; "
    "an executing authority that cannot meet it informs the issuing authority with reasons "
    "and the time it needs, Art. 12(5) and 12(6)."
)
POLICY_PAUSES = _(
    "Concord's policy, the instrument being silent: the clock pauses while the requesting "
    "side answers questions and resumes with the time that was left."
)
REGULATION_COUNTING = _(
    "Days counted by Regulation (EEC, Euratom) No 1182/71 Art. 3 in the time zone and "
    "working days of the party that must act; hours counted exactly."
)

RULES = [
    # Budapest Convention Art. 29: expedited preservation.
    Rule(
        B.BUDAPEST_PRESERVATION,
        K.ACKNOWLEDGE,
        "sent",
        _same(hours(24)),
        _("CETS 185 Art. 29(3): to be executed “expeditiously”; no number in law."),
        is_law=False,
        party=P.REQUESTED,
        met_by="received_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
        note=_("Policy: acknowledge within 24 hours."),
    ),
    Rule(
        B.BUDAPEST_PRESERVATION,
        K.PRESERVE,
        "received",
        _same(hours(24)),
        _("CETS 185 Art. 29(3): take all appropriate measures to preserve expeditiously."),
        is_law=False,
        party=P.REQUESTED,
        met_by="preserved_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
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
        party=P.REQUESTING,
        calendar_of=P.REQUESTED,
        met_by="follow_up",
        counting_source=_(
            "Counted as an exact 60 days from the confirmation of preservation: CETS 185 "
            "sets no counting rule and the 60 days are a minimum (Concord's policy)."
        ),
        information_source=_(
            "Keeps running: CETS 185 Art. 29(7) sets a period of preservation, not a time to "
            "act; questions do not suspend it."
        ),
        information_is_law=True,
    ),
    # Budapest Convention Art. 31: MLA for stored data.
    Rule(
        B.BUDAPEST_MLA,
        K.ACKNOWLEDGE,
        "sent",
        _same(7 * DAY),
        _("No number in CETS 185 Art. 31."),
        is_law=False,
        party=P.REQUESTED,
        met_by="received_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
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
        party=P.REQUESTED,
        met_by="fulfilled_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
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
            "in any case within a week of receipt (counted from transmission until "
            "receipt is recorded)."
        ),
        is_law=True,
        party=P.REQUESTED,
        met_by="received_at",
        counting=Counting.EU_DAYS,
        counting_source=EU_DAYS_SOURCE,
        information_source=EIO_RUNS,
        information_is_law=True,
    ),
    Rule(
        B.EIO,
        K.PROVISIONAL,
        "received",
        _same(hours(24)),
        _(
            "Directive 2014/41/EU Art. 32(2): decide on the provisional measures the issuing "
            "authority asked for as soon as possible and, wherever practicable, within 24 "
            "hours of receipt."
        ),
        is_law=True,
        party=P.REQUESTED,
        met_by="provisional_decided_at",
        counting_source=EU_DAYS_SOURCE,
        information_source=EIO_RUNS,
        information_is_law=True,
        when="provisional_measures",
        note=_("“Wherever practicable”: the 24 hours are a target the law qualifies."),
    ),
    Rule(
        B.EIO,
        K.DECIDE,
        "received",
        _same(30 * DAY),
        _(
            "Directive 2014/41/EU Art. 12(3): decide on recognition within 30 days of "
            "receipt. An earlier date asked by the issuing authority is taken into account "
            "as fully as possible (Art. 12(2)); it does not replace this one."
        ),
        is_law=True,
        party=P.REQUESTED,
        met_by="accepted_at",
        counting=Counting.EU_DAYS,
        counting_source=EU_DAYS_SOURCE,
        information_source=EIO_RUNS,
        information_is_law=True,
        extension=30 * DAY,
        extension_by=P.REQUESTED,
        extension_source=_(
            "Directive 2014/41/EU Art. 12(5): before the 30 days run out, inform the issuing "
            "authority with reasons and the estimated time needed; extension of 30 days at "
            "most."
        ),
    ),
    Rule(
        B.EIO,
        K.EXECUTE,
        "accepted",
        _same(90 * DAY),
        _(
            "Directive 2014/41/EU Art. 12(4): carry out the measure within 90 days of "
            "the decision on recognition; if not practicable, inform and consult the "
            "issuing authority on the timing (Art. 12(6))."
        ),
        is_law=True,
        party=P.REQUESTED,
        met_by="fulfilled_at",
        counting=Counting.EU_DAYS,
        counting_source=EU_DAYS_SOURCE,
        information_source=EIO_RUNS,
        information_is_law=True,
    ),
    # EU European Production Order, Regulation (EU) 2023/1543.
    Rule(
        B.EPOC,
        K.PRODUCE,
        "received",
        {Urgency.ROUTINE: 10 * DAY, Urgency.URGENT: 10 * DAY, Urgency.EMERGENCY: hours(8)},
        _(
            "Regulation (EU) 2023/1543 Art. 10(3): data within 10 days of the provider's "
            "receipt; Art. 10(2): where the enforcing authority was notified, at the end of "
            "those 10 days unless it raised a ground for refusal; Art. 10(4): within 8 hours "
            "in an emergency."
        ),
        is_law=True,
        party=P.PROVIDER,
        met_by="fulfilled_at",
        counting=Counting.EU_DAYS,
        counting_source=REGULATION_COUNTING,
        on_information=RESTARTS,
        information_source=_(
            "Restarts: Regulation (EU) 2023/1543 Art. 10(6): when the provider asks for "
            "clarification, the time limits do not apply until the clarification is given."
        ),
        information_is_law=True,
    ),
    Rule(
        B.EPOC,
        K.ENFORCING_REVIEW,
        "enforcing_notified",
        {Urgency.ROUTINE: 10 * DAY, Urgency.URGENT: 10 * DAY, Urgency.EMERGENCY: hours(96)},
        _(
            "Regulation (EU) 2023/1543 Art. 12(1): the notified enforcing authority may raise "
            "grounds for refusal as soon as possible, at the latest within 10 days of the "
            "notification, 96 hours in an emergency (Art. 10(4))."
        ),
        is_law=True,
        party=P.ENFORCING,
        met_by="enforcing_decided_at",
        counting=Counting.EU_DAYS,
        counting_source=REGULATION_COUNTING,
        information_source=_(
            "Concord's policy, the Regulation being silent: the enforcing authority's window "
            "keeps running while the provider's questions are answered."
        ),
        when="notification_required",
        levels=(EscalationLevel.REMINDER,),
        note=_("When the window closes without a ground raised, the order stands."),
    ),
    Rule(
        B.EPOC,
        K.CLARIFY,
        "information_asked",
        _same(5 * DAY),
        _(
            "Regulation (EU) 2023/1543 Art. 10(6): the issuing authority reacts to the "
            "provider's request for clarification expeditiously, at the latest within 5 days."
        ),
        is_law=True,
        party=P.REQUESTING,
        met_by="information_answered_at",
        counting=Counting.EU_DAYS,
        counting_source=REGULATION_COUNTING,
        information_source=_("This is the information round's own deadline."),
        information_is_law=True,
    ),
    # EU European Preservation Order, Regulation (EU) 2023/1543.
    Rule(
        B.EPOC_PR,
        K.PRESERVE,
        "received",
        _same(hours(24)),
        _("Regulation (EU) 2023/1543 Art. 11(1): preserve without undue delay on receipt."),
        is_law=False,
        party=P.PROVIDER,
        met_by="preserved_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
        note=_("Policy: the provider's confirmation of preservation within 24 hours."),
    ),
    Rule(
        B.EPOC_PR,
        K.PRESERVE_UNTIL,
        "received",
        _same(60 * DAY),
        _(
            "Regulation (EU) 2023/1543 Art. 11(1): the obligation to preserve ceases after "
            "60 days unless the issuing authority confirms that a production request was "
            "issued (Annex V)."
        ),
        is_law=True,
        party=P.REQUESTING,
        calendar_of=P.PROVIDER,
        met_by="follow_up",
        counting=Counting.EU_DAYS,
        counting_source=_(
            "Days counted by Regulation (EEC, Euratom) No 1182/71 Art. 3 in the time zone and "
            "working days of the provider that holds the data."
        ),
        information_source=_(
            "Keeps running: Art. 11(1) sets a period of preservation; questions do not suspend it."
        ),
        information_is_law=True,
        extension=30 * DAY,
        extension_by=P.REQUESTING,
        extension_source=_(
            "Regulation (EU) 2023/1543 Art. 11(1): during the 60 days, the issuing authority "
            "may extend by 30 days where needed to issue the production request (Annex VI)."
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
        party=P.REQUESTED,
        met_by="received_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
        note=_("Policy: acknowledge within 7 days."),
    ),
    Rule(
        B.BILATERAL,
        K.EXECUTE,
        "received",
        _same(60 * DAY),
        _("The bilateral treaty's time limit, as the agency admin records it."),
        is_law=False,
        party=P.REQUESTED,
        met_by="fulfilled_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
        note=_("Default 60 days; set per agency to the treaty's number."),
    ),
    # Police-to-police cooperation and the 24/7 network.
    Rule(
        B.POLICE,
        K.ACKNOWLEDGE,
        "sent",
        {Urgency.ROUTINE: hours(24), Urgency.URGENT: hours(4), Urgency.EMERGENCY: hours(4)},
        _("CETS 185 Art. 35 (24/7 network); no legal number."),
        is_law=False,
        party=P.REQUESTED,
        met_by="received_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
        note=_("Policy: acknowledge within 24 hours, 4 hours when urgent."),
    ),
    Rule(
        B.POLICE,
        K.ANSWER,
        "sent",
        _same(7 * DAY),
        _("CETS 185 Art. 35 (24/7 network); no legal number."),
        is_law=False,
        party=P.REQUESTED,
        met_by="fulfilled_at",
        counting_source=EXACT_POLICY,
        on_information=PAUSES,
        information_source=POLICY_PAUSES,
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


INFORMATION_LABELS = {
    RUNS: _("keeps running during questions"),
    PAUSES: _("pauses during questions"),
    RESTARTS: _("restarts when questions are answered"),
}


# Where a party acts: its time zone (days end at its midnight) and its country (holidays).


def place_of(request, party):
    """``(zone, country code)`` of the party that must act on ``request``."""
    if party == P.PROVIDER:
        addressee = request.provider_addressee
        if addressee is not None:
            return addressee.timezone or "UTC", addressee.country.code
        return "UTC", str(request.requested_country or "")
    if party == P.ENFORCING:
        agency = request.enforcing_agency
    elif party == P.REQUESTING:
        agency = request.requesting_agency
    else:
        agency = request.executing_agency or request.receiving_agency
        if agency is None:
            return "UTC", str(request.requested_country or "")
    if agency is None:
        return "UTC", ""
    return agency.timezone or "UTC", agency.country.code


def _clock_start(request, rule):
    return {
        "sent": request.sent_at,
        "received": request.received_at,
        "accepted": request.accepted_at,
        "preserved": request.preserved_at,
        "information_asked": request.information_asked_at,
        "enforcing_notified": request.enforcing_notified_at,
    }[rule.clock]


def _met_at(request, rule, now):
    if rule.met_by == "follow_up":
        return now if request.follow_up_id else None
    return getattr(request, rule.met_by) if rule.met_by else None


# Escalation thresholds, scaled to the deadline's window (clock start -> due):
# reminder when a quarter of the window remains (at least 1 h before), overdue at the due
# time, long overdue a quarter of the window after it (at least 1 day after).
REMINDER_MIN_LEAD = timedelta(hours=1)
LONG_OVERDUE_MIN_LAG = timedelta(days=1)


def thresholds(due_at, clock_started_at, levels=tuple(EscalationLevel)):
    """``[(level, when), ...]`` in order, for a deadline due at ``due_at``."""
    window = due_at - clock_started_at if clock_started_at else timedelta(0)
    quarter = max(window, timedelta(0)) / 4
    every = [
        (EscalationLevel.REMINDER, due_at - max(quarter, REMINDER_MIN_LEAD)),
        (EscalationLevel.OVERDUE, due_at),
        (EscalationLevel.LONG_OVERDUE, due_at + max(quarter, LONG_OVERDUE_MIN_LAG)),
    ]
    return [(level, when) for level, when in every if level in levels]


def escalates_here(request, party):
    """Whether this node escalates a deadline owed by ``party``: a request between nodes
    escalates where the side that owes the deadline is, never on the other node."""
    if party == P.REQUESTING:
        agency = request.requesting_agency
    elif party == P.REQUESTED:
        agency = request.executing_agency or request.receiving_agency
    else:
        return True
    return agency is None or agency.node_id is None


def next_threshold(row, rule, after=None):
    """The first threshold of ``row`` later than ``after`` (the first one when None)."""
    if row.state != "running" or row.due_at is None:
        return None
    if not escalates_here(row.request, row.party):
        return None
    for _level, when in thresholds(row.due_at, row.clock_started_at, rule.levels):
        if after is None or when > after:
            return when
    return None


def sync_clocks(request, now=None, policy=None):
    """Bring the request's ``RequestDeadline`` rows in step with its timestamps and status.

    Starts the clocks whose event happened (computing their due date once), marks the met
    ones, pauses / resumes / restarts running ones in an information round as each rule
    says, and ends the ones still running when the request is finished. Returns the rows.
    """
    from coordination.assistance.models import RequestDeadline

    now = now or timezone.now()
    if policy is None:
        policy = policy_of(request)
    rows = {row.kind: row for row in RequestDeadline.objects.filter(request=request)}
    for row in rows.values():
        row.request = request  # read by next_threshold: no query per row
    finished = request.status in (*FINISHED_STATUSES, Status.CLOSED)
    awaiting = request.status == Status.AWAITING_INFORMATION
    result = []
    for rule in rules_for(request.legal_basis):
        if not rule.applies(request):
            continue
        start = _clock_start(request, rule)
        row = rows.get(rule.kind)
        if start is None and row is None:
            continue
        if row is None or (rule.kind == K.CLARIFY and start and start > row.clock_started_at):
            # A new clock (each information round has its own clarification deadline).
            zone, country = place_of(request, rule.calendar_of or rule.party)
            window = rule.window(request.urgency, policy)
            counting = periods.counting_for(rule.counting, window)
            due = periods.period_end(start, window, counting, zone, country)
            row = row or RequestDeadline(request=request, kind=rule.kind)
            row.party = rule.party
            row.counting = counting
            row.zone = zone
            row.holiday_country = country
            row.clock_started_at = start
            row.due_at = row.legal_due_at = due
            row.met_at = row.paused_at = row.restarted_at = row.ended_at = None
            row.extended_at = None
            row.extension_reason = ""
        before = _snapshot(row)
        if row.met_at is None and row.ended_at is None:
            met = _met_at(request, rule, now)
            if met:
                row.met_at = met
                row.paused_at = None
            elif finished:
                row.ended_at = now
            else:
                _information_round(request, rule, row, awaiting, now, policy)
        row.escalate_at = next_threshold(row, rule) if row.state == "running" else None
        if row.pk is None or _snapshot(row) != before:
            row.save()
        result.append(row)
    return result


def _snapshot(row):
    return (
        row.clock_started_at,
        row.due_at,
        row.met_at,
        row.paused_at,
        row.restarted_at,
        row.ended_at,
        row.escalate_at,
        row.extended_at,
    )


def _information_round(request, rule, row, awaiting, now, policy):
    asked = request.information_asked_at
    if rule.on_information == RUNS:
        return
    if awaiting and asked and asked >= row.clock_started_at:
        if row.paused_at is None:
            row.paused_at = asked
        return
    if row.paused_at is None:
        return
    resumed = request.information_answered_at or now
    if resumed < row.paused_at:
        resumed = now
    if rule.on_information == RESTARTS:
        window = rule.window(request.urgency, policy)
        row.clock_started_at = resumed
        row.restarted_at = resumed
        row.due_at = periods.period_end(
            resumed, window, row.counting, row.zone, row.holiday_country
        )
    else:
        row.due_at = row.due_at + (resumed - row.paused_at)
    row.paused_at = None


def nearest(rows):
    """The running row due first (None when no clock runs)."""
    running = [r for r in rows if r.state == "running" and r.due_at is not None]
    return min(running, key=lambda r: r.due_at, default=None)


def request_due_fields(rows):
    """The request's denormalised columns of its nearest running deadline (lists, desk)."""
    row = nearest(rows)
    if row is None:
        return {"due_at": None, "due_kind": "", "due_clock_started_at": None}
    return {
        "due_at": row.due_at,
        "due_kind": row.kind,
        "due_clock_started_at": row.clock_started_at,
    }


# Extensions: taken before the period runs out, with reasons, within the rule's cap.


def _running_row(request, kind):
    from coordination.assistance.models import RequestDeadline

    return RequestDeadline.objects.filter(request=request, kind=kind).first()


def extension_refusal(request, kind, now=None):
    """Why the deadline ``kind`` of ``request`` cannot be extended now (None when it can)."""
    now = now or timezone.now()
    found = rule(request.legal_basis, kind)
    if found is None or found.extension is None:
        return gettext("The rule of this legal basis allows no extension of this deadline.")
    row = _running_row(request, kind)
    if row is None or row.state not in ("running", "stopped"):
        return gettext("This deadline is not running.")
    if row.extended_at:
        return gettext("This deadline was already extended once; the rule allows one extension.")
    if row.due_at is not None and now > row.due_at:
        return gettext(
            "The period ran out on %(due)s: an extension must be asked for before it ends."
        ) % {"due": _local(row.due_at, row.zone)}
    return None


def extension_cap(row, rule):
    return periods.period_end(
        row.legal_due_at or row.due_at, rule.extension, row.counting, row.zone, row.holiday_country
    )


def extend(request, kind, *, reason, estimate=None, now=None):
    """Extend the running deadline ``kind`` once; the EIO's takes the estimated time."""
    now = now or timezone.now()
    refusal = extension_refusal(request, kind, now)
    if refusal:
        raise ValidationError({"comment": refusal})
    found = rule(request.legal_basis, kind)
    row = _running_row(request, kind)
    cap = extension_cap(row, found)
    if kind == K.DECIDE:
        if estimate is None:
            raise ValidationError(
                {"estimate": gettext("Give the estimated time the decision needs (Art. 12(5)).")}
            )
        if timezone.is_naive(estimate):
            raise ValidationError({"estimate": gettext("Give the estimate with its time zone.")})
        if estimate <= row.due_at:
            raise ValidationError(
                {"estimate": gettext("The estimate must be later than the current deadline.")}
            )
        if estimate > cap:
            raise ValidationError(
                {
                    "estimate": gettext(
                        "An extension is 30 days at most: the decision is due by %(cap)s "
                        "at the latest."
                    )
                    % {"cap": _local(cap, row.zone)}
                }
            )
        new_due = estimate
    else:
        new_due = cap
    row.due_at = new_due
    row.extended_at = now
    row.extension_reason = reason
    row.escalate_at = next_threshold(row, found)
    row.save()
    return row


def _local(moment, zone):
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%Y-%m-%d %H:%M %Z")


def refusal_window_end(request):
    """When the notified enforcing authority's time to raise grounds ends (Art. 12(1))."""
    if not (request.notification_required and request.enforcing_notified_at):
        return None
    row = _running_row(request, K.ENFORCING_REVIEW)
    if row is not None and row.due_at is not None:
        return row.due_at
    found = rule(request.legal_basis, K.ENFORCING_REVIEW)
    if found is None:
        return None
    zone, country = place_of(request, P.ENFORCING)
    return periods.period_end(
        request.enforcing_notified_at,
        found.window(request.urgency),
        found.counting,
        zone,
        country,
    )


def refusal_window_open(request, now=None):
    """Whether the notified enforcing authority may still raise grounds (Art. 12(1))."""
    now = now or timezone.now()
    if request.enforcing_decided_at:
        return False
    end = refusal_window_end(request)
    return bool(end and request.enforcing_notified_at <= now <= end)


# Display -----------------------------------------------------------------------------


def _of_rule(name):
    return property(lambda self: getattr(self.rule, name))


def _of_row(name, default=None):
    """The stored row's value; ``default`` while the clock has not started (no row)."""
    return property(lambda self: default if self.row is None else getattr(self.row, name))


@dataclass
class Deadline:
    """One deadline of one request as pages, forms and the API show it."""

    rule: Rule
    row: object = None

    kind = _of_rule("kind")
    label = _of_rule("label")
    source = _of_rule("source")
    is_law = _of_rule("is_law")
    party = _of_rule("party")
    information_source = _of_rule("information_source")
    information_is_law = _of_rule("information_is_law")
    counting_source = _of_rule("counting_source")
    extension_source = _of_rule("extension_source")

    state = _of_row("state", "pending")
    clock_start = _of_row("clock_started_at")
    due_at = _of_row("due_at")
    legal_due_at = _of_row("legal_due_at")
    met_at = _of_row("met_at")
    extension_reason = _of_row("extension_reason", "")
    zone = _of_row("zone", "")
    # Kept for the API: the issuer's earlier date never replaces a legal date now.
    issuer_date = False

    @property
    def party_label(self):
        return Party(self.rule.party).label

    @property
    def information_rule(self):
        return INFORMATION_LABELS[self.rule.on_information]

    @property
    def is_running(self):
        return self.state == "running"

    @property
    def extended(self):
        return bool(self.row is not None and self.row.extended_at)

    @property
    def restarted(self):
        return bool(self.row is not None and self.row.restarted_at)

    @property
    def counting(self):
        return self.row.counting if self.row is not None else self.rule.counting

    @property
    def counting_label(self):
        return Counting(self.counting).label

    @property
    def window_closed(self):
        """An authority's window (silence is consent) that ran out without a decision."""
        return (
            self.rule.levels == (EscalationLevel.REMINDER,)
            and self.state == "running"
            and self.due_at is not None
            and self.due_at < timezone.now()
        )


def deadlines_for(request, policy=None, rows=None):
    """Every deadline of ``request``: the started ones as stored, the others pending."""
    if rows is None:
        rows = list(request.clocks.all()) if request.pk else []
    by_kind = {row.kind: row for row in rows}
    result = []
    for candidate in rules_for(request.legal_basis):
        row = by_kind.get(candidate.kind)
        if row is None and not candidate.applies(request):
            continue
        result.append(Deadline(candidate, row))
    return result


def current_deadline(request, policy=None):
    """The nearest running deadline, or None when no clock runs."""
    running = [d for d in deadlines_for(request, policy) if d.is_running]
    return min(running, key=lambda d: d.due_at, default=None)


def can_extend_decision(request, now=None):
    return extension_refusal(request, K.DECIDE, now) is None


def can_extend_preservation(request, now=None):
    return extension_refusal(request, K.PRESERVE_UNTIL, now) is None


def policy_of(request):
    """The policy numbers ``request``'s deadlines are counted with: those it carried when it
    left for another node (both nodes count with them), else its requesting agency's."""
    if request.policy_hours is not None:
        return {
            tuple(key.split("|")): hours
            for key, hours in request.policy_hours.items()
            if key.count("|") == 2 and isinstance(hours, int) and hours > 0
        }
    return policy_for(request.requesting_agency_id)


def policy_snapshot(request):
    """The requesting agency's numbers for the request's basis, to travel with it."""
    return {
        "|".join(key): hours
        for key, hours in policy_for(request.requesting_agency_id).items()
        if key[0] == request.legal_basis
    }


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
