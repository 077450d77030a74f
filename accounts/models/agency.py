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
    short_name = models.CharField(_("short name"), max_length=40, unique=True)
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
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["country", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self):
        return f"{self.name} ({self.country.code})"

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self.group_id is None:
                self.group, _created = Group.objects.get_or_create(name=f"agency:{self.short_name}")
            super().save(*args, **kwargs)
            if not self.is_active:
                # The users of an inactive agency keep no live token, however it was
                # deactivated (``accounts.actions.set_agency_active`` records who did it).
                from accounts import actions

                actions.revoke_agency_tokens(self)
