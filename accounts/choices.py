from django.db import models
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries


class AgencyKind(models.TextChoices):
    POLICE = "police", _("Police cyber unit")
    CERT = "cert", _("CERT / CSIRT")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    COURT = "court", _("Court or investigating judge")
    CENTRAL_AUTHORITY = "central_authority", _("Central authority")
    MINISTRY = "ministry", _("Ministry")
    INTERNATIONAL = "international", _("International body")


# Judicial authorities in the sense of Directive 2014/41/EU Art. 2(c)(i): they may issue or
# validate an EIO; Regulation (EU) 2023/1543 Art. 4 narrows some orders to courts.
JUDICIAL_KINDS = (AgencyKind.PROSECUTOR, AgencyKind.COURT)


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    LIAISON_OFFICER = "liaison_officer", _("Liaison officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENCY_ADMIN = "agency_admin", _("Agency admin")


class CountryChoices(BaseChoiceIterator):
    """Every country, named and sorted in the language active when a form is drawn.

    ``list(countries)`` at import time would freeze the names in the start-up language.
    Being iterable (not a callable), the codes still reach the OpenAPI schema as an enum.
    """

    def __init__(self, blank=None):
        self.blank = blank

    def __iter__(self):
        if self.blank is not None:
            yield ("", self.blank)
        yield from _countries_named()


_named_by_language = {}


def _countries_named():
    """``(code, name)`` of every country, sorted by name in the active language.

    Translating and sorting 250 names is a sizeable share of a list page; the result
    depends on the language alone.
    """
    language = get_language()
    named = _named_by_language.get(language)
    if named is None:
        named = _named_by_language[language] = tuple((code, str(name)) for code, name in countries)
    return named


_names_by_language = {}


def country_name(code):
    """The name of the country ``code`` in the active language ("" if unknown)."""
    language = get_language()
    names = _names_by_language.get(language)
    if names is None:
        names = _names_by_language[language] = dict(_countries_named())
    return names.get(code, "")


# For messages rendered once per recipient: the name follows each recipient's language.
lazy_country_name = lazy(country_name, str)


def stored_country_codes(instance, field_name):
    """What a ``CountryField`` holds on ``instance``: a code, or a list of codes (``multiple``).

    django-countries' descriptor builds a translated ``Country`` for every code on every
    access (about 30 µs each); code that only needs the codes, on pages that list
    hundreds of them, reads them here.
    """
    return instance.__dict__[field_name]


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class TokenRevocation(models.TextChoices):
    """Why an API token stopped working before its expiry."""

    OWNER = "owner", _("Revoked by its owner")
    AGENCY_ADMIN = "agency_admin", _("Revoked by an agency admin")
    PLATFORM_ADMIN = "platform_admin", _("Revoked by a platform admin")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    USER_DEACTIVATED = "user_deactivated", _("Account deactivated")
    AGENCY_DEACTIVATED = "agency_deactivated", _("Agency deactivated")
