from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Agencies and users"

    def ready(self):
        from django.db.models.signals import m2m_changed

        from accounts.models import User

        m2m_changed.connect(
            _forget_group_ids, sender=User.groups.through, dispatch_uid="accounts.group_ids"
        )


def _forget_group_ids(sender, instance, reverse, **kwargs):
    """A user's groups changed through ``user.groups``: their memoised ids are stale."""
    if not reverse:
        instance.forget_visibility_group_ids()
