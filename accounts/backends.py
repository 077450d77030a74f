"""Authentication backend: refuses who may not sign in, loads the agency with the user.

The users of an inactive agency are refused like inactive users: sign-in, their
sessions at the next request, and HTTP Basic (DRF asks this backend too).
"""

from django.contrib.auth import backends, get_user_model
from django.db import connection
from django.db.models import OuterRef


class ModelBackend(backends.ModelBackend):
    """Django's backend, refusing users who may not sign in before their password is checked.

    A deactivated user, or a user of a deactivated agency, is refused whatever the
    password: a guess at such an account learns nothing, and takes the time a guess at
    an unknown username takes.

    The session's user comes with its agency in one query.

    Every page shows the signed-in user's agency in the header and most views read it,
    so fetching it separately would cost one query on every request. On PostgreSQL the
    same query also reads the user's group ids, which every restricted query writes into
    its visibility clause (``User.visibility_group_ids``).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None or "\x00" in str(username):
            return None
        try:
            user = user_model._default_manager.select_related("agency").get(
                **{user_model.USERNAME_FIELD: username}
            )
        except user_model.DoesNotExist:
            user = None
        if user is None or not self.may_sign_in(user):
            user_model().set_password(password)  # the time a password check takes
            return None
        return user if user.check_password(password) else None

    def may_sign_in(self, user):
        return self.user_can_authenticate(user) and (
            user.agency_id is None or user.agency.is_active
        )

    def get_user(self, user_id):
        user_model = get_user_model()
        users = user_model._default_manager.select_related("agency")
        if connection.vendor == "postgresql":
            users = users.annotate(group_ids_read=_group_ids(user_model))
        try:
            user = users.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        if hasattr(user, "group_ids_read"):
            user.remember_visibility_group_ids(user.group_ids_read)
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        return user.agency_id is None or user.agency.is_active


def _group_ids(user_model):
    from django.contrib.postgres.expressions import ArraySubquery

    memberships = user_model.groups.through.objects.filter(user_id=OuterRef("pk"))
    return ArraySubquery(memberships.order_by("group_id").values("group_id"))
