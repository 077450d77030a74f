"""Judicial validation: which orders a judge, court or prosecutor must validate before they
leave, who may do it, and the warning for an EIO addressed to a police authority.

- Directive 2014/41/EU Art. 2(c): an EIO issued by an authority other than a judge, court,
  investigating judge or public prosecutor is validated by one of them in the issuing State.
- Regulation (EU) 2023/1543 Art. 4: a European Production Order for subscriber data or for
  data requested only to identify the user is issued or validated by a judge, court,
  investigating judge or prosecutor (4(1)); one for other traffic data or content data by a
  judge, court or investigating judge only (4(2)); a European Preservation Order by a judge,
  court, investigating judge or prosecutor (4(3)). Emergency issue without prior validation
  (Art. 4(5)) is not modelled: every order is validated before it leaves.

Concord's agency kinds: ``prosecutor`` is a public prosecutor, ``court`` a judge, court or
investigating judge. Where validation applies, the request's ``approve`` step is the
validation; elsewhere it stays the four-eyes approval of a second liaison officer.
"""

from dataclasses import dataclass

from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import JUDICIAL_KINDS, AgencyKind, Role, country_name
from coordination.assistance.choices import LegalBasis, Measure

COURTS = (AgencyKind.COURT,)
JUDICIAL = tuple(JUDICIAL_KINDS)
# The roles of a judicial agency that validate (a liaison officer or supervisor of it).
VALIDATOR_ROLES = (Role.LIAISON_OFFICER, Role.SUPERVISOR)
# Addressees an EIO should not go to: not an executing judicial or central authority.
POLICE_KINDS = (AgencyKind.POLICE, AgencyKind.CERT)

# The label of ``approve`` where it is the validation (the action keeps its name).
VALIDATE_LABEL = gettext_lazy("Validate and send")

AUTHORITIES = {
    COURTS: gettext_lazy("a judge, court or investigating judge"),
    JUDICIAL: gettext_lazy("a judge, court, investigating judge or public prosecutor"),
}


@dataclass(frozen=True)
class Requirement:
    """Who must validate a request, and the text of the law that says so."""

    kinds: tuple
    source: str

    @property
    def authorities(self):
        return AUTHORITIES[self.kinds]

    @property
    def stored(self):
        """The value kept in ``AssistanceRequest.validation_kinds`` while it waits."""
        return stored_value(self.kinds)


def stored_value(kinds):
    return ",".join(str(kind) for kind in kinds)


def stored_values_for(kind):
    """The ``validation_kinds`` values a judicial agency of ``kind`` may validate."""
    return [stored_value(kinds) for kinds in AUTHORITIES if kind in kinds]


def _is_judicial(agency):
    return agency is not None and agency.kind in JUDICIAL


def validation_needed(request):
    """None when the request needs no judicial validation, else its ``Requirement``."""
    agency = request.requesting_agency
    basis = request.legal_basis
    if basis == LegalBasis.EIO:
        if _is_judicial(agency):
            return None
        return Requirement(JUDICIAL, gettext_lazy("Directive 2014/41/EU Art. 2(c)(ii)"))
    if basis == LegalBasis.EPOC:
        measures = set(request.measures or ())
        court_only = Measure.CONTENT in measures or (
            Measure.TRAFFIC in measures and not request.identification_only
        )
        if court_only:
            if agency is not None and agency.kind == AgencyKind.COURT:
                return None
            return Requirement(COURTS, gettext_lazy("Regulation (EU) 2023/1543 Art. 4(2)"))
        if _is_judicial(agency):
            return None
        return Requirement(JUDICIAL, gettext_lazy("Regulation (EU) 2023/1543 Art. 4(1)"))
    if basis == LegalBasis.EPOC_PR:
        if _is_judicial(agency):
            return None
        return Requirement(JUDICIAL, gettext_lazy("Regulation (EU) 2023/1543 Art. 4(3)"))
    return None


def who_must_validate(request, requirement=None):
    """ "a judge, court, ... of Germany (Directive 2014/41/EU Art. 2(c)(ii))" for the page."""
    requirement = requirement or validation_needed(request)
    if requirement is None:
        return ""
    return _("%(authorities)s of %(country)s (%(source)s)") % {
        "authorities": requirement.authorities,
        "country": country_name(request.requesting_agency.country.code),
        "source": requirement.source,
    }


# For messages rendered once per recipient: in each recipient's language.
lazy_who_must_validate = lazy(who_must_validate, str)


def may_validate(user, request):
    """None when ``user`` may validate ``request`` now, else the reason why not."""
    requirement = validation_needed(request)
    if requirement is None:
        return _("This request needs no judicial validation: another liaison officer approves it.")
    if not (user and user.is_authenticated and user.is_active and user.agency_id):
        return _("Only a member of a judicial authority may validate.")
    must = who_must_validate(request, requirement)
    if user.pk in (request.created_by_id, request.submitted_by_id):
        return _("You drafted or submitted this request: it must be validated by %(who)s.") % {
            "who": must
        }
    agency = user.agency
    if agency.kind not in requirement.kinds:
        return _(
            "This request must be validated by %(who)s before it is sent; %(agency)s is not."
        ) % {
            "who": must,
            "agency": agency.name,
        }
    if agency.country.code != request.requesting_agency.country.code:
        return _("Only an authority of the issuing State validates: %(who)s.") % {"who": must}
    if user.role not in VALIDATOR_ROLES:
        return _(
            "Your role (%(role)s) may not validate: a liaison officer or supervisor of %(agency)s does."
        ) % {
            "role": user.get_role_display(),
            "agency": agency.name,
        }
    return None


def awaits_validation_by(user, request):
    """Whether ``request`` waits for the validation of ``user``'s (judicial) agency."""
    from coordination.assistance.choices import Status

    if request.status != Status.PENDING_APPROVAL:
        return False
    if not (user and user.is_authenticated and user.is_active and user.agency_id):
        return False
    if user.agency_id == request.requesting_agency_id:
        return False
    requirement = validation_needed(request)
    return bool(
        requirement
        and user.agency.kind in requirement.kinds
        and user.agency.country.code == request.requesting_agency.country.code
    )


def addressee_warning(request):
    """The warning for an EIO addressed to a police unit or CERT, or ""."""
    agency = request.receiving_agency
    if request.legal_basis != LegalBasis.EIO or agency is None or agency.kind not in POLICE_KINDS:
        return ""
    return _(
        "%(agency)s is a %(kind)s, not an executing judicial authority or central authority. "
        "An EIO is transmitted to the authority competent to recognise and execute it, or to "
        "the central authority designated for it (Directive 2014/41/EU Art. 2(d) and Art. 7)."
    ) % {"agency": agency.name, "kind": agency.get_kind_display().lower()}
