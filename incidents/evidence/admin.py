"""Read-only administration of evidence and custody for superusers.

Items and their custody are written through ``incidents.evidence.actions`` only: the
admin can neither add, change nor delete them, and offers a chain check per item.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from incidents.admin import ReadOnlyAdminMixin
from incidents.evidence import chain
from incidents.models import CustodyEvent, Evidence


class CustodyEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CustodyEvent
    fields = [
        "seq",
        "action",
        "from_agency",
        "to_agency",
        "occurred_at",
        "recorded_by_name",
        "hash_matches",
        "entry_hash",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["seq"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "kind",
        "status",
        "holder_agency",
        "is_compromised",
        "custody_length",
        "created_at",
    ]
    list_filter = ["kind", "status", "is_compromised"]
    list_select_related = ["holder_agency"]
    search_fields = ["reference", "title", "sha256"]
    inlines = [CustodyEventInline]
    actions = ["verify_chains"]

    @admin.action(description=_("Verify the custody chain"))
    def verify_chains(self, request, queryset):
        for item in queryset:
            result = chain.verify(item)
            if result.ok:
                self.message_user(
                    request, _("%(ref)s: chain intact.") % {"ref": item.reference}, messages.SUCCESS
                )
            else:
                self.message_user(
                    request, f"{item.reference}: {result.broken.describe()}", messages.ERROR
                )

    def get_actions(self, request):
        # Keep the chain check, drop the bulk delete.
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found


@admin.register(CustodyEvent)
class CustodyEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["evidence", "seq", "action", "from_agency", "to_agency", "occurred_at"]
    list_filter = ["action"]
    list_select_related = ["evidence", "from_agency", "to_agency"]
    search_fields = ["evidence__reference", "entry_hash"]

    def get_actions(self, request):
        found = super().get_actions(request)
        found.pop("delete_selected", None)
        return found
