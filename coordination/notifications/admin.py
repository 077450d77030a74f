"""The outbox in the Django admin: delivery metadata only.

Subjects and bodies carry case content (``incidents.admin``): the list shows who a
notification went to, about which kind of event, and how its delivery went. The outbox
is written by notify() and the worker alone; failed emails are retried from the
notifications app's page for agency admins.
"""

from django.contrib import admin

from coordination.notifications.models import Notification, Preference
from incidents.admin import MetadataListAdmin


@admin.register(Notification)
class NotificationAdmin(MetadataListAdmin):
    list_display = (
        "created_at",
        "channel",
        "event",
        "email",
        "recipient",
        "agency",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("channel", "status", "event")
    list_select_related = ("recipient", "agency")
    search_fields = ("email",)
    date_hierarchy = "created_at"


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "event", "delivery")
    list_filter = ("event", "delivery")
