"""Timeline entries about indicators, written through the incidents app's one writer."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coordination.intel.choices import IndicatorType
from incidents.choices import TLP, TimelineKind
from incidents.events import write_entry

# Values listed in one bulk entry; the rest are counted.
LISTED_VALUES = 30


def code(value):
    """``value`` as a Markdown code span, whatever backticks it contains."""
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _label(type_):
    return IndicatorType(type_).label


def indicator_added(incident, by, indicator):
    body = _("Indicator added: %(type)s %(value)s.") % {
        "type": _label(indicator.type),
        "value": code(indicator.value),
    }
    return write_entry(
        incident, by, TimelineKind.INDICATOR, body, tlp=indicator.tlp, subject=indicator
    )


def indicator_merged(incident, by, indicator):
    body = _("Indicator seen again and merged: %(type)s %(value)s.") % {
        "type": _label(indicator.type),
        "value": code(indicator.value),
    }
    return write_entry(
        incident, by, TimelineKind.INDICATOR, body, tlp=indicator.tlp, subject=indicator
    )


def indicators_pasted(incident, by, added, merged):
    """One entry for a bulk paste: how many were added and merged, and which."""
    body = ngettext(
        "%(added)d indicator added by bulk paste",
        "%(added)d indicators added by bulk paste",
        len(added),
    ) % {"added": len(added)}
    if merged:
        body += ngettext(
            ", %(merged)d merged with an existing one",
            ", %(merged)d merged with existing ones",
            len(merged),
        ) % {"merged": len(merged)}
    body += "."
    rows = added + merged
    lines = [f"- {_label(i.type)}: {code(i.value)}" for i in rows[:LISTED_VALUES]]
    if len(rows) > LISTED_VALUES:
        lines.append("- " + _("and %(n)d more.") % {"n": len(rows) - LISTED_VALUES})
    if lines:
        body += "\n\n" + "\n".join(lines)
    tlp = max((i.tlp for i in rows), key=TLP.rank, default=incident.tlp)
    return write_entry(
        incident, by, TimelineKind.INDICATOR, body, tlp=max(tlp, incident.tlp, key=TLP.rank)
    )


def contact_requested_by_other(incident, requester, agency, type_, value):
    """On the owning case: another agency holds the same observable and asks for contact.

    Written as a system entry: the requester is not a participant of this case.
    """
    body = _(
        "%(agency)s (%(country)s) holds the same indicator in one of its cases and asks to "
        "get in touch: %(type)s %(value)s. Requested by %(name)s. Invite the agency to share "
        "this case with it."
    ) % {
        "agency": agency.name,
        "country": agency.country.name,
        "type": _label(type_),
        "value": code(value),
        "name": requester.display_name,
    }
    return write_entry(incident, None, TimelineKind.INDICATOR, body)


def contact_requested(incident, by, indicator, owners):
    """On the asking case: that the request went out (to how many cases, nothing more)."""
    body = ngettext(
        "Contact requested about %(type)s %(value)s with the lead agency of %(n)d other case.",
        "Contact requested about %(type)s %(value)s with the lead agencies of %(n)d other cases.",
        owners,
    ) % {"type": _label(indicator.type), "value": code(indicator.value), "n": owners}
    return write_entry(incident, by, TimelineKind.INDICATOR, body, tlp=indicator.tlp)
