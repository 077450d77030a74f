import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.choices import AgencyKind, CountryChoices
from accounts.models import Agency


class AgencyFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    country = django_filters.ChoiceFilter(
        choices=CountryChoices(), method="filter_country", label=_("Country")
    )
    kind = django_filters.ChoiceFilter(choices=AgencyKind.choices, label=_("Kind"))
    is_24_7_contact = django_filters.BooleanFilter(label=_("24/7 point of contact"))

    class Meta:
        model = Agency
        fields = ["search", "country", "kind", "is_24_7_contact"]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.upper())
