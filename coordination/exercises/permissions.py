"""Who may set up, control, play and read an exercise.

- Controllers: superusers; agency admins of the organising agency; users of the
  organising agency holding ``exercises.control_exercise`` (the exercise controller role,
  granted in the admin to a user or a group).
- Participants: users of an agency playing one of the exercise's roles.
Anyone else does not learn that the exercise exists (404).
"""

from django.db.models import Exists, OuterRef, Q

from accounts.choices import Role
from coordination.exercises.models import Exercise, RoleAssignment

CONTROL_PERMISSION = "exercises.control_exercise"


def may_organise(user):
    """May set up exercises (for the user's own agency)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return bool(user.agency_id) and (
        user.role == Role.AGENCY_ADMIN or user.has_perm(CONTROL_PERMISSION)
    )


def may_control(user, exercise):
    if not may_organise(user):
        return False
    return user.is_superuser or exercise.organiser_id == user.agency_id


def plays_in(user, exercise):
    if not (user and user.is_authenticated and user.agency_id):
        return False
    return exercise.assignments.filter(agency_id=user.agency_id).exists()


def visible_exercises(user):
    """The one door to exercises: those ``user`` controls or plays in."""
    if not (user and user.is_authenticated and user.is_active):
        return Exercise.objects.none()
    if user.is_superuser:
        return Exercise.objects.all()
    if not user.agency_id:
        return Exercise.objects.none()
    plays = Exists(RoleAssignment.objects.filter(exercise=OuterRef("pk"), agency_id=user.agency_id))
    clause = plays
    if may_organise(user):
        clause = Q(organiser_id=user.agency_id) | plays
    return Exercise.objects.filter(clause)
