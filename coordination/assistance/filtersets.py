"""Request filters shared by the browser list and the API list."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import CountryChoices
from coordination.assistance.choices import LegalBasis, Status, Urgency
from coordination.assistance.models import AssistanceRequest
from incidents.choices import Action
from incidents.querysets import permission_exists

DIRECTIONS = (("out", _("Outgoing (my agency asks)")), ("in", _("Incoming (my agency is asked)")))
SORT_FIELDS = (
    ("updated_at", "updated"),
    ("due_at", "due"),
    ("created_at", "created"),
    ("reference", "reference"),
)


class RequestFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    direction = django_filters.ChoiceFilter(
        choices=DIRECTIONS, method="filter_direction", label=_("Direction")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices,
        label=_("Status"),
        distinct=False,  # a column of the row
    )
    legal_basis = django_filters.ChoiceFilter(choices=LegalBasis.choices, label=_("Legal basis"))
    country = django_filters.ChoiceFilter(
        choices=CountryChoices(),
        method="filter_country",
        label=_("Country"),
        help_text=_("The requested country, or the requesting agency's country."),
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("Urgency"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    incident = django_filters.CharFilter(
        method="filter_incident",
        label=_("Incident reference"),
        help_text=_("Of an incident you may see."),
    )
    sort = django_filters.OrderingFilter(fields=SORT_FIELDS, label=_("Sort"))

    class Meta:
        model = AssistanceRequest
        fields = ["q", "direction", "status", "legal_basis", "country", "urgency", "overdue"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("country"):
            data = data.copy()
            data["country"] = data["country"].strip().upper()
        super().__init__(data, *args, **kwargs)

    @property
    def agency_id(self):
        user = getattr(self.request, "user", None)
        return getattr(user, "agency_id", None)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__iexact=value)
            | Q(reference__icontains=value)
            | Q(facts__icontains=value)
            | Q(offences__icontains=value)
        )

    def filter_incident(self, queryset, name, value):
        # Only incidents the caller sees: the requested side cannot probe which case a
        # request was drafted from.
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        return queryset.filter(
            permission_exists(user, Action.VIEW, "incident_id"),
            incident__reference=value.strip().upper(),
        )

    def filter_direction(self, queryset, name, value):
        if value == "out":
            return queryset.outgoing(self.agency_id)
        if value == "in":
            return queryset.incoming(self.agency_id)
        return queryset

    def filter_country(self, queryset, name, value):
        return queryset.filter(Q(requested_country=value) | Q(requesting_agency__country=value))

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.filter(due_at__lt=now)
        return queryset.exclude(due_at__lt=now)
