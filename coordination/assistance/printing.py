"""Printable forms: which form a legal basis prints, for whom, in which language and zone.

Each form is read by one authority (or provider): it is printed in that reader's language
when Concord has it, and every time on it in the reader's time zone, named in its header.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import translation

from accounts.choices import JUDICIAL_KINDS, AgencyKind
from coordination.assistance.choices import ActionName, LegalBasis, Measure

FORM_TEMPLATES = {
    LegalBasis.EIO: "assistance/print/eio.html",
    LegalBasis.EPOC: "assistance/print/epoc.html",
    LegalBasis.EPOC_PR: "assistance/print/epoc_pr.html",
}
MLA_TEMPLATE = "assistance/print/mla.html"
ACKNOWLEDGEMENT_TEMPLATE = "assistance/print/eio_acknowledgement.html"

# Regulation (EU) 2023/1543: Art. 10(2) emergency window, Art. 11(1) preservation periods.
EMERGENCY_HOURS = 8
PRESERVATION_DAYS = 60
PRESERVATION_EXTENSION_DAYS = 30


def form_template(request):
    return FORM_TEMPLATES.get(request.legal_basis, MLA_TEMPLATE)


@dataclass(frozen=True)
class Reader:
    """Who a printed form is for: its language and time zone."""

    name: str
    zone: str
    language: str  # the language the form is printed in
    asked_language: str  # the reader's own language ("" when unknown)

    @property
    def untranslated_language_name(self):
        """The reader's language when the form falls back to English, else ""."""
        if not self.asked_language or self.language == self.asked_language:
            return ""
        try:
            return translation.get_language_info(self.asked_language)["name"]
        except KeyError:
            return self.asked_language


def _language(code):
    """The Concord language for ``code`` ("fr-BE" -> "fr"), or None when there is none."""
    code = (code or "").strip().lower()
    if not code:
        return None
    available = {lang for lang, _name in settings.LANGUAGES}
    if code in available:
        return code
    base = code.split("-")[0].split("_")[0]
    return base if base in available else None


def reader(name, zone, language):
    asked = (language or "").strip().lower()
    supported = _language(asked)
    if supported:
        asked = supported
    return Reader(
        name=name,
        zone=zone or "UTC",
        language=supported or "en",
        asked_language=asked,
    )


def form_reader(request):
    """The authority or provider that receives the form of ``request``."""
    if request.is_provider_order and request.provider_addressee_id:
        addressee = request.provider_addressee
        return reader(str(addressee), addressee.timezone, addressee.language)
    agency = request.executing_agency or request.receiving_agency
    if agency is None:
        # Not yet addressed: the form stays with its issuing authority.
        agency = request.requesting_agency
    return reader(agency.name, agency.timezone, agency.language)


def acknowledgement_reader(request):
    """Annex B goes back to the issuing authority (Directive 2014/41/EU Art. 16(1))."""
    agency = request.requesting_agency
    return reader(agency.name, agency.timezone, agency.language)


def zone_label(name, year=None):
    """``Europe/Paris (CET/CEST)``: the zone and its abbreviations over ``year``."""
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return name
    year = year or datetime.now(zone).year
    seen = {}
    for month in (1, 7):
        moment = datetime(year, month, 1, 12, tzinfo=zone)
        seen.setdefault(moment.tzname(), moment.utcoffset())
    # Standard time (the smaller offset) first, whichever hemisphere.
    abbreviations = [a for a, _offset in sorted(seen.items(), key=lambda item: item[1]) if a]
    if not abbreviations or abbreviations == [name]:
        return name
    return f"{name} ({'/'.join(abbreviations)})"


def validation_not_required(request):
    """The issuing authority may issue alone: it is itself a judicial authority of the kind
    the instrument names (Directive 2014/41/EU Art. 2(c)(i); Regulation (EU) 2023/1543
    Art. 4(1)-(3): a prosecutor may issue a production order for subscriber or
    identification data, and any preservation order, but not one for traffic or content)."""
    kind = request.requesting_agency.kind
    if request.legal_basis == LegalBasis.EPOC:
        if kind == AgencyKind.COURT:
            return True
        categories = data_categories(request)
        return kind == AgencyKind.PROSECUTOR and not (
            categories["traffic"] or categories["content"]
        )
    return kind in JUDICIAL_KINDS


def acknowledgement_context(request):
    """Who received an EIO, who acknowledged it, and where it was forwarded (Annex B)."""
    rows = list(request.history.all())
    acknowledgement = next((h for h in rows if h.action == ActionName.ACKNOWLEDGE), None)
    forwarding = next((h for h in reversed(rows) if h.action == ActionName.FORWARD), None)
    receiving = request.receiving_agency or request.executing_agency
    transmitted_to = None
    if request.executing_agency_id and receiving and request.executing_agency_id != receiving.pk:
        transmitted_to = request.executing_agency
    return {
        "receiving": receiving,
        "acknowledgement": acknowledgement,
        "forwarding": forwarding if transmitted_to else None,
        "transmitted_to": transmitted_to,
    }


def data_categories(request):
    """The data categories of a production order (Regulation (EU) 2023/1543 Art. 3(9)-(12))."""
    measures = set(request.measures or [])
    return {
        "subscriber": Measure.SUBSCRIBER in measures,
        "identification": bool(request.identification_only),
        "traffic": Measure.TRAFFIC in measures and not request.identification_only,
        "content": Measure.CONTENT in measures,
    }


def measures_needing_details(request):
    """Measures for which Annex A section H asks more (stored traffic or content data)."""
    measures = set(request.measures or [])
    return [Measure(m).label for m in (Measure.TRAFFIC, Measure.CONTENT) if m in measures]
