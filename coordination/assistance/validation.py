"""What a request must say before it may leave the drafter, per legal basis.

Modelled on the UNODC Mutual Legal Assistance Request Writer Tool: each legal basis has
its essential elements, and the check says which one is missing and why it is needed.
Returns ``{field: message}`` so a form shows each message beside its field.
"""

import re

from django.utils.translation import gettext as _

from coordination.assistance import provider_orders
from coordination.assistance.choices import (
    DATA_MEASURES,
    PRESERVATION_BASES,
    PROVIDER_BASES,
    DataKind,
    LegalBasis,
    Measure,
    Urgency,
)
from incidents.choices import TLP

MLA_BASES = (LegalBasis.BUDAPEST_MLA, LegalBasis.EIO, LegalBasis.BILATERAL)
# A passage of the incident this long, found in the request's texts, is a quotation.
QUOTED_PASSAGE = 24
QUOTING_FIELDS = (
    "facts",
    "offences",
    "dual_criminality",
    "urgency_reason",
    "confidentiality_reason",
    "issuer_deadline_reason",
    "provisional_measures_detail",
)
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")


def _plain(text):
    return " ".join((text or "").lower().split())


def quotes_incident(request):
    """Whether the request's texts quote its incident (title, or a sentence of the summary).

    The drafting form starts from the incident's summary; a drafter who rewrites the facts
    for the requested side may mark the request lower than the incident.
    """
    incident = request.incident
    if incident is None:
        return False
    passages = [_plain(incident.title), _plain(incident.summary)]
    passages += [_plain(part) for part in SENTENCE_END.split(incident.summary or "")]
    passages = [p for p in passages if len(p) >= QUOTED_PASSAGE]
    if not passages:
        return False
    text = _plain(" ".join(getattr(request, name) or "" for name in QUOTING_FIELDS))
    return any(passage in text for passage in passages)


def tlp_floor(request):
    """The lowest TLP the request may carry: its incident's when it quotes it, else none."""
    if request.incident_id and quotes_incident(request):
        return request.incident.tlp
    return None


def tlp_error(request):
    """The message when the request is marked lower than what it quotes, else None."""
    floor = tlp_floor(request)
    if floor is None or TLP.rank(request.tlp) >= TLP.rank(floor):
        return None
    return _(
        "The request quotes incident %(reference)s, marked %(incident_tlp)s: mark the request "
        "%(incident_tlp)s or higher, or rewrite its texts without quoting the incident."
    ) % {"reference": request.incident.reference, "incident_tlp": TLP(floor).label}


def clean_measures(values):
    """A de-duplicated list of known measures, in the order of ``Measure``; raises on unknown."""
    values = list(values or [])
    unknown = [v for v in values if v not in Measure.values]
    if unknown:
        raise ValueError(", ".join(map(str, unknown)))
    return [m for m in Measure.values if m in values]


def missing_essentials(request, data_sought=None):
    """``{field: why}`` for every essential element ``request`` still lacks."""
    if data_sought is None:
        data_sought = list(request.data_sought.all()) if request.pk else []
    basis = request.legal_basis
    measures = set(request.measures or ())
    missing = {}

    if not basis:
        missing["legal_basis"] = _("Choose the legal basis: it sets the deadlines and the form.")
    if not request.requested_country:
        missing["requested_country"] = _("Say which country is asked for assistance.")
    if basis in PROVIDER_BASES:
        missing |= provider_orders.missing_essentials(request)
    elif not request.receiving_agency_id:
        missing["receiving_agency"] = _(
            "Choose the authority that receives the request in the requested country."
        )
    elif request.requested_country and request.receiving_agency.country.code != str(
        request.requested_country
    ):
        missing["receiving_agency"] = _("This authority is not in the requested country.")
    if not measures:
        missing["measures"] = _("Say which measures you ask for.")
    if not (request.facts or "").strip():
        missing["facts"] = _(
            "Summarise the facts: the requested authority decides on them (who, what, when)."
        )
    if basis != LegalBasis.POLICE and not (request.offences or "").strip():
        missing["offences"] = _(
            "Name the offences and the applicable law: every formal request must state them."
        )
    if basis in MLA_BASES and not (request.dual_criminality or "").strip():
        missing["dual_criminality"] = _(
            "Explain why the conduct is an offence in the requested country too: "
            "without dual criminality coercive measures may be refused."
        )
    if basis in PRESERVATION_BASES and Measure.PRESERVATION not in measures:
        missing["measures"] = _("A preservation request must ask for preservation.")
    if basis == LegalBasis.EPOC and not measures & {
        Measure.SUBSCRIBER,
        Measure.TRAFFIC,
        Measure.CONTENT,
    }:
        missing["measures"] = _("A production order asks for subscriber, traffic or content data.")
    needs_data = bool(measures & set(DATA_MEASURES)) or basis in (
        *PRESERVATION_BASES,
        LegalBasis.EPOC,
    )
    data_problems = []
    if needs_data and not data_sought:
        data_problems.append(
            _(
                "List the data sought (account, IP address and time, domain, email, phone): "
                "a provider can only search for identifiers."
            )
        )
    if basis in (*PRESERVATION_BASES, LegalBasis.EPOC) and any(
        not (item.provider or "").strip() for item in data_sought
    ):
        data_problems.append(
            _(
                "Name the provider holding each item: this order is addressed to the provider "
                "(CETS 185 Art. 29(2)(d), Regulation (EU) 2023/1543 Art. 9 and 10)."
            )
        )
    if any(item.kind == DataKind.IP_TIME and not item.observed_at for item in data_sought):
        data_problems.append(
            _(
                "Give the date and time (UTC) of each IP address: without it no subscriber "
                "can be identified."
            )
        )
    if data_problems:
        missing["data_sought"] = " ".join(str(p) for p in data_problems)
    if request.urgency == Urgency.EMERGENCY and not (request.urgency_reason or "").strip():
        missing["urgency_reason"] = _(
            "An emergency needs the imminent threat to life or physical integrity described."
        )
    if request.urgency == Urgency.URGENT and not (request.urgency_reason or "").strip():
        missing["urgency_reason"] = _("Say why the request is urgent (e.g. data may be lost).")
    if request.confidentiality_requested and not (request.confidentiality_reason or "").strip():
        missing["confidentiality_reason"] = _(
            "Say why confidentiality is needed so the requested side can honour it."
        )
    if request.issuer_deadline and not (request.issuer_deadline_reason or "").strip():
        missing["issuer_deadline_reason"] = _(
            "Give the reasons for the earlier date (Directive 2014/41/EU Art. 12(2))."
        )
    if request.provisional_measures and not (request.provisional_measures_detail or "").strip():
        missing["provisional_measures_detail"] = _(
            "Say which provisional measures are needed: what must be prevented meanwhile "
            "(Directive 2014/41/EU Art. 32(1))."
        )
    # Checked again here: the incident's marking may have been raised since the last edit.
    marking = tlp_error(request)
    if marking:
        missing["tlp"] = marking
    return missing
