"""Indicators in the Django admin: lists by metadata alone, never a value or a note.

Values and notes are case content whatever their TLP (``incidents.admin``); searching
them would tell whether one exists, so the lists search by case reference only.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coordination.intel.models import ContactRequest, Indicator
from incidents.admin import MetadataListAdmin


@admin.register(Indicator)
class IndicatorAdmin(MetadataListAdmin):
    list_display = ["incident_reference", "type", "tlp", "added_by_agency", "created_at"]
    list_filter = ["type", "tlp"]
    list_select_related = ["incident", "added_by_agency"]
    search_fields = ["incident__reference"]
    date_hierarchy = "created_at"


@admin.register(ContactRequest)
class ContactRequestAdmin(MetadataListAdmin):
    list_display = ["requester_agency", "to_incident_reference", "type", "created_at"]
    list_filter = ["type"]
    list_select_related = ["requester_agency", "to_incident"]
    search_fields = ["to_incident__reference"]
    date_hierarchy = "created_at"

    @admin.display(description=_("case"), ordering="to_incident__reference")
    def to_incident_reference(self, obj):
        return obj.to_incident.reference
