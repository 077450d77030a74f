from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self):
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        from coordination.notifications import subjects
        from incidents.querysets import forget_permission_ids

        post_migrate.connect(forget_permission_ids, dispatch_uid="incidents.forget_permission_ids")
        # Notifications about a case or an evidence item show only while it is visible.
        subjects.register("incidents:detail", "incidents.Incident")
        subjects.register("evidence:detail", "incidents.Evidence")
        # The timeline's event codes: every app's ``events`` module registers its own.
        import incidents.evidence.events  # noqa: F401

        autodiscover_modules("events")
