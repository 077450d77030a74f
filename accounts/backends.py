"""Authentication backend that loads the user's agency together with the user."""

from django.contrib.auth import backends, get_user_model
from django.db import connection
from django.db.models import OuterRef


class ModelBackend(backends.ModelBackend):
    """Django's backend, but the session's user comes with its agency in one query.

    Every page shows the signed-in user's agency in the header and most views read it,
    so fetching it separately would cost one query on every request. The same query reads
    whether the user has a second factor, which the sign-in gate asks on every request
    (``accounts.mfa.has_second_factor``). On PostgreSQL it also reads the user's group ids,
    which every restricted query writes into its visibility clause
    (``User.visibility_group_ids``), and the ids of their second-factor devices, so that
    a session verified by one of them costs no query to confirm it (``accounts.middleware``).
    """

    def get_user(self, user_id):
        from accounts import mfa

        user_model = get_user_model()
        users = user_model._default_manager.select_related("agency").annotate(
            second_factor_present=mfa.factor_exists()
        )
        if connection.vendor == "postgresql":
            users = users.annotate(
                group_ids_read=_group_ids(user_model), **mfa.confirmed_device_ids()
            )
        try:
            user = users.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        if hasattr(user, "group_ids_read"):
            user.remember_visibility_group_ids(user.group_ids_read)
            mfa.remember_device_ids(user)
        return user if self.user_can_authenticate(user) else None


def _group_ids(user_model):
    from django.contrib.postgres.expressions import ArraySubquery

    memberships = user_model.groups.through.objects.filter(user_id=OuterRef("pk"))
    return ArraySubquery(memberships.order_by("group_id").values("group_id"))
