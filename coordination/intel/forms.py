"""Forms of the indicator panel and of the intel search page."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import User
from coordination.intel.choices import TYPED_CHOICES, IndicatorType
from coordination.intel.normalise import detect_type, normalise
from incidents.choices import TLP
from incidents.forms import datetime_local_field, recipient_label


def _offer_tlp(field, incident):
    """Offer only labels no lower than the incident's; a lower one posted anyway is refused
    by the action with its own message."""
    field.widget.choices = [(v, TLP(v).label) for v in TLP.at_least(incident.tlp)]


def _audience_field():
    return forms.ModelMultipleChoiceField(
        label=_("Named recipients (TLP:RED)"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("A TLP:RED indicator is read by you and these people alone."),
    )


def _offer_audience(field, incident, user):
    """The people of the case's agencies, as for TLP:RED timeline entries."""
    field.queryset = (
        User.objects.nameable()
        .filter(agency__participations__incident=incident)
        .exclude(pk=getattr(user, "pk", None))
        .select_related("agency__node")
        .order_by("agency__country", "agency__name", "last_name", "first_name")
    )
    field.label_from_instance = recipient_label


def _check_value(form, type_, value):
    """Validate the value with the form, so all errors show at once (the action re-checks)."""
    if not value:
        return
    try:
        normalise(type_ or detect_type(value), value)
    except ValidationError as exc:
        form.add_error("value", exc)


class IndicatorForm(forms.Form):
    value = forms.CharField(
        label=_("Value"),
        max_length=4096,  # refanging shortens; the action checks the stored length
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("IP, network, domain, URL, email, hash or file name; defanged forms are fine."),
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("Detect automatically")), *TYPED_CHOICES],
        required=False,
    )
    tlp = forms.ChoiceField(label=_("TLP"), choices=TLP.choices)
    confidence = forms.IntegerField(
        label=_("Confidence"), min_value=0, max_value=100, required=False, help_text=_("0 to 100.")
    )
    first_seen = datetime_local_field(_("First seen"), _("In your time zone."))
    last_seen = datetime_local_field(_("Last seen"), _("In your time zone."))
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    audience = _audience_field()

    def __init__(self, *args, incident, user=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("tlp", incident.tlp)
        kwargs.setdefault("prefix", "one")
        super().__init__(*args, **kwargs)
        _offer_tlp(self.fields["tlp"], incident)
        _offer_audience(self.fields["audience"], incident, user)

    def clean(self):
        data = super().clean()
        _check_value(self, data.get("type"), data.get("value"))
        return data


class PasteForm(forms.Form):
    text = forms.CharField(
        label=_("Indicators, one per line"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"}),
        help_text=_(
            "Types are detected; defanged forms (hxxp://, [.]) are refanged. "
            "Blank lines and lines starting with # are skipped."
        ),
        max_length=500_000,
    )
    tlp = forms.ChoiceField(label=_("TLP for all"), choices=TLP.choices)
    confidence = forms.IntegerField(
        label=_("Confidence for all"), min_value=0, max_value=100, required=False
    )
    note = forms.CharField(label=_("Note for all"), required=False, max_length=5000)
    audience = _audience_field()
    skip_refused = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, incident, user=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("tlp", incident.tlp)
        kwargs.setdefault("prefix", "paste")
        super().__init__(*args, **kwargs)
        _offer_tlp(self.fields["tlp"], incident)
        _offer_audience(self.fields["audience"], incident, user)


class IntelSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=2048,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("IP, domain, hash…"), "autocomplete": "off"}
        ),
        help_text=_("Exact match once normalised; otherwise any value containing the text."),
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Any type")), *IndicatorType.choices], required=False
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    added_from = forms.DateField(
        label=_("Added from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    added_to = forms.DateField(
        label=_("Added until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any country")), *countries]
        self.fields["country"].help_text = _("Of the incident's lead agency.")

    def clean(self):
        data = super().clean()
        start, end = data.get("added_from"), data.get("added_to")
        if start and end and end < start:
            self.add_error("added_to", _("The end date is before the start date."))
        return data

    def is_filtered(self):
        return self.is_bound and any(self.data.get(k) for k in self.fields)
