"""Forms of the accounts pages: sign-in, password reset, directory filters, user management."""

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts import tokens
from accounts.choices import AgencyKind, Role, TokenScope
from accounts.models import User
from accounts.timezones import TIMEZONE_CHOICES

# Sign-in throttle: this many failed attempts for one (address, username) pair
# within the window lock that pair out until the window has passed.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = 15 * 60


def _language_field(**kwargs):
    return forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, **kwargs)


def _timezone_field(**kwargs):
    return forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES, **kwargs)


class ThrottledAuthenticationForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, refusing further attempts after repeated failures."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed sign-in attempts. Wait a few minutes or reset your password."
        ),
    }

    def _throttle_key(self):
        username = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return f"login-failures:{address}:{username}"[:250]

    def clean(self):
        key = self._throttle_key()
        if cache.get(key, 0) >= LOGIN_FAILURE_LIMIT:
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            # add() starts the window on the first failure; incr() keeps its expiry.
            if not cache.add(key, 1, LOGIN_FAILURE_WINDOW):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, LOGIN_FAILURE_WINDOW)
            raise
        cache.delete(key)
        return cleaned


class LocalisedPasswordResetForm(auth_forms.PasswordResetForm):
    """Password reset whose email speaks the recipient's language."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        language = getattr(context.get("user"), "language", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, mailbox, country…")}
        ),
    )
    country = forms.ChoiceField(label=_("Country"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *AgencyKind.choices]
    )
    contact_24_7 = forms.BooleanField(label=_("24/7 contacts only"), required=False)

    def __init__(self, *args, country_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [
            ("", _("All countries")),
            *sorted(((code, countries.name(code)) for code in country_codes), key=lambda c: c[1]),
        ]

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        queryset = queryset.search(data["q"])
        if data["country"]:
            queryset = queryset.filter(country=data["country"])
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["contact_24_7"]:
            queryset = queryset.filter(is_24_7_contact=True)
        return queryset


class AgencyUserFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("active", _("Active")),
        ("inactive", _("Deactivated")),
        ("all", _("All")),
    ]

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, username, email")}),
    )
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def filter(self, queryset):
        if not self.is_valid():
            return queryset.filter(is_active=True)
        data = self.cleaned_data
        q = data["q"].strip()
        if q:
            queryset = queryset.filter(
                Q(username__icontains=q)
                | Q(first_name__icontains=q)
                | Q(last_name__icontains=q)
                | Q(email__icontains=q)
            )
        if data["role"]:
            queryset = queryset.filter(role=data["role"])
        status = data["status"] or "active"
        if status != "all":
            queryset = queryset.filter(is_active=status == "active")
        return queryset


class AgencyUserForm(forms.ModelForm):
    """What an agency admin may set on a user of their agency.

    Agency, superuser and staff flags, groups and permissions are not fields here:
    whatever a crafted request sends for them is ignored.
    """

    language = _language_field()
    timezone = _timezone_field()

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "language", "timezone"]

    def __init__(self, *args, acting_user, **kwargs):
        super().__init__(*args, **kwargs)
        self.acting_user = acting_user
        self.fields["email"].required = True
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        if self.instance.pk == acting_user.pk:
            # An admin cannot demote themselves and leave the agency without one.
            self.fields["role"].disabled = True
            self.fields["role"].help_text = _("You cannot change your own role.")

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        clash = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("Another account already uses this email address."), code="duplicate"
            )
        return email


class ProfileForm(forms.ModelForm):
    language = _language_field()
    timezone = _timezone_field(help_text=_("Times across Concord are shown in this zone."))

    class Meta:
        model = User
        fields = ["language", "timezone"]


class ApiTokenForm(forms.Form):
    """A new API token: its name, what it may do, and for how long."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, e.g. “MISP pull” or “firewall blocklist”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text=_(
            "Read only is enough for TAXII, STIX downloads and blocklists. Read and write "
            "lets the tool change cases through the REST API as you could."
        ),
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = tokens.max_days()
        self.fields["days"].max_value = limit
        self.fields["days"].validators.append(MaxValueValidator(limit))
        self.fields["days"].widget.attrs["max"] = limit
        self.fields["days"].initial = tokens.default_days()
        self.fields["days"].help_text = _("At most %(days)s days.") % {"days": limit}

    def clean_name(self):
        return self.cleaned_data["name"].strip()
