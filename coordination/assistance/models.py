"""Cross-border requests for assistance: MLA, preservation and production (DESIGN.md §4).

Rows change state only through ``coordination.assistance.transitions``; the columns
``due_at`` / ``due_kind`` / ``due_clock_started_at`` hold the deadline currently running
(recomputed by every transition from ``coordination.assistance.deadlines``).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from coordination.assistance.choices import (
    OPEN_STATUSES,
    Counting,
    DataKind,
    DeadlineKind,
    EnforcingDecision,
    EscalationLevel,
    LegalBasis,
    Party,
    ProviderOutcome,
    ProviderRole,
    Status,
    Urgency,
)
from coordination.assistance.querysets import AssistanceRequestQuerySet
from incidents.choices import TLP
from incidents.models.origin import Replicated


class AssistanceRequest(Replicated):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assistance_requests",
        verbose_name=_("incident"),
    )
    legal_basis = models.CharField(_("legal basis"), max_length=16, choices=LegalBasis.choices)
    # A list of ``Measure`` values (several per request); checked in ``clean_measures``.
    measures = models.JSONField(_("measures requested"), default=list, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    urgency_reason = models.TextField(
        _("why it is urgent"),
        blank=True,
        help_text=_("For an emergency: the imminent danger to life or physical integrity."),
    )
    requesting_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="requests_made",
        verbose_name=_("requesting agency"),
    )
    requested_country = CountryField(_("requested country"), blank=True)
    receiving_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_addressed",
        verbose_name=_("addressed to"),
        help_text=_("The authority of the requested country that receives the request."),
    )
    executing_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_executing",
        verbose_name=_("executing agency"),
        editable=False,
    )
    facts = models.TextField(_("summary of the facts"), blank=True)
    offences = models.TextField(_("offences and applicable law"), blank=True)
    dual_criminality = models.TextField(
        _("dual criminality"),
        blank=True,
        help_text=_("Why the conduct is also an offence in the requested country."),
    )
    # The request's own TLP 2.0 marking, never below what it quotes (validation.tlp_floor).
    tlp = models.CharField(
        _("TLP"),
        max_length=16,
        choices=TLP.choices,
        default=TLP.AMBER,
        help_text=_("Never lower than the incident whose facts the request quotes."),
    )
    confidentiality_requested = models.BooleanField(_("confidentiality asked"), default=False)
    confidentiality_reason = models.TextField(_("why confidentiality"), blank=True)
    issuer_deadline = models.DateTimeField(
        _("requested by (issuer's date)"),
        null=True,
        blank=True,
        help_text=_("An earlier date the issuing authority needs the result by, with reasons."),
    )
    issuer_deadline_reason = models.TextField(_("why that date"), blank=True)
    # Directive 2014/41/EU Art. 32: the issuing side asks for provisional measures itself.
    provisional_measures = models.BooleanField(_("provisional measures asked"), default=False)
    provisional_measures_detail = models.TextField(
        _("provisional measures"),
        blank=True,
        help_text=_("What must be prevented meanwhile (destruction, transfer, disposal)."),
    )
    # Regulation (EU) 2023/1543: orders go to a provider's establishment or representative.
    provider_addressee = models.ForeignKey(
        "assistance.ProviderEstablishment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("service provider addressed"),
        help_text=_("The designated establishment or legal representative (Art. 7)."),
    )
    identification_only = models.BooleanField(
        _("data only to identify the user"),
        default=False,
        help_text=_(
            "Traffic data asked for the sole purpose of identifying the user "
            "(Regulation (EU) 2023/1543 Art. 3(10))."
        ),
    )
    notification_exception = models.BooleanField(
        _("no notification (Art. 8(2))"),
        default=False,
        help_text=_(
            "Reasonable grounds to believe the offence was committed in the issuing State and "
            "the person whose data are sought resides there."
        ),
    )
    notification_exception_reason = models.TextField(_("grounds for not notifying"), blank=True)
    enforcing_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders_notified",
        verbose_name=_("enforcing authority"),
        help_text=_("The authority of the provider's Member State notified under Art. 8."),
    )

    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    # Compare-and-swap token: every transition bumps it; a stale writer loses (409).
    version = models.PositiveIntegerField(default=1, editable=False)
    # Where ``answer`` returns to (the status in which information was asked).
    resume_status = models.CharField(max_length=24, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("drafted by"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Judicial validation (Directive 2014/41/EU Art. 2(c)(ii), Regulation (EU) 2023/1543
    # Art. 4): the judge, court or prosecutor who validated the order before it left.
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("validated by"),
    )
    validating_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("validating authority"),
    )
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True, editable=False)
    # Set on submit: the agency kinds that may validate it ("court" or "prosecutor,court";
    # empty: four-eyes approval). Lets ``restrict`` show validators their queue by column.
    validation_kinds = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Clock starts, each its own timestamp (DESIGN.md §4).
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    received_at = models.DateTimeField(_("received"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("recognised"), null=True, blank=True, editable=False)
    information_asked_at = models.DateTimeField(null=True, blank=True, editable=False)
    information_answered_at = models.DateTimeField(
        _("information answered"), null=True, blank=True, editable=False
    )
    decision_extended_at = models.DateTimeField(null=True, blank=True, editable=False)
    extension_reason = models.TextField(blank=True, editable=False)
    # Directive 2014/41/EU Art. 12(5): the estimated time the decision needs, within 30 days.
    extension_estimate = models.DateTimeField(null=True, blank=True, editable=False)
    provisional_decided_at = models.DateTimeField(
        _("provisional measures decided"), null=True, blank=True, editable=False
    )
    provisional_decision = models.TextField(blank=True, editable=False)
    preserved_at = models.DateTimeField(_("preserved"), null=True, blank=True, editable=False)
    preserved_until = models.DateTimeField(
        _("preserved until"), null=True, blank=True, editable=False
    )
    preservation_extended_at = models.DateTimeField(null=True, blank=True, editable=False)
    preservation_extension_reason = models.TextField(blank=True, editable=False)
    # Orders to a provider: the channel's own identifier (the Regulation's decentralised IT
    # system once it runs), whether the enforcing authority had to be notified (Art. 8),
    # its decision (Art. 12) and the provider's answer (Annex III).
    transmission_id = models.CharField(
        _("transmission identifier"), max_length=120, blank=True, editable=False
    )
    notification_required = models.BooleanField(default=False, editable=False)
    enforcing_notified_at = models.DateTimeField(
        _("enforcing authority notified"), null=True, blank=True, editable=False
    )
    enforcing_decision = models.CharField(
        max_length=16, choices=EnforcingDecision.choices, blank=True, editable=False
    )
    enforcing_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    enforcing_grounds = models.TextField(blank=True, editable=False)
    provider_outcome = models.CharField(
        max_length=16, choices=ProviderOutcome.choices, blank=True, editable=False
    )
    provider_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    follow_up = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="preservations",
        editable=False,
        verbose_name=_("follow-up request"),
    )
    fulfilled_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The nearest running deadline (list pages, the desk); every running deadline is its own
    # ``RequestDeadline`` row, which is what the escalation sweep reads.
    due_at = models.DateTimeField(_("due"), null=True, blank=True, editable=False)
    due_kind = models.CharField(
        max_length=16, choices=DeadlineKind.choices, blank=True, editable=False
    )
    due_clock_started_at = models.DateTimeField(null=True, blank=True, editable=False)

    # A request between nodes (coordination.federation): a replica's reference on the
    # requesting node, and the reference there of the case it was drafted from (shown when
    # that case is not shared with this node).
    origin_reference = models.CharField(max_length=20, blank=True, editable=False)
    origin_incident_reference = models.CharField(max_length=20, blank=True, editable=False)
    # The requesting agency's policy numbers when the request left for another node,
    # ``{"basis|kind|urgency": hours}``: both nodes count its deadlines with them.
    policy_hours = models.JSONField(null=True, blank=True, editable=False)

    objects = AssistanceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = Replicated.Meta.constraints
        verbose_name = _("request for assistance")
        verbose_name_plural = _("requests for assistance")
        indexes = [
            # Escalation sweep and the desk: open requests whose due_at passed a threshold
            # (due_at is null once no clock runs, so the partial index holds open ones only).
            models.Index(
                fields=["due_at"],
                name="request_due_idx",
                condition=models.Q(due_at__isnull=False),
            ),
            # Requested side's inbox: what arrived for my agency, by state.
            models.Index(fields=["receiving_agency", "status"], name="request_receiving_idx"),
            models.Index(fields=["executing_agency", "status"], name="request_executing_idx"),
            # Requesting side's outbox and the four-eyes approval queue.
            models.Index(fields=["requesting_agency", "status"], name="request_requesting_idx"),
            # Validators' queue: requests of their country waiting for judicial validation.
            models.Index(
                fields=["validation_kinds", "requesting_agency"],
                name="request_validation_idx",
                condition=models.Q(status="pending_approval"),
            ),
            # Request list default order.
            models.Index(fields=["-updated_at", "-id"], name="request_updated_idx"),
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("assistance:detail", kwargs={"reference": self.reference})

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def counterpart_node(self):
        """The other node of a request between nodes ("" for one kept on this node): the
        requesting node for a replica, the addressee's node for one sent from here."""
        from coordination.assistance.choices import INTERNAL_STATUSES

        if self.origin_node:
            return self.origin_node
        if self.status in INTERNAL_STATUSES or not self.receiving_agency_id:
            return ""
        agency = self.receiving_agency
        return agency.node.name if agency.node_id else ""

    @property
    def acting_agency_id(self):
        """The requested-side agency that acts now: executing once set, else addressee."""
        return self.executing_agency_id or self.receiving_agency_id

    def measure_labels(self):
        from coordination.assistance.choices import Measure

        return [Measure(m).label for m in self.measures if m in Measure.values]

    @property
    def is_provider_order(self):
        from coordination.assistance.choices import PROVIDER_BASES

        return self.legal_basis in PROVIDER_BASES


