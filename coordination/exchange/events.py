"""Timeline events of the exchange (registered with ``incidents.events``)."""

from django.utils.translation import ngettext

from incidents.choices import TimelineKind
from incidents.events import register


def _imported_text(values):
    count, duplicates = values["count"], values["duplicates"]
    text = ngettext(
        "Imported %(count)s indicator from a STIX 2.1 bundle.",
        "Imported %(count)s indicators from a STIX 2.1 bundle.",
        count,
    ) % {"count": count}
    if duplicates:
        text += " " + ngettext(
            "%(count)s was already recorded.", "%(count)s were already recorded.", duplicates
        ) % {"count": duplicates}
    return text


INDICATORS_IMPORTED = register(
    "indicators.imported", TimelineKind.INDICATOR, compose=_imported_text
)
