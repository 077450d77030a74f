"""Indicator filters of the API list (the browser search uses the same rules)."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.choices import CountryChoices
from coordination.intel.choices import IndicatorType
from coordination.intel.normalise import detect_type, normalise, refang
from coordination.intel.timestamps import parse_utc
from incidents.choices import TLP


class UTCDateTimeField(forms.DateTimeField):
    """An RFC 3339 timestamp with its zone, converted to UTC (``intel.timestamps``)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value
        try:
            return parse_utc(value, naive_in_current_zone=True)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class IndicatorFilterSet(django_filters.FilterSet):
    incident = django_filters.CharFilter(
        field_name="incident__reference", label=_("Incident reference")
    )
    type = django_filters.ChoiceFilter(choices=IndicatorType.choices, label=_("Type"))
    value = django_filters.CharFilter(
        method="filter_value",
        label=_("Value"),
        help_text=_(
            "A whole indicator (defanged forms accepted) matches its normalised form exactly; "
            "anything else matches values containing the text."
        ),
    )
    tlp = django_filters.ChoiceFilter(choices=TLP.choices, label=_("TLP"))
    country = django_filters.ChoiceFilter(
        choices=CountryChoices(),
        field_name="incident__lead_agency__country",
        label=_("Country of the incident's lead agency"),
    )
    active = django_filters.BooleanFilter(
        method="filter_active",
        label=_("Active"),
        help_text=_("true: neither revoked nor expired; false: revoked or expired."),
    )
    added_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Added at or after")
    )
    added_before = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Added before")
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("country"):
            data = data.copy()
            data["country"] = data["country"].strip().upper()
        super().__init__(data, *args, **kwargs)

    def filter_active(self, queryset, name, value):
        current = queryset.active()
        return current if value else queryset.exclude(pk__in=current.values("pk"))

    def filter_value(self, queryset, name, value):
        return filter_by_value(queryset, value, self.data.get("type") or "")


def filter_by_value(queryset, q, type_=""):
    """Exact match on the ``(type, value)`` index for a whole indicator, else "contains"."""
    q = (q or "").strip()
    if not q:
        return queryset
    try:
        detected = detect_type(q)
        value = normalise(detected, q)
    except ValidationError:
        detected = value = None
    if detected and type_ in ("", detected):
        return queryset.filter(type=detected, value=value)
    return queryset.filter(value__icontains=refang(q))
