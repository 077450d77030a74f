"""Demo exercise: the hospital ransomware scenario set up for three countries, not started.

Called by ``manage.py load_demo``. The controller (``de-exercise``, of the BKA, holding the
exercise controller permission) signs in, opens Exercises and starts it. Idempotent: set
up once, recognised by its title.
"""

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from coordination.exercises import actions, scenarios
from coordination.exercises.models import Exercise

DEMO_TITLE = "Demo exercise: ransomware across three countries' hospitals"
CONTROLLER = "de-exercise"
ROLES = {
    "lead": "BKA-CC",
    "affected-a": "OFAC",
    "affected-b": "THTC",
    "cert": "CERT-Bund",
    "prosecutor": "GStA-ZIT",
}


def load_demo_exercise(agencies, users):
    """Give the controller its permission and set up the demo exercise once."""
    controller = users[CONTROLLER]
    controller.user_permissions.add(
        Permission.objects.get(content_type__app_label="exercises", codename="control_exercise")
    )
    if Exercise.objects.filter(title=DEMO_TITLE).exists():
        return 0
    actions.create_exercise(
        controller,
        scenario=scenarios.get("hospital-ransomware"),
        starts_at=timezone.now() + timedelta(days=7),
        agencies={role: agencies[short] for role, short in ROLES.items()},
        title=DEMO_TITLE,
    )
    return 1
