from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorType(models.TextChoices):
    IPV4 = "ipv4", _("IPv4 address")
    IPV6 = "ipv6", _("IPv6 address")
    CIDR = "cidr", _("Network (CIDR)")
    DOMAIN = "domain", _("Domain name")
    URL = "url", _("URL")
    EMAIL = "email", _("Email address")
    MD5 = "md5", _("MD5 hash")
    SHA1 = "sha1", _("SHA-1 hash")
    SHA256 = "sha256", _("SHA-256 hash")
    SHA512 = "sha512", _("SHA-512 hash")
    # Fuzzy hashes: equal values correlate; a blocklist cannot use similarity.
    SSDEEP = "ssdeep", _("SSDEEP fuzzy hash")
    TLSH = "tlsh", _("TLSH fuzzy hash")
    # The MD5 of a PE file's import table: as long as an MD5, so typed, never guessed.
    IMPHASH = "imphash", _("Import hash (imphash)")
    FILENAME = "filename", _("File name")
    # A STIX pattern kept as given: compound, or naming what has no type of its own here.
    PATTERN = "stix-pattern", _("STIX pattern")


# What a person (form, API) may type: a STIX pattern only arrives with an import.
TYPED_CHOICES = [
    (value, label) for value, label in IndicatorType.choices if value != "stix-pattern"
]
