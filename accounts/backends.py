"""Authentication backend: refuses who may not sign in, loads the agency with the user.

The users of an inactive agency are refused like inactive users: sign-in, their
sessions at the next request, and HTTP Basic (DRF asks this backend too).
"""

import functools

from django.contrib.auth import backends, get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import BigIntegerField, BooleanField
from django.db.models.expressions import RawSQL


class ModelBackend(backends.ModelBackend):
    """Django's backend, refusing users who may not sign in before their password is checked.

    A deactivated user, or a user of a deactivated agency, is refused whatever the
    password: a guess at such an account learns nothing, and takes the time a guess at
    an unknown username takes.

    The session's user comes with its agency in one query.

    Every page shows the signed-in user's agency in the header and most views read it,
    so fetching it separately would cost one query on every request. The same query reads
    whether the user has a second factor, which the sign-in gate asks on every request
    (``accounts.mfa.has_second_factor``). On PostgreSQL it also reads the user's group ids,
    which every restricted query writes into its visibility clause
    (``User.visibility_group_ids``), and the ids of their second-factor devices, so that
    a session verified by one of them costs no query to confirm it (``accounts.middleware``),
    and the id of ``incidents.view_incident``, which tells the process whether its memo of
    permission ids still holds (``incidents.querysets.check_permission_ids``).
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
        from accounts import mfa
        from incidents.querysets import check_permission_ids

        user_model = get_user_model()
        fragments = _session_user_fragments()
        users = user_model._default_manager.select_related("agency").annotate(
            second_factor_present=fragments["second_factor_present"]
        )
        if connection.vendor == "postgresql":
            users = users.annotate(
                **{name: fragments[name] for name in fragments if name != "second_factor_present"}
            )
        try:
            user = users.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        if hasattr(user, "group_ids_read"):
            user.remember_visibility_group_ids(user.group_ids_read)
            mfa.remember_device_ids(user)
            check_permission_ids(user.view_permission_id_read)
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        return user.agency_id is None or user.agency.is_active


@functools.cache
def _session_user_fragments():
    """What the session's user is read with besides its row, as SQL written once per process.

    As ORM subqueries (``Exists``, ``ArraySubquery``) these cost about 3.5 ms of query
    compilation on every request (bench/README.md); as ``RawSQL`` they cost nothing.
    Whether the user has a second factor (``accounts.mfa.has_second_factor``) on every
    database; on PostgreSQL also the user's group ids (``User.visibility_group_ids``) and
    the ids of their confirmed devices (``accounts.mfa.device_still_confirmed``).
    """
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts import mfa
    from incidents.querysets import view_permission_id_read

    user_model = get_user_model()
    user_pk = f'"{user_model._meta.db_table}"."{user_model._meta.pk.column}"'
    devices = {kind: model._meta.db_table for kind, model in mfa._MODELS.items()}
    tokens = StaticToken._meta.db_table
    primary = " OR ".join(
        f'EXISTS (SELECT 1 FROM "{devices[kind]}" d WHERE d."user_id" = {user_pk} AND d."confirmed")'
        for kind in (mfa.Kind.TOTP, mfa.Kind.WEBAUTHN)
    )
    recovery = (
        f'EXISTS (SELECT 1 FROM "{tokens}" t JOIN "{devices[mfa.Kind.RECOVERY]}" d '
        f'ON t."device_id" = d."id" WHERE d."user_id" = {user_pk} AND d."confirmed")'
    )
    fragments = {
        "second_factor_present": RawSQL(
            f"({primary} OR {recovery})", (), output_field=BooleanField()
        ),
        "group_ids_read": RawSQL(
            f'ARRAY(SELECT g."group_id" FROM "{user_model.groups.through._meta.db_table}" g '
            f'WHERE g."user_id" = {user_pk} ORDER BY g."group_id")',
            (),
            output_field=ArrayField(BigIntegerField()),
        ),
    }
    # Checks the process's memo of permission ids (incidents.querysets.check_permission_ids).
    fragments["view_permission_id_read"] = view_permission_id_read()
    for kind, table in devices.items():
        fragments[f"device_ids_{kind}"] = RawSQL(
            f'ARRAY(SELECT d."id" FROM "{table}" d WHERE d."user_id" = {user_pk} '
            'AND d."confirmed")',
            (),
            output_field=ArrayField(BigIntegerField()),
        )
    return fragments
