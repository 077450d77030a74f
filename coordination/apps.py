from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    """The project package as an app: it registers the project's system checks."""

    name = "coordination"
    verbose_name = "Concord"

    def ready(self):
        from coordination import checks  # noqa: F401 - registers the checks
