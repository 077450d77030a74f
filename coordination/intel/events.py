"""Timeline events about indicators, written through the incidents app's one writer."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from coordination.intel.choices import IndicatorType
from incidents.choices import TLP, TimelineKind
from incidents.events import country, label_of, register, write_event

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


def _marking(indicator, by, readers):
    """The entry's TLP and named recipients: it is read by whoever reads the indicator.

    AMBER+STRICT entries stay in the author's agency, which is the indicator's owning
    agency (the author could read it); a TLP:RED entry names the indicator's readers.
    """
    if indicator.tlp != TLP.RED:
        return {"tlp": indicator.tlp}
    return {"tlp": TLP.RED, "audience": sorted(set(readers) - {by.pk})}


_TYPED_VALUE = {"type": label_of(IndicatorType), "value": code}


def _paste_text(values):
    added, merged, rows, more = values["added"], values["merged"], values["rows"], values["more"]
    body = ngettext(
        "%(added)d indicator added by bulk paste",
        "%(added)d indicators added by bulk paste",
        added,
    ) % {"added": added}
    if merged:
        body += ngettext(
            ", %(merged)d merged with an existing one",
            ", %(merged)d merged with existing ones",
            merged,
        ) % {"merged": merged}
    body += "."
    lines = [f"- {_label(type_)}: {code(value)}" for type_, value in rows]
    if more:
        lines.append("- " + _("and %(n)d more.") % {"n": more})
    if lines:
        body += "\n\n" + "\n".join(lines)
    return body


def _contact_text(values):
    return (
        ngettext(
            "Contact requested about %(type)s %(value)s with the lead agency of %(n)d other case.",
            "Contact requested about %(type)s %(value)s with the lead agencies of %(n)d other cases.",
            values["n"],
        )
        % values
    )


INDICATOR_ADDED = register(
    "indicator.added",
    TimelineKind.INDICATOR,
    gettext_lazy("Indicator added: %(type)s %(value)s."),
    params=_TYPED_VALUE,
)
INDICATOR_ALLOWED_IN_BLOCKLISTS = register(
    "indicator.allowed_in_blocklists",
    TimelineKind.INDICATOR,
    gettext_lazy(
        "Indicator allowed in blocklists although on MISP warning lists (%(lists)s): "
        "%(type)s %(value)s."
    ),
    params={**_TYPED_VALUE, "lists": "; ".join},
)
INDICATOR_MERGED = register(
    "indicator.merged",
    TimelineKind.INDICATOR,
    gettext_lazy("Indicator seen again and merged: %(type)s %(value)s."),
    params=_TYPED_VALUE,
)
INDICATORS_PASTED = register("indicators.pasted", TimelineKind.INDICATOR, compose=_paste_text)
CONTACT_REQUESTED_BY_OTHER = register(
    "indicator.contact_requested_by_other",
    TimelineKind.INDICATOR,
    gettext_lazy(
        "%(agency)s (%(country)s) holds the same indicator in one of its cases and asks to "
        "get in touch: %(type)s %(value)s. Requested by %(name)s. Invite the agency to share "
        "this case with it."
    ),
    params={**_TYPED_VALUE, "country": country},
)
CONTACT_REQUESTED = register(
    "indicator.contact_requested",
    TimelineKind.INDICATOR,
    compose=_contact_text,
    params=_TYPED_VALUE,
)


def _typed_value(indicator):
    return {"type": str(indicator.type), "value": indicator.value}


def indicator_added(incident, by, indicator, *, readers=()):
    return write_event(
        incident,
        by,
        INDICATOR_ADDED,
        _typed_value(indicator),
        subject=indicator,
        **_marking(indicator, by, readers),
    )


def indicator_allowed_in_blocklists(incident, by, indicator, lists, *, readers=()):
    return write_event(
        incident,
        by,
        INDICATOR_ALLOWED_IN_BLOCKLISTS,
        {**_typed_value(indicator), "lists": list(lists)},
        subject=indicator,
        **_marking(indicator, by, readers),
    )


def indicator_merged(incident, by, indicator, *, readers=()):
    return write_event(
        incident,
        by,
        INDICATOR_MERGED,
        _typed_value(indicator),
        subject=indicator,
        **_marking(indicator, by, readers),
    )


def indicators_pasted(incident, by, added, merged, *, readers):
    """The entries of a bulk paste: how many were added and merged, and which.

    One entry per group of indicators with the same readers (``readers``: indicator pk
    -> ids of the users who may read it, for TLP:RED ones), so that no entry lists a
    value to someone who may not read that indicator.
    """
    added_pks = {indicator.pk for indicator in added}
    groups = {}
    for indicator in [*added, *merged]:
        if indicator.tlp == TLP.RED:
            key = (TLP.RED, frozenset(readers.get(indicator.pk, ())) - {by.pk})
        elif indicator.tlp == TLP.AMBER_STRICT:
            key = (TLP.AMBER_STRICT, frozenset())
        else:
            key = ("open", frozenset())
        groups.setdefault(key, ([], []))[0 if indicator.pk in added_pks else 1].append(indicator)
    order = {"open": 0, TLP.AMBER_STRICT: 1, TLP.RED: 2}
    entries = []
    for (label, audience), (group_added, group_merged) in sorted(
        groups.items(), key=lambda item: (order[item[0][0]], sorted(item[0][1]))
    ):
        if label == "open":
            tlp = max(
                (i.tlp for i in group_added + group_merged), key=TLP.rank, default=incident.tlp
            )
            tlp = max(tlp, incident.tlp, key=TLP.rank)
        else:
            tlp = label
        entries.append(
            write_event(
                incident,
                by,
                INDICATORS_PASTED,
                _paste_params(group_added, group_merged),
                tlp=tlp,
                audience=sorted(audience),
            )
        )
    return entries


def _paste_params(added, merged):
    rows = added + merged
    return {
        "added": len(added),
        "merged": len(merged),
        "rows": [[str(i.type), i.value] for i in rows[:LISTED_VALUES]],
        "more": max(0, len(rows) - LISTED_VALUES),
    }


def contact_requested_by_other(incident, requester, agency, type_, value):
    """On the owning case: another agency holds the same observable and asks for contact.

    Written as a system entry: the requester is not a participant of this case.
    """
    params = {
        "agency": agency.name,
        "country": agency.country.code,
        "type": str(type_),
        "value": value,
        "name": requester.display_name,
    }
    return write_event(incident, None, CONTACT_REQUESTED_BY_OTHER, params)


def contact_requested(incident, by, indicator, owners):
    """On the asking case: that the request went out (to how many cases, nothing more)."""
    readers = indicator.readers() if indicator.tlp == TLP.RED else ()
    params = {**_typed_value(indicator), "n": owners}
    return write_event(incident, by, CONTACT_REQUESTED, params, **_marking(indicator, by, readers))
