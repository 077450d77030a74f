"""Case templates in the Django admin: configuration, no case content."""

from django.contrib import admin

from incidents.models import CaseTemplate, CaseTemplateStep


class CaseTemplateStepInline(admin.TabularInline):
    model = CaseTemplateStep
    extra = 1
    fields = ["position", "title", "description", "due_after_hours"]


@admin.register(CaseTemplate)
class CaseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "agency", "category", "is_active", "updated_at"]
    list_filter = ["category", "is_active"]
    list_select_related = ["agency"]
    search_fields = ["name", "agency__short_name", "agency__name"]
    inlines = [CaseTemplateStepInline]
