from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExercisesConfig(AppConfig):
    name = "coordination.exercises"
    label = "exercises"
    verbose_name = _("Exercises")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from coordination.exercises import checks  # noqa: F401 - registers the scenario check
