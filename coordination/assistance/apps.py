from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistanceConfig(AppConfig):
    name = "coordination.assistance"
    label = "assistance"
    verbose_name = _("Assistance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from coordination.notifications import subjects

        # Notifications about a request show only while the reader may see the request.
        subjects.register("assistance:detail", "assistance.AssistanceRequest")

        from coordination.assistance.report import requests_section
        from incidents import report

        report.register_section(60, requests_section)
