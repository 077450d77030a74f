"""Forms of the second-factor pages: codes, password re-entry, the agency's rule."""

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import mfa
from accounts.models import Agency


class CodeForm(forms.Form):
    """One code: from an authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_(
            "The 6-digit code your authenticator app shows, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.device = None

    def clean_code(self):
        try:
            self.device = self.verify(self.cleaned_data["code"])
        except mfa.CodeRefused as refused:
            code = "throttled" if refused.throttled else "invalid"
            raise ValidationError(refused.message, code=code) from None
        return self.cleaned_data["code"]

    def verify(self, code):
        return mfa.verify_code(self.request, code)


class TOTPConfirmForm(CodeForm):
    """The first code of an authenticator app being set up: it proves the app has the key."""

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = device
        self.fields["code"].label = _("Code shown by the app")
        self.fields["code"].help_text = _("Six digits; a new one appears every 30 seconds.")
        self.fields["code"].widget.attrs["inputmode"] = "numeric"

    def verify(self, code):
        return mfa.confirm_totp(self.request, self.pending, code)


class PasswordConfirmForm(forms.Form):
    """The signed-in user's password again, before a change to how they sign in."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        user = self.request.user
        # Through the authentication backends, so that wrong passwords count as sign-in
        # failures here too.
        checked = authenticate(self.request, username=user.get_username(), password=password)
        if checked is None or checked.pk != user.pk:
            raise ValidationError(_("This is not your password."), code="invalid")
        return password


class AgencySecurityForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["require_mfa"]
