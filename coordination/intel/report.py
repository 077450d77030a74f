"""The indicators section of the case report (``incidents.report``), read through
``Indicator.objects.restrict`` (the incident's rights, then each indicator's TLP)."""

from django.utils.translation import gettext as _

from incidents.choices import TLP
from incidents.report import Column, Section


def indicators_section(incident, user):
    from coordination.intel.models import Indicator

    indicators = (
        Indicator.objects.restrict(user).filter(incident=incident).order_by("type", "value", "pk")
    )
    return Section(
        key="indicators",
        title=_("Indicators"),
        columns=(
            Column("type", _("Type"), 2, text=lambda row: row["type_label"]),
            Column("value", _("Value"), 6),
            Column("tlp", _("TLP"), 2, text=lambda row: TLP(row["tlp"]).label),
            Column("seen", _("Seen"), 3, text=_seen),
        ),
        rows=[
            {
                "id": indicator.pk,
                "type": indicator.type,
                "type_label": str(indicator.get_type_display()),
                "value": indicator.value,
                "tlp": indicator.tlp,
                "first_seen": indicator.first_seen,
                "last_seen": indicator.last_seen,
                "confidence": indicator.confidence,
                "revoked": indicator.revoked,
                "note": indicator.note,
            }
            for indicator in indicators
        ],
        empty=_("No indicators you may read."),
    )


def _seen(row):
    from incidents.pdf import when

    if not (row["first_seen"] or row["last_seen"]):
        return "—"
    return f"{when(row['first_seen'])} –\n{when(row['last_seen'])}"
