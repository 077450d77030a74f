"""Evidence filters shared by the browser lists and the API list."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from incidents.evidence.choices import EvidenceKind, EvidenceStatus
from incidents.models import Evidence


class EvidenceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=EvidenceKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=EvidenceStatus.choices, label=_("Status"))
    holder = django_filters.ModelChoiceFilter(
        field_name="holder_agency",
        queryset=Agency.objects.all(),
        label=_("Holder"),
    )
    incident = django_filters.CharFilter(
        field_name="incident__reference", lookup_expr="iexact", label=_("Incident")
    )
    compromised = django_filters.BooleanFilter(field_name="is_compromised", label=_("Compromised"))

    class Meta:
        model = Evidence
        fields = ["q", "kind", "status", "holder", "incident", "compromised"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__iexact=value) | Q(title__icontains=value) | Q(sha256=value.lower())
        )


class EvidenceListFilterSet(EvidenceFilterSet):
    """The shared filters with the browser's widgets; holders limited to agencies that hold
    something the user may see (passed in by the view)."""

    ACTIVE_KEYS = ("q", "kind", "status", "holder", "incident", "compromised")

    def __init__(self, *args, holders=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "placeholder": _("Reference, title or SHA-256")}
        )
        if holders is not None:
            fields["holder"].queryset = holders
        fields["holder"].empty_label = _("Any holder")
        for name, empty in (("kind", _("Any kind")), ("status", _("Any status"))):
            fields[name].empty_label = empty
            fields[name].widget.choices = list(fields[name].choices)
        fields["compromised"].widget = forms.Select(
            choices=[("", _("All items")), ("true", _("Compromised only"))]
        )
        fields["compromised"].label = _("Integrity")

    def is_filtered(self):
        if not self.data:
            return False
        return any(value for key in self.ACTIVE_KEYS for value in self.data.getlist(key))
