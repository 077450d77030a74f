from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Agencies and users"

    def ready(self):
        from axes.signals import user_locked_out
        from django.db.models.signals import m2m_changed

        from accounts import throttle
        from accounts.models import User

        m2m_changed.connect(
            _forget_group_ids, sender=User.groups.through, dispatch_uid="accounts.group_ids"
        )
        user_locked_out.connect(throttle.record_lockout, dispatch_uid="accounts.locked_out")


def _forget_group_ids(sender, instance, reverse, **kwargs):
    """A user's groups changed through ``user.groups``: their memoised ids are stale."""
    if not reverse:
        instance.forget_visibility_group_ids()