class ServiceProvider(models.Model):
    """A service provider offering its services in the Union (Regulation (EU) 2023/1543)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    services = models.TextField(
        _("services"), blank=True, help_text=_("Electronic communications, hosting, domains...")
    )
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")

    def __str__(self):
        return self.name


class ProviderEstablishment(models.Model):
    """Where a provider receives orders in one Member State (Art. 7; Directive (EU) 2023/1544)."""

    provider = models.ForeignKey(
        ServiceProvider, on_delete=models.CASCADE, related_name="establishments"
    )
    role = models.CharField(_("role"), max_length=16, choices=ProviderRole.choices)
    country = CountryField(_("Member State"))
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("postal address"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(
        _("language"),
        max_length=8,
        default="en",
        help_text=_("The language orders are accepted in (Art. 9(5))."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["provider__name", "country", "role"]
        verbose_name = _("provider establishment")
        verbose_name_plural = _("provider establishments")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "country", "role"], name="provider_establishment_unique"
            )
        ]

    def __str__(self):
        return f"{self.provider.name}, {self.get_role_display().lower()} ({self.country.code})"


class RequestDeadline(models.Model):
    """One deadline of one request, computed when its clock started and never re-dated.

    Only what the law or the basis's policy provides changes it afterwards: an extension, a
    pause or a restart during an information round (``deadlines.Rule.on_information``).
    """

    request = models.ForeignKey(AssistanceRequest, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(_("deadline"), max_length=16, choices=DeadlineKind.choices)
    party = models.CharField(_("who must act"), max_length=16, choices=Party.choices)
    counting = models.CharField(_("counting"), max_length=16, choices=Counting.choices)
    # The zone and country of the party that must act: days end at its midnight, and its
    # public holidays move a last day.
    zone = models.CharField(max_length=64, default="UTC")
    holiday_country = models.CharField(max_length=2, blank=True)
    clock_started_at = models.DateTimeField(_("clock started"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # The due date as first computed, before any extension.
    legal_due_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    restarted_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["clock_started_at", "pk"]
        verbose_name = _("deadline")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="request_deadline_once")
        ]
        indexes = [
            # Escalation sweep: every running deadline's next threshold, one partial index.
            models.Index(
                fields=["escalate_at"],
                name="deadline_escalate_idx",
                condition=models.Q(escalate_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.request_id} {self.kind} {self.due_at}"

    @property
    def state(self):
        if self.met_at:
            return "met"
        if self.ended_at:
            return "over"
        if self.paused_at:
            return "stopped"
        if self.due_at is None:
            return "held"
        return "running"


class DataSought(models.Model):
    """One identifier the request asks about (account, IP and time, domain, ...)."""

    request = models.ForeignKey(
        AssistanceRequest, on_delete=models.CASCADE, related_name="data_sought"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DataKind.choices)
    value = models.CharField(_("identifier"), max_length=300)
    observed_at = models.DateTimeField(
        _("date and time (UTC)"),
        null=True,
        blank=True,
        help_text=_("Needed for an IP address: providers identify a subscriber by time."),
    )
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("data sought")
        verbose_name_plural = _("data sought")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"


def attachment_path(instance, filename):
    # Stored by content hash: the same file is stored once and its name cannot lie.
    return f"requests/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A document attached to the request, hashed (SHA-256) while it is stored."""

    request = models.ForeignKey(
        AssistanceRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return f"{self.name} ({self.sha256[:12]}…)"


class StatusHistory(Replicated):
    """One transition of one request: who, from which agency, from, to, why, when.

    Copies the actor's and agency's names so removing a user erases nothing. A step taken
    on another node keeps its node and id there (``origin_node``/``origin_id``).
    """

    request = models.ForeignKey(AssistanceRequest, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=200)
    actor_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_agency_name = models.CharField(max_length=200, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # Deadline running after the transition, as shown at that moment.
    due_at = models.DateTimeField(null=True, blank=True)
    due_kind = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = _("status history")
        constraints = Replicated.Meta.constraints
        indexes = [
            # Request page and /history/ endpoint: one request's rows in order.
            models.Index(fields=["request", "at"], name="request_history_idx"),
        ]

    def __str__(self):
        return f"{self.request_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self):
        from coordination.assistance.choices import ActionName

        try:
            return ActionName(self.action).label
        except ValueError:
            return self.action


class DeadlinePolicy(models.Model):
    """An agency's own number for a policy deadline (rules without a legal number)."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.CASCADE, related_name="deadline_policies"
    )
    legal_basis = models.CharField(_("legal basis"), max_length=16, choices=LegalBasis.choices)
    kind = models.CharField(_("deadline"), max_length=16, choices=DeadlineKind.choices)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices)
    hours = models.PositiveIntegerField(
        _("hours"), validators=[MinValueValidator(1), MaxValueValidator(24 * 366)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "legal_basis", "kind", "urgency"], name="deadline_policy_unique"
            )
        ]
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")

    def __str__(self):
        return f"{self.agency_id} {self.legal_basis} {self.kind} {self.urgency}: {self.hours} h"


class Escalation(models.Model):
    """One escalation level reached by one deadline of one request.

    Unique on (request, deadline kind, due date, level): each level of each deadline fires
    once, even when two sweeps overlap. A new due date (extension, recomputation) is a new
    deadline and escalates afresh.
    """

    request = models.ForeignKey(
        AssistanceRequest, on_delete=models.CASCADE, related_name="escalations"
    )
    due_kind = models.CharField(_("deadline"), max_length=16, choices=DeadlineKind.choices)
    due_at = models.DateTimeField(_("due"))
    level = models.CharField(_("level"), max_length=16, choices=EscalationLevel.choices)
    threshold_at = models.DateTimeField(_("threshold"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("escalation")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "due_kind", "due_at", "level"], name="escalation_once"
            )
        ]

    def __str__(self):
        return f"{self.request_id} {self.due_kind} {self.level}"


class DelayNotice(models.Model):
    """The requested side's word to the requesting side that a deadline will be missed."""

    request = models.ForeignKey(
        AssistanceRequest, on_delete=models.CASCADE, related_name="delay_notices"
    )
    due_kind = models.CharField(_("deadline"), max_length=16, choices=DeadlineKind.choices)
    due_at = models.DateTimeField(_("due"))
    reasons = models.TextField(_("reasons for the delay"))
    new_estimate = models.DateTimeField(_("new estimate"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_by_name = models.CharField(max_length=200)
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("delay notice")

    def __str__(self):
        return f"{self.request_id} delay notice {self.sent_at:%Y-%m-%d}"
