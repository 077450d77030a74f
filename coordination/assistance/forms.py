"""Forms of the request pages. They check input shape; the rules live in ``actions``,
``validation`` and ``transitions``."""

from types import SimpleNamespace

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import CountryChoices
from accounts.models import Agency
from coordination.assistance import deadlines, provider_orders, validation_rules
from coordination.assistance.actions import EDITABLE_FIELDS
from coordination.assistance.choices import (
    PRESERVATION_BASES,
    ActionName,
    DataKind,
    LegalBasis,
    Measure,
    Urgency,
)
from coordination.assistance.filtersets import RequestFilterSet
from coordination.assistance.models import AssistanceRequest, ProviderEstablishment
from coordination.assistance.validation import MLA_BASES
from incidents.forms import DateTimeLocalInput, datetime_local_field


class RequestForm(forms.ModelForm):
    """The drafting form. Re-rendered by htmx when the basis, measures, urgency or
    country change, so it shows only what the chosen legal basis needs."""

    measures = forms.MultipleChoiceField(
        label=_("Measures requested"),
        choices=Measure.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "adapts"}),
        required=False,
    )
    requested_country = forms.ChoiceField(
        label=_("Requested country"),
        choices=CountryChoices(blank="—"),
        required=False,
        widget=forms.Select(attrs={"class": "adapts"}),
    )
    receiving_agency = forms.ModelChoiceField(
        label=_("Addressed to"),
        queryset=Agency.objects.none(),
        required=False,
        help_text=_("The authority of the requested country that receives the request."),
    )
    issuer_deadline = datetime_local_field(
        _("Result needed by (issuer's date)"),
        _("Only if you need the result earlier than the legal deadline. In your time zone."),
    )
    provider_addressee = forms.ModelChoiceField(
        label=_("Service provider addressed"),
        queryset=ProviderEstablishment.objects.none(),
        required=False,
        help_text=_(
            "The provider's designated establishment or legal representative in another "
            "Member State: the order is addressed to it directly (Regulation (EU) 2023/1543 "
            "Art. 7(1)). Its Member State becomes the requested country."
        ),
    )
    enforcing_agency = forms.ModelChoiceField(
        label=_("Enforcing authority notified"),
        queryset=Agency.objects.none(),
        required=False,
        help_text=_(
            "An authority of the addressee's Member State. It receives the order at the same "
            "time as the provider (Regulation (EU) 2023/1543 Art. 8(1)) and may raise grounds "
            "for refusal within 10 days, 96 hours in an emergency (Art. 12(1))."
        ),
    )

    class Meta:
        model = AssistanceRequest
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "legal_basis": forms.Select(attrs={"class": "adapts"}),
            "urgency": forms.RadioSelect(attrs={"class": "adapts"}),
            "facts": forms.Textarea(attrs={"rows": 6}),
            "offences": forms.Textarea(attrs={"rows": 3}),
            "dual_criminality": forms.Textarea(attrs={"rows": 3}),
            "urgency_reason": forms.Textarea(attrs={"rows": 2}),
            "confidentiality_reason": forms.Textarea(attrs={"rows": 2}),
            "issuer_deadline_reason": forms.Textarea(attrs={"rows": 2}),
            "confidentiality_requested": forms.CheckboxInput(attrs={"class": "adapts"}),
            "provisional_measures": forms.CheckboxInput(attrs={"class": "adapts"}),
            "provisional_measures_detail": forms.Textarea(attrs={"rows": 2}),
            "identification_only": forms.CheckboxInput(attrs={"class": "adapts"}),
            "notification_exception": forms.CheckboxInput(attrs={"class": "adapts"}),
            "notification_exception_reason": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["legal_basis"].choices = [("", _("Choose the legal basis…"))] + list(
            LegalBasis.choices
        )
        self.fields["urgency"].choices = Urgency.choices
        # Left empty: the incident's marking when drafted from one (actions.create_request).
        self.fields["tlp"].required = False
        country = self._value("requested_country")
        agencies = (
            Agency.objects.listed()
            .exclude(pk=getattr(user, "agency_id", None))
            .select_related("node")
        )
        if country:
            agencies = agencies.filter(country=country)
        self.fields["receiving_agency"].queryset = agencies.order_by(
            "country", "-is_24_7_contact", "name"
        )
        # htmx: changing one of these re-renders the form for the chosen basis (input kept).
        adapt = {
            "hx-post": reverse("assistance:form_adapt"),
            "hx-trigger": "change",
            "hx-include": "closest form",
            "hx-target": "#request-form-fields",
            "hx-swap": "outerHTML",
        }
        for name in (
            "legal_basis",
            "requested_country",
            "receiving_agency",
            "measures",
            "urgency",
            "confidentiality_requested",
            "provider_addressee",
            "identification_only",
            "notification_exception",
        ):
            self.fields[name].widget.attrs.update(adapt)
        self.fields["provider_addressee"].queryset = ProviderEstablishment.objects.filter(
            is_active=True, provider__is_active=True
        ).select_related("provider")
        self.fields["provider_addressee"].label_from_instance = lambda e: (
            f"{e.provider.name} · {e.get_role_display()} · {e.country.name} ({e.country.code})"
        )
        addressee = self._addressee()
        self.fields["enforcing_agency"].queryset = provider_orders.enforcing_agencies(
            addressee.country.code if addressee else ""
        )
        self.fields["receiving_agency"].label_from_instance = lambda a: (
            f"{a.name} ({a.country.code})"
            + (" · 24/7" if a.is_24_7_contact else "")
            + (" · " + _("remote, node %(node)s") % {"node": a.node.name} if a.node_id else "")
        )

    def _value(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "")
        value = self.initial.get(name)
        if value is None and self.instance.pk:
            value = getattr(self.instance, name)
        return str(getattr(value, "code", value) or "")

    @property
    def basis(self):
        return self._value("legal_basis")

    def _addressee(self):
        pk = self._value("provider_addressee")
        if not pk or not str(pk).isdigit():
            return None
        return (
            ProviderEstablishment.objects.filter(pk=pk, is_active=True)
            .select_related("provider")
            .first()
        )

    def _checked(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name)) in ("on", "true", "1")
        value = self.initial.get(name)
        if value is None:
            value = getattr(self.instance, name)
        return bool(value)

    @property
    def is_provider_order(self):
        return provider_orders.is_provider_basis(self.basis)

    @property
    def notification_needed(self):
        """Art. 8(1): an EPOC for content data, or traffic data not only to identify."""
        if self.is_bound:
            chosen = self.data.getlist(self.add_prefix("measures"))
        else:
            chosen = self.initial.get("measures") or self.instance.measures or []
        return provider_orders.notification_needed(
            SimpleNamespace(
                legal_basis=self.basis,
                measures=list(chosen),
                identification_only=self._checked("identification_only"),
            )
        )

    @property
    def notification_excepted(self):
        return self.notification_needed and self._checked("notification_exception")

    @property
    def addressee(self):
        return self._addressee()

    @property
    def urgency_value(self):
        return self._value("urgency") or Urgency.ROUTINE

    @property
    def needs_dual_criminality(self):
        return self.basis in MLA_BASES

    @property
    def is_preservation(self):
        return self.basis in PRESERVATION_BASES

    @property
    def needs_provider(self):
        return self.basis in (*PRESERVATION_BASES, LegalBasis.EPOC)

    @property
    def offers_provisional_measures(self):
        return self.basis == LegalBasis.EIO

    @property
    def wants_provisional_detail(self):
        if self.is_bound:
            return self.data.get(self.add_prefix("provisional_measures")) in ("on", "true", "1")
        return bool(self.initial.get("provisional_measures") or self.instance.provisional_measures)

    @property
    def wants_urgency_reason(self):
        return self.urgency_value != Urgency.ROUTINE

    @property
    def wants_confidentiality_reason(self):
        if self.is_bound:
            return self.data.get(self.add_prefix("confidentiality_requested")) in (
                "on",
                "true",
                "1",
            )
        return bool(self.instance.confidentiality_requested)

    @property
    def rules(self):
        """The deadline rules of the chosen basis, for the side panel."""
        if not self.basis:
            return []
        flags = {"provisional_measures": self.wants_provisional_detail}
        return [r for r in deadlines.rules_for(self.basis) if flags.get(r.when, True)]

    def _as_drafted(self):
        """An unsaved request with the basis, measures and addressee chosen so far."""
        if self.is_bound:
            measures = self.data.getlist(self.add_prefix("measures"))
            agency_id = self.data.get(self.add_prefix("receiving_agency")) or None
        else:
            measures = self.initial.get("measures") or self.instance.measures or []
            agency_id = self.initial.get("receiving_agency") or self.instance.receiving_agency_id
        agency = None
        if str(agency_id or "").isdigit():
            agency = self.fields["receiving_agency"].queryset.filter(pk=agency_id).first()
        return AssistanceRequest(
            legal_basis=self.basis,
            measures=list(measures),
            identification_only=self.instance.identification_only,
            requesting_agency=getattr(self.user, "agency", None),
            receiving_agency=agency,
        )

    @property
    def addressee_warning(self):
        """Beside the addressee: an EIO addressed to a police unit or CERT."""
        if self.basis != LegalBasis.EIO:
            return ""
        return validation_rules.addressee_warning(self._as_drafted())

    @property
    def validation_hint(self):
        """Who will validate the request before it is sent, with the source ("" if none)."""
        if not self.basis or getattr(self.user, "agency", None) is None:
            return ""
        return validation_rules.who_must_validate(self._as_drafted())

    def changes(self):
        data = {name: self.cleaned_data.get(name) for name in EDITABLE_FIELDS}
        data["measures"] = list(data["measures"] or [])
        data["requested_country"] = data["requested_country"] or ""
        for text in (
            "urgency_reason",
            "facts",
            "offences",
            "dual_criminality",
            "confidentiality_reason",
            "issuer_deadline_reason",
            "provisional_measures_detail",
            "notification_exception_reason",
        ):
            data[text] = (data[text] or "").strip()
        for flag in ("identification_only", "notification_exception", "provisional_measures"):
            data[flag] = bool(data[flag])
        data["urgency"] = data["urgency"] or Urgency.ROUTINE
        data["confidentiality_requested"] = bool(data["confidentiality_requested"])
        if not data.get("tlp"):
            data.pop("tlp", None)
        return data


class DataSoughtForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—")] + list(DataKind.choices), required=False
    )
    value = forms.CharField(label=_("Identifier"), max_length=300, required=False)
    observed_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("In your time zone."),
    )
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("value") and not data.get("kind"):
            self.add_error("kind", _("Choose what kind of identifier this is."))
        if data.get("kind") and not (data.get("value") or "").strip():
            self.add_error("value", _("Give the identifier."))
        return data

    @property
    def is_blank(self):
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("kind") or data.get("value"))


DataSoughtFormSet = forms.formset_factory(DataSoughtForm, extra=2, max_num=50, validate_max=True)


def data_sought_items(formset):
    return [
        {k: f.cleaned_data.get(k) for k in ("kind", "value", "observed_at", "provider", "note")}
        for f in formset.forms
        if f.cleaned_data and not f.is_blank
    ]


def data_sought_initial(request_obj):
    if not request_obj or not request_obj.pk:
        return []
    return [
        {
            "kind": item.kind,
            "value": item.value,
            "observed_at": item.observed_at,
            "provider": item.provider,
            "note": item.note,
        }
        for item in request_obj.data_sought.all()
    ]


class TransitionForm(forms.Form):
    """What any action may carry; which of it is needed is the action's business."""

    comment = forms.CharField(required=False, max_length=10000, widget=forms.Textarea)
    received_at = datetime_local_field(_("Actually received at"))
    estimate = datetime_local_field(_("Estimated time of the decision"))
    agency = forms.ModelChoiceField(queryset=Agency.objects.active(), required=False)
    follow_up = forms.CharField(required=False, max_length=20)
    transmission_id = forms.CharField(required=False, max_length=120)
    confirm_addressee = forms.BooleanField(
        label=_("I confirm sending this EIO to a police authority"), required=False
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Document"))


class RequestListFilterSet(RequestFilterSet):
    """The shared request filters with widgets for the browser's filter bar."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "placeholder": _("Reference or text"), "autocomplete": "off"}
        )
        fields["status"].widget = forms.CheckboxSelectMultiple()
        fields["status"].widget.choices = fields["status"].choices
        fields["overdue"].widget = forms.Select(
            choices=[("", "—"), ("true", _("Overdue only")), ("false", _("Not overdue"))]
        )
        for name in ("direction", "legal_basis", "country", "urgency"):
            fields[name].empty_label = "—"
            fields[name].choices = [("", "—"), *list(fields[name].choices)[1:]]

    ACTIVE_KEYS = ("q", "direction", "status", "legal_basis", "country", "urgency", "overdue")

    def is_filtered(self):
        if not self.data:
            return False
        return any(value for key in self.ACTIVE_KEYS for value in self.data.getlist(key))


class PolicyForm(forms.Form):
    """An agency admin's numbers for the policy deadlines (empty: the default)."""

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.rows = []
        for rule in deadlines.configurable_rules():
            row = {"rule": rule, "fields": []}
            for urgency in Urgency:
                name = f"{rule.basis}__{rule.kind}__{urgency}"
                default_hours = int(rule.windows[urgency].total_seconds() // 3600)
                self.fields[name] = forms.IntegerField(
                    label=f"{LegalBasis(rule.basis).label} · {rule.label} · {urgency.label}",
                    required=False,
                    min_value=1,
                    max_value=24 * 366,
                    initial=current.get((rule.basis, rule.kind, urgency.value)),
                    widget=forms.NumberInput(attrs={"placeholder": default_hours}),
                    help_text=_("Default: %(hours)d h") % {"hours": default_hours},
                )
                row["fields"].append((urgency, name))
            self.rows.append(row)

    def bound_rows(self):
        return [
            {
                "rule": row["rule"],
                "basis_label": LegalBasis(row["rule"].basis).label,
                "fields": [(u, self[name]) for u, name in row["fields"]],
            }
            for row in self.rows
        ]


ACTION_HINTS = {
    ActionName.RETURN: _("What must the drafter change?"),
    ActionName.EXTEND: _("Reasons for the delay (they go to the issuing side)."),
    ActionName.DECIDE_PROVISIONAL: _(
        "Your decision on the provisional measures: taken, partly taken or not, and why."
    ),
    ActionName.ASK_INFORMATION: _("Your questions to the requesting side."),
    ActionName.ANSWER: _("Your answer to the questions."),
    ActionName.FULFIL: _("What was done and how the results are transmitted."),
    ActionName.FULFIL_PARTLY: _("What was done, what could not be, and why."),
    ActionName.REFUSE: _("The grounds for refusal."),
    ActionName.WITHDRAW: _("Why the request is withdrawn."),
    ActionName.EXTEND_PRESERVATION: _(
        "Why more time is needed to issue the production request (Regulation (EU) 2023/1543 "
        "Art. 11(1), Annex VI)."
    ),
    ActionName.RECORD_CLARIFICATION_REQUEST: _(
        "The provider's questions (Annex III). Answer within 5 days; its time limits do not "
        "apply until you do (Regulation (EU) 2023/1543 Art. 10(6))."
    ),
    ActionName.RECORD_DATA_PARTLY: _("What the provider sent, and what it did not."),
    ActionName.RECORD_IMPOSSIBILITY: _(
        "The provider's reasons why it cannot execute the order (Annex III; Regulation (EU) "
        "2023/1543 Art. 10(7))."
    ),
    ActionName.RAISE_REFUSAL_GROUNDS: _(
        "The ground for refusal and why (Regulation (EU) 2023/1543 Art. 12(1)): (a) immunities "
        "or privileges, or rules on freedom of the press; (b) a manifest breach of a "
        "fundamental right (Art. 6 TEU, the Charter); (c) ne bis in idem; (d) the conduct is "
        "not an offence under your law (except the offences listed in Annex IV)."
    ),
}
