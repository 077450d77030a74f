from django.db import models
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    POLICE = "police", _("Police cyber unit")
    CERT = "cert", _("CERT / CSIRT")
    PROSECUTOR = "prosecutor", _("Prosecutor")
    CENTRAL_AUTHORITY = "central_authority", _("Central authority")
    MINISTRY = "ministry", _("Ministry")
    INTERNATIONAL = "international", _("International body")


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    LIAISON_OFFICER = "liaison_officer", _("Liaison officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENCY_ADMIN = "agency_admin", _("Agency admin")
