"""The filters of the audit trail pages: who, what, when, kind, object."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from coordination.audit.choices import AuditAction, Category, Via


class AuditFilterForm(forms.Form):
    who = forms.CharField(
        label=_("Who"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Username")}),
    )
    category = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Category.choices]
    )
    action = forms.ChoiceField(
        label=_("What"), required=False, choices=[("", _("All actions")), *AuditAction.choices]
    )
    via = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("All channels")), *Via.choices]
    )
    reference = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=128,
        widget=forms.TextInput(attrs={"placeholder": _("Reference, e.g. CC-2026-000042")}),
    )
    since = forms.DateField(
        label=pgettext_lazy("start of a date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=pgettext_lazy("end of a date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", ValidationError(_("The end date is before the start date.")))
        return cleaned

    def filter(self, queryset):
        if not self.is_bound or not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["who"]:
            who = data["who"].strip()
            queryset = queryset.filter(Q(actor_name__iexact=who) | Q(details__username__iexact=who))
        for name in ("category", "action", "via"):
            if data[name]:
                queryset = queryset.filter(**{name: data[name]})
        if data["reference"]:
            queryset = queryset.filter(object_ref__iexact=data["reference"].strip())
        if data["since"]:
            queryset = queryset.filter(at__gte=_start_of(data["since"]))
        if data["until"]:
            queryset = queryset.filter(at__lt=_start_of(data["until"] + datetime.timedelta(days=1)))
        return queryset


def _start_of(day):
    """Midnight of ``day`` in the reader's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
