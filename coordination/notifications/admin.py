from django.contrib import admin

from coordination.notifications.models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by notify() and the worker alone."""

    list_display = ("created_at", "channel", "event", "email", "recipient", "status", "attempts")
    list_filter = ("channel", "status", "event")
    search_fields = ("email", "subject", "dedupe_key")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "event", "delivery")
    list_filter = ("event", "delivery")
