from django.utils.translation import gettext as _


class TransitionNotAllowed(Exception):
    """The requested change is not allowed from the current state."""

    def __init__(self, message, allowed=()):
        super().__init__(message)
        self.message = message
        self.allowed = list(allowed)


class ConcurrentChange(Exception):
    """Someone else changed the object first; reload and try again."""

    def __init__(self, message=None):
        self.message = message or _(
            "Someone else changed this incident meanwhile. Reload and try again."
        )
        super().__init__(self.message)
