"""Platform administration of indicators for superusers: read-only.

Indicators are added and merged through ``coordination.intel.actions`` (normalisation,
the TLP floor, timeline entries), so the admin only shows them. As for the timeline,
TLP:RED and TLP:AMBER+STRICT values are withheld from the platform admin.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coordination.intel.models import ContactRequest, Indicator
from incidents.admin import WITHHELD_TLPS, ReadOnlyAdminMixin


def _withheld(indicator):
    # An indicator's TLP is never below its incident's: its own label decides.
    return indicator.tlp in WITHHELD_TLPS


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["shown_value", "type", "tlp", "incident", "added_by_agency", "created_at"]
    list_filter = ["type", "tlp"]
    list_select_related = ["incident", "added_by_agency"]
    # By case only: searching values would tell the admin whether a withheld one exists.
    search_fields = ["incident__reference"]
    date_hierarchy = "created_at"
    fields = [
        "incident",
        "type",
        "shown_value",
        "tlp",
        "first_seen",
        "last_seen",
        "confidence",
        "shown_note",
        "added_by",
        "added_by_agency",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("value"))
    def shown_value(self, obj):
        if _withheld(obj):
            return _("Withheld (%(tlp)s)") % {"tlp": obj.get_tlp_display()}
        return obj.value

    @admin.display(description=_("note"))
    def shown_note(self, obj):
        if _withheld(obj):
            return _("Withheld")
        return obj.note


@admin.register(ContactRequest)
class ContactRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["requester_agency", "to_incident", "type", "requested_by_name", "created_at"]
    list_filter = ["type"]
    list_select_related = ["requester_agency", "to_incident"]
    search_fields = ["to_incident__reference", "requester_agency__name"]
    date_hierarchy = "created_at"
    fields = [
        "requester_agency",
        "requested_by",
        "requested_by_name",
        "from_incident",
        "to_incident",
        "type",
        "value",
        "created_at",
    ]
    readonly_fields = fields
