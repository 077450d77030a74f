"""Requests for assistance in the Django admin: a list by metadata alone.

Facts, offences, data sought, attachments and comments are case content and are not
shown (``incidents.admin``). Requests change through ``transitions`` only. Agency
deadline policies are set by agency admins on their own page; here they are listed.
"""

from django.contrib import admin

from coordination.assistance.models import AssistanceRequest, DeadlinePolicy
from incidents.admin import MetadataListAdmin, ReadOnlyAdminMixin


@admin.register(AssistanceRequest)
class AssistanceRequestAdmin(MetadataListAdmin):
    list_display = [
        "reference",
        "legal_basis",
        "status",
        "urgency",
        "requesting_agency",
        "requested_country",
        "executing_agency",
        "due_kind",
        "due_at",
        "updated_at",
    ]
    list_filter = ["status", "legal_basis", "urgency", "requested_country"]
    search_fields = ["reference"]
    list_select_related = ["requesting_agency", "executing_agency"]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["agency", "legal_basis", "kind", "urgency", "hours", "updated_by", "updated_at"]
    list_filter = ["legal_basis", "kind"]
    list_select_related = ["agency", "updated_by"]
