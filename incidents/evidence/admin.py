"""Evidence in the Django admin: a list of items by their metadata, and a chain check.

No title, description, file name, hash or custody detail (persons, places, purposes):
see ``incidents.admin``. Items and their custody are written through
``incidents.evidence.actions`` only.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from incidents.admin import MetadataListAdmin
from incidents.evidence import actions
from incidents.models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(MetadataListAdmin):
    list_display = [
        "reference",
        "incident_reference",
        "status",
        "holder_agency",
        "is_compromised",
        "custody_length",
        "created_at",
    ]
    list_filter = ["status", "is_compromised"]
    list_select_related = ["incident", "holder_agency"]
    search_fields = ["reference"]
    actions = ["verify_chains"]

    @admin.action(description=_("Verify the custody chain"))
    def verify_chains(self, request, queryset):
        for item in queryset:
            _record, result = actions.verify_chain(item, request.user)
            if result.ok:
                self.message_user(
                    request, _("%(ref)s: chain intact.") % {"ref": item.reference}, messages.SUCCESS
                )
            else:
                self.message_user(
                    request, f"{item.reference}: {result.broken.describe()}", messages.ERROR
                )
