"""Forms of the evidence pages. They check the input's shape; the rules live in actions.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from incidents.choices import ParticipationRole
from incidents.evidence.choices import CustodyAction, EvidenceKind
from incidents.forms import DateTimeLocalInput, datetime_local_field
from incidents.models.evidence import sha256_validator

HASH_ATTRS = {
    "class": "mono",
    "spellcheck": "false",
    "autocomplete": "off",
    "pattern": "[0-9a-fA-F]{64}",
    "maxlength": "64",
}


class EvidenceForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *EvidenceKind.choices])
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the item is, its make, model or serial number, its condition."),
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_(
            "Optional. Hashed while it uploads and stored by its SHA-256; any size. "
            "If you also type the hash below, the two must agree."
        ),
    )
    sha256 = forms.CharField(
        label=_("SHA-256"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs=HASH_ATTRS),
        help_text=_("Required without a file: the hash taken at acquisition."),
    )
    size = forms.IntegerField(
        label=_("Size in bytes"), required=False, min_value=0, help_text=_("Without a file.")
    )
    acquired_at = datetime_local_field(_("Acquired at"), _("In your time zone."))
    acquired_by_name = forms.CharField(label=_("Acquired by"), max_length=200)
    acquired_where = forms.CharField(label=_("Place of acquisition"), max_length=300)
    acquisition_method = forms.CharField(
        label=_("Method"),
        required=False,
        max_length=300,
        help_text=_(
            "E.g. hardware write blocker, logical extraction, export from the mail server."
        ),
    )
    seal_number = forms.CharField(label=_("Seal number"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acquired_at"].required = True

    def action_fields(self):
        data = dict(self.cleaned_data)
        data.pop("file")
        return data


# The fields each action's form shows, in order.
ACTION_FIELDS = {
    CustodyAction.TRANSFERRED: (
        "to_agency",
        "to_person",
        "occurred_at",
        "purpose",
        "channel",
        "seal_ids",
        "hash_observed",
        "location",
        "notes",
    ),
    CustodyAction.RECEIVED: ("occurred_at", "location", "seal_ids", "hash_observed", "notes"),
    CustodyAction.ACCESSED: ("occurred_at", "purpose", "location", "hash_observed", "notes"),
    CustodyAction.ANALYSED: ("occurred_at", "purpose", "location", "hash_observed", "notes"),
    CustodyAction.COPIED: ("occurred_at", "purpose", "location", "hash_observed", "notes"),
    CustodyAction.SEALED: ("seal_ids", "occurred_at", "location", "notes"),
    CustodyAction.UNSEALED: ("occurred_at", "purpose", "location", "seal_ids", "notes"),
    CustodyAction.RETURNED: ("to_person", "occurred_at", "purpose", "location", "notes"),
    CustodyAction.DISPOSED: ("occurred_at", "purpose", "channel", "location", "notes"),
}

# Fields an action cannot do without (actions.record_custody_event checks them too).
ACTION_REQUIRED = {
    CustodyAction.TRANSFERRED: ("purpose",),
    CustodyAction.ACCESSED: ("purpose",),
    CustodyAction.ANALYSED: ("purpose",),
    CustodyAction.COPIED: ("purpose",),
    CustodyAction.SEALED: ("seal_ids",),
    CustodyAction.RETURNED: ("to_person", "purpose"),
    CustodyAction.DISPOSED: ("purpose",),
}

# Labels that read better for some actions.
ACTION_LABELS = {
    (CustodyAction.TRANSFERRED, "to_person"): _("Receiving person"),
    (CustodyAction.RETURNED, "to_person"): _("Returned to"),
    (CustodyAction.DISPOSED, "channel"): _("Disposal method"),
    (CustodyAction.RECEIVED, "notes"): _("Condition on arrival"),
}


class CustodyEventForm(forms.Form):
    to_agency = forms.ModelChoiceField(
        label=_("Receiving agency"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=_("Someone outside Concord (name them below)"),
        help_text=_("An agency of this case; a member of it records the receipt."),
    )
    to_person = forms.CharField(label=_("Receiving person"), required=False, max_length=200)
    occurred_at = datetime_local_field(_("When"), _("In your time zone. Leave empty for now."))
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=500)
    channel = forms.CharField(
        label=_("Transport or channel"),
        required=False,
        max_length=300,
        help_text=_("Courier and tracking number, in person, secure file transfer…"),
    )
    location = forms.CharField(label=_("Location"), required=False, max_length=300)
    seal_ids = forms.CharField(label=_("Seal / packaging ids"), required=False, max_length=300)
    hash_observed = forms.CharField(
        label=_("SHA-256 observed"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs=HASH_ATTRS),
        help_text=_(
            "If you hashed the item at this step. A different hash flags it as compromised."
        ),
    )
    notes = forms.CharField(
        label=_("Condition notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, action, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = CustodyAction(action)
        wanted = ACTION_FIELDS[self.action]
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
            else:
                if (self.action, name) in ACTION_LABELS:
                    self.fields[name].label = ACTION_LABELS[(self.action, name)]
                if name in ACTION_REQUIRED.get(self.action, ()):
                    self.fields[name].required = True
        if "to_agency" in self.fields:
            self.fields["to_agency"].queryset = (
                Agency.objects.filter(
                    participations__incident_id=evidence.incident_id,
                    participations__role__in=[
                        ParticipationRole.LEAD,
                        ParticipationRole.CONTRIBUTOR,
                    ],
                )
                .exclude(pk=evidence.holder_agency_id)
                .order_by("country", "name")
            )
            self.fields["to_agency"].label_from_instance = lambda a: (
                f"{a.name} ({a.short_name}, {a.country.code})"
            )
        self.fields["occurred_at"].widget = DateTimeLocalInput()
        self.order_fields(wanted)

    def clean_hash_observed(self):
        value = (self.cleaned_data.get("hash_observed") or "").strip().lower()
        if value:
            sha256_validator(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if (
            self.action == CustodyAction.TRANSFERRED
            and not cleaned.get("to_agency")
            and not cleaned.get("to_person")
            and "to_agency" not in self.errors
        ):
            self.add_error("to_agency", _("Name the agency of the case, or the person outside it."))
        return cleaned

    def data_for_action(self):
        return {name: value for name, value in self.cleaned_data.items()}


class DownloadForm(forms.Form):
    """Why the file is taken: recorded with the ``accessed`` step the download writes."""

    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        max_length=500,
        help_text=_("Recorded in the chain with the access, e.g. “copy for the court file”."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "download_%s")
        super().__init__(*args, **kwargs)
