from django import forms
from django.utils.translation import gettext_lazy as _

from coordination.federation import identity


class AddPeerForm(forms.Form):
    base_url = forms.URLField(
        label=_("Base URL"), max_length=300, assume_scheme="https",
        help_text=_("The address of the peer node, e.g. https://concord.example.de"),
    )  # fmt: skip
    fingerprint = forms.CharField(
        label=_("Fingerprint"),
        max_length=200,
        help_text=_("As agreed with the peer's admin out of band (64 hexadecimal digits)."),
    )

    def clean_fingerprint(self):
        value = identity.normalise_fingerprint(self.cleaned_data["fingerprint"])
        if not value:
            raise forms.ValidationError(_("A fingerprint is 64 hexadecimal digits."))
        return value
