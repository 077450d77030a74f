"""Incident filters shared by the browser list and the API list."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from accounts.choices import CountryChoices
from incidents.choices import TLP, Category, Severity, Status
from incidents.models import Incident, IncidentTag
from incidents.tags import parse_tag, tlp_of

SORT_FIELDS = (
    ("updated_at", "updated"),
    ("created_at", "created"),
    ("detected_at", "detected"),
    ("reference", "reference"),
    ("title", "title"),
    ("severity", "severity"),
    ("status", "status"),
)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number a database column can hold (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    # Columns of the incident itself: no join, so no duplicate rows. django-filter's
    # default DISTINCT would sort every matching row (all columns) before the page.
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, label=_("Status"), distinct=False
    )
    severity = django_filters.MultipleChoiceFilter(
        choices=Severity.choices, label=_("Severity"), distinct=False
    )
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("Category"))
    tlp = django_filters.ChoiceFilter(choices=TLP.choices, label=_("TLP"))
    country = django_filters.ChoiceFilter(
        choices=CountryChoices(), method="filter_country", label=_("Affected country")
    )
    is_exercise = django_filters.BooleanFilter(label=_("Exercise"))
    tag = django_filters.CharFilter(
        method="filter_tag",
        label=_("Tag"),
        help_text=_('One tag, free or machine (rsit:fraud="phishing"); tlp: tags match the TLP.'),
    )
    lead_agency = IdFilter(field_name="lead_agency_id", label=_("Lead agency"))
    sort = django_filters.OrderingFilter(fields=SORT_FIELDS, label=_("Sort"))

    class Meta:
        model = Incident
        fields = ["q", "status", "severity", "category", "tlp", "country", "is_exercise", "tag"]

    def __init__(self, data=None, *args, **kwargs):
        # Accept "fr" as well as "FR" (CERT scripts are not consistent about case).
        if data is not None and data.get("country"):
            data = data.copy()
            data["country"] = data["country"].strip().upper()
        super().__init__(data, *args, **kwargs)

    @property
    def qs(self):
        """The filtered incidents; exercise content only when ``is_exercise`` asks for it.

        Exercises never mix into the real list, its counts and its exports: without the
        filter (or with an unbound filter set) the list holds real cases only. Asked for,
        exercises come without the archived cases of ended ones.
        """
        if not hasattr(self, "_real_qs"):
            queryset = super().qs
            asked = self.exercises_asked()
            if asked is None:
                queryset = queryset.filter(is_exercise=False)
            elif asked:  # an ended exercise's cases are archived, for its report only
                queryset = queryset.filter(archived_at__isnull=True)
            self._real_qs = queryset
        return self._real_qs

    def exercises_asked(self):
        """True or False when the ``is_exercise`` filter was given (and valid), else None."""
        if not self.is_bound or not self.form.is_valid():
            return None
        return self.form.cleaned_data.get("is_exercise")

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_tag(self, queryset, name, value):
        try:
            parsed = parse_tag(value)
        except ValidationError:
            return queryset.none()
        tlp = tlp_of(parsed)
        if tlp is not None:  # the TLP field is the incident's tlp: tag
            return queryset.filter(tlp=tlp)
        return queryset.filter(
            Exists(IncidentTag.objects.filter(incident_id=OuterRef("pk"), key=parsed.key))
        )

    def filter_country(self, queryset, name, value):
        # Codes are stored comma-separated ("DE,FR"); a two-letter code cannot
        # straddle a comma, so a substring match is exact.
        return queryset.filter(affected_countries__contains=value)
