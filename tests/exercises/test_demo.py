"""The demo holds an exercise its controller can run to the end; loading twice adds nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from coordination.exercises import actions
from coordination.exercises.choices import InjectStatus
from coordination.exercises.demo import CONTROLLER, DEMO_TITLE
from coordination.exercises.models import Exercise
from coordination.exercises.permissions import may_control

pytestmark = [pytest.mark.exercise, pytest.mark.django_db]


def test_the_demo_controller_runs_the_demo_exercise_with_three_countries():
    call_command("load_demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_demo", "--quiet-logins", stdout=open("/dev/null", "w"))  # noqa: SIM115
    exercise = Exercise.objects.get(title=DEMO_TITLE)
    controller = User.objects.get(username=CONTROLLER)
    assert Exercise.objects.count() == 1
    assert may_control(controller, exercise)
    countries = {a.agency.country.code for a in exercise.assignments.select_related("agency")}
    assert countries == {"DE", "FR", "NL"}

    actions.start(exercise, controller)
    with time_machine.travel(timezone.now() + timedelta(hours=4)):
        actions.release_due()
    failed = {i.key: i.failure for i in exercise.injects.exclude(status=InjectStatus.RELEASED)}
    assert failed == {}
