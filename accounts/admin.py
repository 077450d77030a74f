from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import actions as account_actions
from accounts.choices import TokenRevocation
from accounts.models import Agency, ApiToken, User
from coordination.audit import record
from coordination.audit.choices import AuditAction


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
    readonly_fields = ["group", "created_at", "node"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "country", "kind", "is_active"]}),
        (_("Sign-in security"), {"fields": ["require_mfa"]}),
        (
            _("Contact"),
            {"fields": ["mailbox", "phone", "is_24_7_contact", "timezone", "language"]},
        ),
        (_("Record"), {"fields": ["group", "created_at", "node"]}),
    ]

    actions = ["deactivate_agencies", "activate_agencies"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return _language_formfield(
            db_field, super().formfield_for_dbfield(db_field, request, **kwargs)
        )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        acting_agency_id = request.user.agency_id

        class AgencyForm(form):
            def clean_is_active(self):
                active = self.cleaned_data["is_active"]
                if self.instance.pk and not active and self.instance.pk == acting_agency_id:
                    raise ValidationError(_("You cannot deactivate your own agency."))
                return active

        return AgencyForm

    def save_model(self, request, obj, form, change):
        # Activation goes through the action: it revokes tokens and is audited.
        if change and "is_active" in form.changed_data:
            account_actions.set_agency_active(obj, obj.is_active, by=request.user, request=request)
        super().save_model(request, obj, form, change)

    def _set_active(self, request, queryset, active):
        done = 0
        for agency in queryset:
            try:
                account_actions.set_agency_active(agency, active, by=request.user, request=request)
                done += 1
            except PermissionDenied as refused:
                self.message_user(request, f"{agency}: {refused}", messages.ERROR)
        return done

    @admin.action(description=_("Deactivate the selected agencies (revokes their API tokens)"))
    def deactivate_agencies(self, request, queryset):
        done = self._set_active(request, queryset, False)
        self.message_user(
            request,
            ngettext("%(count)d agency deactivated.", "%(count)d agencies deactivated.", done)
            % {"count": done},
        )

    @admin.action(description=_("Reactivate the selected agencies"))
    def activate_agencies(self, request, queryset):
        done = self._set_active(request, queryset, True)
        self.message_user(
            request,
            ngettext("%(count)d agency reactivated.", "%(count)d agencies reactivated.", done)
            % {"count": done},
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

    def get_object(self, request, object_id, from_field=None):
        user = super().get_object(request, object_id, from_field)
        if user is not None:
            # Password changes and deactivations saved from here name their actor.
            user.audit_request = request
        return user

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            record(
                AuditAction.USER_CREATED,
                request=request,
                target=obj,
                agency=obj.agency_id,
                details={"role": obj.role},
            )
            return
        # A split date-time redrawn in another zone counts as changed to the form; not here.
        changed = [
            name
            for name in form.changed_data
            if name != "password" and form.initial.get(name) != form.cleaned_data.get(name)
        ]
        if "is_active" in changed:
            changed.remove("is_active")
            account_actions.record_activation(obj, request=request, actor=request.user)
        if changed:
            account_actions.record_user_changed(
                obj,
                changed,
                form.initial.get("role", obj.role),
                request=request,
                actor=request.user,
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """What is known of a token besides its key: the key is never stored, its hash never shown."""

    list_display = [
        "name",
        "user",
        "prefix_shown",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_reason",
    ]
    list_filter = ["scope", "revoked_reason", "user__agency__country"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username", "user__agency__short_name"]
    fields = list_display
    readonly_fields = fields
    actions = ["revoke_tokens"]

    @admin.display(description=_("token"))
    def prefix_shown(self, token):
        return f"{token.prefix}…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke_tokens(self, request, queryset):
        revoked = account_actions.revoke_api_tokens(
            queryset,
            reason=TokenRevocation.PLATFORM_ADMIN,
            request=request,
            actor=request.user,
        )
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(revoked))
            % {"count": len(revoked)},
        )


class _FactorAdminMixin:
    """Second-factor devices in the admin: listed and deleted (a reset), never made here.

    A factor made by someone else for a user would let them pass that user's second
    step; keys and codes are not shown (``OTP_ADMIN_HIDE_SENSITIVE_DATA``).
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


for _model, _admin_class in ((TOTPDevice, TOTPDeviceAdmin), (StaticDevice, StaticDeviceAdmin)):
    admin.site.unregister(_model)
    admin.site.register(_model, type(_admin_class.__name__, (_FactorAdminMixin, _admin_class), {}))
