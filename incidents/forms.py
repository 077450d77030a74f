"""Forms of the incident pages. They validate input shape; the rules live in actions.py."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.choices import CountryChoices, country_name, stored_country_codes
from accounts.models import Agency, User
from incidents.actions import EDITABLE_FIELDS
from incidents.choices import REOPENING, TLP, ParticipationRole, Status
from incidents.evidence.choices import EvidenceKind
from incidents.filtersets import IncidentFilterSet
from incidents.models import Incident, TimelineEntry

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    """``<input type="datetime-local">``; the value is read in the user's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


def datetime_local_field(label, help_text=""):
    # Django reads a naive input in the active time zone (the user's, set by
    # accounts.middleware) and shows an aware value converted back to it.
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=help_text,
    )


def apply_validation_error(form, error):
    """Put an action's ``ValidationError`` onto ``form``: beside fields it has, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class IncidentForm(forms.ModelForm):
    detected_at = datetime_local_field(
        _("Detected at"), _("In your time zone. Leave empty when unknown.")
    )

    class Meta:
        model = Incident
        fields = EDITABLE_FIELDS
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "title": forms.TextInput(attrs={"autofocus": True}),
        }
        help_texts = {
            "summary": _("What happened, who is affected, what is known so far."),
            "tlp": _("The label of the incident itself; timeline entries may be stricter."),
            "affected_countries": _(
                "Type a country's name or code to find it; choose as many as apply."
            ),
        }

    def changes(self):
        """The editable fields' cleaned values, as the actions take them."""
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(
        label=_("Reason for reopening"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, incident=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.incident = incident

    def is_reopening(self):
        status = self.data.get("status") if self.is_bound else None
        return (self.incident.status, status) in REOPENING


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ListedChoiceIterator(forms.models.ModelChoiceIterator):
    """Reads the choices with one plain query: Django's iterator opens a server-side cursor
    on PostgreSQL (three round trips) for what is a few dozen rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


# What a recipient's label reads (``display_name``, the agency's short name and country).
RECIPIENT_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "agency__short_name",
    "agency__country",
    "agency__node__name",
)


def recipient_label(user):
    """A named recipient as the pickers show them; a person of another node says which."""
    label = f"{user.display_name} · {user.agency.short_name} ({user.agency.country.code})"
    if user.agency.node_id:
        label += " · " + _("node %(node)s") % {"node": user.agency.node.name}
    return label


class RecipientsField(forms.ModelMultipleChoiceField):
    iterator = ListedChoiceIterator


class TimelineEntryForm(forms.Form):
    body = forms.CharField(
        label=_("Entry"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown: **bold**, *italic*, `code`, lists, links."),
    )
    occurred_at = datetime_local_field(
        _("Occurred at"), _("In your time zone. Leave empty for now.")
    )
    tlp = forms.ChoiceField(
        label=_("TLP"),
        choices=TLP.choices,
        required=False,  # empty: the incident's own label (actions.add_timeline_entry)
    )
    audience = RecipientsField(
        label=_("Named recipients (TLP:RED)"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("A TLP:RED entry is visible to you and these people alone."),
    )
    corrects = forms.ModelChoiceField(
        queryset=TimelineEntry.objects.none(), required=False, widget=forms.HiddenInput
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_(
            "Screenshots, ransom notes, email files: at the entry's TLP, hashed and stored "
            "like evidence files."
        ),
    )

    def __init__(self, *args, incident, user, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("tlp", incident.tlp)
        super().__init__(*args, **kwargs)
        # The limits themselves are checked by the action (incidents.markdown).
        self.fields["body"].widget.attrs["maxlength"] = settings.MARKDOWN_MAX_CHARS
        self.fields["tlp"].choices = [(v, TLP(v).label) for v in TLP.at_least(incident.tlp)]
        self.fields["audience"].queryset = (
            User.objects.nameable()
            .filter(agency__participations__incident=incident)
            .exclude(pk=user.pk)
            .select_related("agency__node")
            .only(*RECIPIENT_FIELDS)
            .order_by("agency__country", "agency__name", "last_name", "first_name")
        )
        self.fields["audience"].label_from_instance = recipient_label
        # Only entries the user may see can be corrected; checked again by the action.
        self.fields["corrects"].queryset = TimelineEntry.objects.filter(
            incident=incident
        ).visible_to(user)


class TagForm(forms.Form):
    name = forms.CharField(
        label=_("Add a tag"),
        max_length=200,
        help_text=_('A word, or a machine tag such as rsit:fraud="phishing".'),
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"}),
    )


class PromoteAttachmentForm(forms.Form):
    """The evidence item an attachment becomes: its file and SHA-256 are the attachment's."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    acquired_at = datetime_local_field(_("Acquired at"), _("In your time zone."))
    acquired_by_name = forms.CharField(label=_("Acquired by"), max_length=200)
    acquired_where = forms.CharField(label=_("Place of acquisition"), max_length=300)
    acquisition_method = forms.CharField(label=_("Method"), required=False, max_length=300)
    seal_number = forms.CharField(label=_("Seal number"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acquired_at"].required = True


class InviteForm(forms.Form):
    country = forms.ChoiceField(label=_("Country"), required=False)
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.none(), empty_label=_("Choose an agency…")
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (ParticipationRole.CONTRIBUTOR.value, ParticipationRole.CONTRIBUTOR.label),
            (ParticipationRole.OBSERVER.value, ParticipationRole.OBSERVER.label),
        ],
        initial=ParticipationRole.CONTRIBUTOR,
        help_text=_("Contributors add to the timeline; observers read."),
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = invitable_agencies(incident)
        # Any country validates; the page narrows the menu to countries with agencies left.
        self.fields["country"].choices = CountryChoices(blank=_("Any country"))

    def grouped_agencies(self):
        """(country name, [agencies]) for the no-JavaScript agency list, one query."""
        groups = {}
        for agency in self.fields["agency"].queryset:
            groups.setdefault(agency.country.code, (agency.country.name, []))[1].append(agency)
        return [groups[code] for code in sorted(groups, key=lambda c: str(groups[c][0]))]

    def set_country_choices(self, agencies):
        codes = sorted({stored_country_codes(a, "country") for a in agencies}, key=country_name)
        self.fields["country"].choices = [("", _("Any country"))] + [
            (code, country_name(code)) for code in codes
        ]

    def clean(self):
        cleaned = super().clean()
        country, agency = cleaned.get("country"), cleaned.get("agency")
        if country and agency and agency.country.code != country:
            self.add_error("agency", _("This agency is not in the chosen country."))
        return cleaned


def invitable_agencies(incident, country=None):
    """Listed agencies (this node's and its peers') not yet taking part in ``incident``
    (optionally of one country)."""
    agencies = (
        Agency.objects.listed()
        .exclude(pk__in=incident.participations.values("agency_id"))
        .select_related("node")
    )
    if country:
        agencies = agencies.filter(country=country.upper())
    return agencies.order_by("country", "name")


class RemoveParticipationForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=2000)


class ParticipationRoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[
            (ParticipationRole.CONTRIBUTOR.value, ParticipationRole.CONTRIBUTOR.label),
            (ParticipationRole.OBSERVER.value, ParticipationRole.OBSERVER.label),
        ]
    )


class IncidentListFilterSet(IncidentFilterSet):
    """The shared incident filters with widgets for the browser's filter bar."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["q"].widget = forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Reference, title or summary"),
                "autocomplete": "off",
            }
        )
        fields["status"].widget = forms.CheckboxSelectMultiple(choices=fields["status"].choices)
        fields["severity"].widget = forms.CheckboxSelectMultiple(choices=fields["severity"].choices)
        for name, empty in (
            ("category", _("Any category")),
            ("tlp", _("Any TLP")),
            ("country", _("Any country")),
        ):
            fields[name].empty_label = empty  # django-filter adds the empty choice itself
            fields[name].widget.choices = fields[name].choices  # lazy: drawn only on a cache miss
        fields["is_exercise"].widget = forms.Select(
            choices=[
                ("", _("Real cases only")),
                ("true", _("Exercises only")),
            ]
        )
        fields["is_exercise"].label = _("Kind")
        fields["tag"].widget = forms.TextInput(
            attrs={"list": "tag-suggestions", "autocomplete": "off", "type": "search"}
        )

    ACTIVE_KEYS = ("q", "status", "severity", "category", "tlp", "country", "is_exercise", "tag")

    def is_filtered(self):
        if not self.data:
            return False
        return any(value for key in self.ACTIVE_KEYS for value in self.data.getlist(key))

    @property
    def form_key(self):
        """What the rendered filter bar depends on besides the language: the filters asked for.

        The choices are fixed in code, so two requests with the same filters draw the same
        bar (its fragment is cached under this key; the page number plays no part).
        """
        if not self.data:
            return ""
        return repr([(key, self.data.getlist(key)) for key in self.ACTIVE_KEYS])


def validation_message(error):
    """A ``ValidationError`` as one readable line (for flash messages)."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)
