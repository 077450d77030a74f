from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import TokenRevocation, TokenScope


class ApiTokenQuerySet(models.QuerySet):
    def live(self, now=None):
        """Neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ApiToken(models.Model):
    """A key with which a tool acts as its user on the API, TAXII and blocklists.

    Only the SHA-256 of the key is kept: the key itself is shown once, when it is
    created. ``prefix`` (the key's first characters, not enough to guess the rest)
    lets the owner tell their tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    # Every authenticated call looks the hash up: unique, so indexed.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(
        _("scope"), max_length=16, choices=TokenScope.choices, default=TokenScope.READ
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_reason = models.CharField(
        _("reason of revocation"),
        max_length=32,
        choices=TokenRevocation.choices,
        blank=True,
        editable=False,
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_read_only(self):
        return self.scope == TokenScope.READ

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    @property
    def is_live(self):
        return self.revoked_at is None and not self.is_expired
