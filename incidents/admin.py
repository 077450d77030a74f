"""What the Django admin shows of cases: that they exist and where they stand.

The admin administers agencies, users and configuration. Platform admins do not read
cases, so case records are listed by their metadata alone (reference, agencies, status,
dates): no title, summary, text, description or value, no detail page, and nothing can
be added, changed or deleted here. Timeline entries are all content and are not
registered. Cases are read and changed in the application, by their participants.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, ReferenceSequence


class ReadOnlyAdminMixin:
    """Viewable by superusers; no add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MetadataListAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A list of case records by their metadata columns only.

    No detail or history page: both are titled with the record's ``str()``, which names
    its content (an incident's title, an evidence item's title). Related records appear
    as references (``incident_reference``), never through their ``str()`` either.
    """

    list_display_links = None
    actions = None
    show_full_result_count = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise PermissionDenied

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        # Django labels the box with str(obj); the reference says which row it is.
        label = getattr(obj, "reference", None) or str(obj.pk)
        attrs = {
            "class": "action-select",
            "aria-label": format_html(_("Select this object for an action - {}"), label),
        }
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))

    def history_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    @admin.display(description=_("incident"), ordering="incident__reference")
    def incident_reference(self, obj):
        return obj.incident.reference if obj.incident_id else "—"


@admin.register(Incident)
class IncidentAdmin(MetadataListAdmin):
    list_display = ["reference", "lead_agency", "status", "is_exercise", "created_at", "updated_at"]
    list_filter = ["status", "is_exercise"]
    list_select_related = ["lead_agency"]
    search_fields = ["reference"]
    date_hierarchy = "created_at"


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["scope", "year", "last_value"]
    list_filter = ["scope", "year"]
    fields = ["scope", "year", "last_value"]
    readonly_fields = fields


# Evidence (read-only metadata) and case templates (configuration) register on import.
from incidents.casework import admin as casework_admin  # noqa: F401
from incidents.evidence import admin as evidence_admin  # noqa: F401
