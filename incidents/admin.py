"""Platform administration of incidents for superusers.

Incidents are filed, shared and moved along their workflow through
``incidents.actions`` only, so the admin cannot add or delete them, and the
timeline, participations and reference counters are shown read-only.
"""

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from incidents import events
from incidents.actions import EDITABLE_FIELDS
from incidents.choices import TLP
from incidents.models import Incident, Participation, ReferenceSequence, TimelineEntry


class ReadOnlyAdminMixin:
    """Viewable by superusers; no add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ParticipationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Participation
    fields = ["agency", "role", "invited_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "title",
        "status",
        "severity",
        "tlp",
        "lead_agency",
        "is_exercise",
        "updated_at",
    ]
    list_filter = ["status", "severity", "tlp", "category", "is_exercise"]
    list_select_related = ["lead_agency"]
    search_fields = ["reference", "title"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "reference",
        "lead_agency",
        "status",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "title", "summary", "lead_agency", "status"]}),
        (
            _("Classification"),
            {"fields": ["category", "severity", "tlp", "is_exercise", "affected_countries"]},
        ),
        (_("Record"), {"fields": ["detected_at", "created_by", "created_at", "updated_at"]}),
    ]
    inlines = [ParticipationInline]

    def has_add_permission(self, request):
        # A new incident needs a reference, a lead agency and permissions: file it in the app.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Save only the edited fields and record the edit on the case's timeline."""
        changed = [name for name in form.changed_data if name in EDITABLE_FIELDS]
        if not changed:
            return
        with transaction.atomic():
            # Only the edited columns: a concurrent status change must not be overwritten.
            obj.save(update_fields=[*changed, "updated_at"])
            labels = [str(Incident._meta.get_field(name).verbose_name) for name in changed]
            events.incident_edited(obj, request.user, labels)


# TLP:RED and AMBER+STRICT texts are for the named users and the participating
# agencies alone; the platform admin sees that an entry exists, not what it says.
WITHHELD_TLPS = (TLP.RED, TLP.AMBER_STRICT)


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: entries are never added, edited or deleted here."""

    list_display = ["incident", "occurred_at", "kind", "author_name", "tlp", "recorded_at"]
    list_filter = ["kind", "tlp"]
    list_select_related = ["incident"]
    search_fields = ["incident__reference"]
    date_hierarchy = "recorded_at"
    fields = [
        "incident",
        "occurred_at",
        "recorded_at",
        "author",
        "author_name",
        "author_agency",
        "kind",
        "tlp",
        "text",
        "corrects",
    ]
    readonly_fields = fields

    @admin.display(description=_("text"))
    def text(self, obj):
        if obj.tlp in WITHHELD_TLPS:
            return _("Withheld (%(tlp)s): read it on the incident page if you are a recipient.") % {
                "tlp": obj.get_tlp_display()
            }
        return obj.body


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["scope", "year", "last_value"]
    list_filter = ["scope", "year"]
    fields = ["scope", "year", "last_value"]
    readonly_fields = fields


# Evidence and custody (read-only) register themselves on import.
from incidents.evidence import admin as evidence_admin  # noqa: F401
