from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntelConfig(AppConfig):
    name = "coordination.intel"
    label = "intel"
    verbose_name = _("Intel")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from coordination.intel.report import indicators_section
        from incidents import report

        report.register_section(50, indicators_section)
