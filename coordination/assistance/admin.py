"""Requests for assistance in the Django admin: a list by metadata alone.

Facts, offences, data sought, attachments and comments are case content and are not
shown (``incidents.admin``). Requests change through ``transitions`` only. Agency
deadline policies are set by agency admins on their own page; here they are listed.
The register of service providers is reference data, kept here by platform admins.
"""

from django.contrib import admin

from coordination.assistance.models import (
    AssistanceRequest,
    DeadlinePolicy,
    ProviderEstablishment,
    ServiceProvider,
)
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


class ProviderEstablishmentInline(admin.TabularInline):
    model = ProviderEstablishment
    extra = 1
    fields = [
        "role",
        "country",
        "name",
        "address",
        "email",
        "phone",
        "timezone",
        "language",
        "is_active",
    ]


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    """Providers and where they receive orders (Regulation (EU) 2023/1543 Art. 7(1))."""

    list_display = ["name", "website", "is_active", "updated_at"]
    list_filter = ["is_active", "establishments__country"]
    search_fields = ["name", "services", "establishments__name"]
    inlines = [ProviderEstablishmentInline]
