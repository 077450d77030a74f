"""Forms of the accounts pages: sign-in, password reset, directory filters, user management."""

import hashlib
from functools import partial
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts import tasks, throttle, tokens
from accounts.choices import AgencyKind, Role, TokenScope
from accounts.models import User
from accounts.timezones import TIMEZONE_CHOICES


def _language_field(**kwargs):
    return forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, **kwargs)


def _timezone_field(**kwargs):
    return forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES, **kwargs)


class ThrottledAuthenticationForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, saying so beside the fields when the throttle refuses.

    The counting and the refusal are django-axes' (``accounts.throttle``), shared with
    every other place that takes a password.
    """

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "throttled": throttle.LOCKOUT_MESSAGE,
    }

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None and getattr(self.request, "axes_locked_out", False):
                self.request.lockout_explained = True
                raise ValidationError(self.error_messages["throttled"], code="throttled") from None
            raise


class ThrottledPasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's password change form whose current password is checked like a sign-in.

    ``authenticate`` with the request lets django-axes count a wrong current password
    and refuse once a limit is reached, so a session left open is no way around the
    sign-in throttle to guess the password it was opened with.
    """

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "throttled": throttle.LOCKOUT_MESSAGE,
    }

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(
            self.request, username=self.user.get_username(), password=old_password
        )
        if checked is not None and checked.pk == self.user.pk:
            return old_password
        if getattr(self.request, "axes_locked_out", False):
            self.request.lockout_explained = True
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")


class LocalisedPasswordResetForm(auth_forms.PasswordResetForm):
    """Password reset whose email speaks the recipient's language, sent by Celery.

    The request itself looks no account up and sends nothing: it counts the request and
    queues a task with the address typed, once the transaction commits. The task finds the
    account and renders the link when it sends (``accounts.tasks``), so the page answers
    in the same time and the same words whether the address is known or not, and no live
    reset link is ever stored.
    """

    subject_template_name = "emails/password_reset-subject.txt"
    email_template_name = "emails/password_reset-body.txt"
    html_email_template_name = "emails/password_reset-body.html"

    def save(self, request=None, **kwargs):
        email = self.cleaned_data["email"]
        key = "password-reset:email:" + hashlib.sha256(email.casefold().encode()).hexdigest()
        if throttle.count_hit(key, throttle.RESET_WINDOW) > throttle.RESET_PER_EMAIL:
            return
        address = throttle.client_address(request) if request is not None else None
        transaction.on_commit(partial(tasks.queue_password_reset, email, address or ""))

    def deliver(self):
        """Email every account of the address its link, rendered now; the users emailed.

        Run by the Celery task, outside any request: the link's host is ``SITE_URL``.
        """
        site = urlsplit(settings.SITE_URL)
        self.emailed = []
        super().save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            subject_template_name=self.subject_template_name,
            email_template_name=self.email_template_name,
            html_email_template_name=self.html_email_template_name,
        )
        return self.emailed

    def get_users(self, email):
        """Active users with a usable password and this address, of an active agency."""
        return (
            user
            for user in super().get_users(email)
            if user.agency_id is None or user.agency.is_active
        )

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        language = getattr(context.get("user"), "language", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
        self.emailed.append(context["user"])


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
