"""Authentication backend that loads the user's agency together with the user."""

from django.contrib.auth import backends, get_user_model


class ModelBackend(backends.ModelBackend):
    """Django's backend, but the session's user comes with its agency in one query.

    Every page shows the signed-in user's agency in the header and most views read it,
    so fetching it separately would cost one query on every request.
    """

    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("agency").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
