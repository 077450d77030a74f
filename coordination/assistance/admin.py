"""Platform administration of requests for assistance, for superusers: read-only.

Requests are drafted through ``actions`` and change state through ``transitions`` only
(four eyes, deadlines, history, notifications), so the admin shows them and their
history but neither adds, edits nor deletes them. Agency deadline policies are set by
agency admins on their own page; here they are listed.
"""

from django.contrib import admin

from coordination.assistance.models import (
    AssistanceRequest,
    Attachment,
    DataSought,
    DeadlinePolicy,
    StatusHistory,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DataSoughtInline(ReadOnlyMixin, admin.TabularInline):
    model = DataSought
    fields = ["kind", "value", "observed_at", "provider", "note"]
    readonly_fields = fields
    extra = 0


class AttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = Attachment
    fields = ["name", "sha256", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    extra = 0


class HistoryInline(ReadOnlyMixin, admin.TabularInline):
    model = StatusHistory
    fields = ["at", "action", "from_status", "to_status", "actor_name", "actor_agency_name"]
    readonly_fields = fields
    extra = 0


@admin.register(AssistanceRequest)
class AssistanceRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "legal_basis",
        "status",
        "urgency",
        "requesting_agency",
        "requested_country",
        "due_kind",
        "due_at",
        "updated_at",
    ]
    list_filter = ["status", "legal_basis", "urgency", "requested_country"]
    search_fields = ["reference", "incident__reference"]
    list_select_related = ["requesting_agency"]
    inlines = [DataSoughtInline, AttachmentInline, HistoryInline]
    readonly_fields = [f.name for f in AssistanceRequest._meta.fields]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["agency", "legal_basis", "kind", "urgency", "hours", "updated_by", "updated_at"]
    list_filter = ["legal_basis", "kind"]
    list_select_related = ["agency", "updated_by"]
