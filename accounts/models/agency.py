from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField

from accounts.choices import AgencyKind
from accounts.timezones import TIMEZONE_CHOICES, validate_timezone


class AgencyQuerySet(models.QuerySet):
    def search(self, q):
        """Match name, short name, mailbox, country code, or country name.

        A country name matches in English and in the active language ("Germany",
        "Allemagne", "germ"); names are mapped to codes, so the query stays a plain
        ``country IN (...)`` with no join.
        """
        q = (q or "").strip()
        if not q:
            return self
        condition = (
            models.Q(name__icontains=q)
            | models.Q(short_name__icontains=q)
            | models.Q(mailbox__icontains=q)
            | models.Q(country__iexact=q)
        )
        codes = countries_named(q)
        if codes:
            condition |= models.Q(country__in=codes)
        return self.filter(condition)

    def active(self):
        """This node's own active agencies (those with users here)."""
        return self.filter(is_active=True, node__isnull=True)

    def listed(self):
        """Active agencies of this node and of its peer nodes (the directory, the pickers)."""
        return self.filter(is_active=True)


def countries_named(fragment):
    """ISO codes of the countries whose English or localised name contains ``fragment``."""
    fragment = fragment.casefold()
    if len(fragment) < 3:  # "de" is a code, not a fragment of every "…de…" name
        return set()
    codes = {code for code, name in countries if fragment in str(name).casefold()}
    with translation.override("en"):
        codes.update(code for code, name in countries if fragment in str(name).casefold())
    return codes


class Agency(models.Model):
    """A police unit, CERT, prosecutor or authority taking part in cases.

    Each agency owns one auth Group: object permissions on incidents shared
    with the agency are granted to that group.
    """

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=40)
    country = CountryField(_("country"))
    kind = models.CharField(_("kind"), max_length=32, choices=AgencyKind.choices)
    mailbox = models.EmailField(_("functional mailbox"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_24_7_contact = models.BooleanField(
        _("24/7 point of contact"),
        default=False,
        help_text=_("Budapest Convention Art. 35 point of contact."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        choices=TIMEZONE_CHOICES,
        validators=[validate_timezone],
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="agency", editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    require_mfa = models.BooleanField(
        _("require a second factor"),
        default=False,
        help_text=_(
            "Every user of the agency must sign in with a second factor (authenticator app, "
            "security key or passkey)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set for an agency of a peer node, published in its directory (coordination.federation).
    node = models.ForeignKey(
        "federation.Peer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        verbose_name=_("node"),
    )
    remote_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            # Short names are unique among this node's agencies; a peer's agencies are named
            # by their node, and may share a short name with one of ours.
            models.UniqueConstraint(
                fields=["short_name"],
                condition=models.Q(node__isnull=True),
                name="agency_local_short_name_unique",
                violation_error_message=_("An agency of this node already has this short name."),
            ),
            # A peer's agency is upserted by its id on that node.
            models.UniqueConstraint(
                fields=["node", "remote_id"],
                condition=models.Q(node__isnull=False),
                name="agency_remote_once",
            ),
        ]

    @property
    def is_remote(self):
        return self.node_id is not None

    def validate_constraints(self, exclude=None):
        # Forms leave ``node`` out; the short-name constraints still depend on it.
        super().validate_constraints(exclude=set(exclude or ()) - {"node"})

    def __str__(self):
        return f"{self.name} ({self.country.code})"

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self.group_id is None:
                name = f"agency:{self.short_name}"
                if self.node_id is not None:
                    name += f"@{self.node.name}"  # never the group of a local namesake
                self.group, _created = Group.objects.get_or_create(name=name)
            super().save(*args, **kwargs)
            if not self.is_active:
                # The users of an inactive agency keep no live token, however it was
                # deactivated (``accounts.actions.set_agency_active`` records who did it).
                from accounts import actions

                actions.revoke_agency_tokens(self)
