from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, User


def _language_formfield(db_field, formfield):
    """The model stores a bare code; offer the configured languages instead of free text."""
    if db_field.name == "language":
        return forms.ChoiceField(
            label=db_field.verbose_name.capitalize(),
            choices=settings.LANGUAGES,
            initial=db_field.default,
        )
    return formfield


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "short_name",
        "country",
        "kind",
        "mailbox",
        "is_24_7_contact",
        "is_active",
        "require_mfa",
    ]
    list_filter = ["country", "kind", "is_24_7_contact", "is_active", "require_mfa"]
    search_fields = ["name", "short_name", "mailbox"]
    readonly_fields = ["group", "created_at"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "country", "kind", "is_active"]}),
        (_("Sign-in security"), {"fields": ["require_mfa"]}),
        (
            _("Contact"),
            {"fields": ["mailbox", "phone", "is_24_7_contact", "timezone", "language"]},
        ),
        (_("Record"), {"fields": ["group", "created_at"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return _language_formfield(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "agency",
        "role",
        "is_active",
        "is_staff",
    ]
    list_filter = ["role", "is_active", "is_staff", "is_superuser", "agency__country"]
    list_select_related = ["agency"]
    search_fields = ["username", "first_name", "last_name", "email", "agency__short_name"]
    autocomplete_fields = ["agency"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Agency and preferences"), {"fields": ["agency", "role", "language", "timezone"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Agency and preferences"), {"fields": ["agency", "role", "language", "timezone"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return _language_formfield(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )
