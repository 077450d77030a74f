"""The case report (``incidents.report.CaseReport``) as a PDF: the incident's facts and
summary, then one table per section. Every page carries the report's highest TLP at its
top and bottom and "Page X of N" (``incidents.pdf.build``)."""

import datetime

from django.utils.translation import gettext as _

from incidents.choices import Category, Severity, Status
from incidents.pdf import build, fitted, para, ruled_table, styles, tlp_label, when
from incidents.report import agency_text

# Printable width of an A4 page between the 15 mm margins (mm).
PAGE_WIDTH_MM = 180


def cell_text(value):
    """A row value as text, for columns that show it as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime):
        return when(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return "\n".join(cell_text(v) for v in value) or "—"
    return str(value)


def _facts(report):
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Table, TableStyle

    look = styles()
    incident = report.incident
    label_width, value_width = 32 * mm, 58 * mm
    pairs = [
        (_("Status"), Status(incident["status"]).label),
        (_("Severity"), Severity(incident["severity"]).label),
        (_("Category"), Category(incident["category"]).label),
        (_("Incident TLP"), tlp_label(incident["tlp"])),
        (_("Lead agency"), agency_text(incident["lead_agency"])),
        (_("Affected countries"), ", ".join(incident["affected_countries"]) or "—"),
        (_("Detected"), when(incident["detected_at"])),
        (_("Filed"), when(incident["created_at"])),
    ]
    rows = []
    for index in range(0, len(pairs), 2):
        row = []
        for label, value in pairs[index : index + 2]:
            row += [para(label, look.small), fitted(value, value_width)]
        rows.append(row)
    return Table(
        rows,
        colWidths=[label_width, value_width, label_width, value_width],
        style=TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor(look.rule)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor(look.shade)),
                ("BACKGROUND", (2, 0), (2, -1), colors.HexColor(look.shade)),
            ]
        ),
    )


def _section_table(section):
    from reportlab.lib.units import mm

    look = styles()
    shares = sum(column.width for column in section.columns)
    widths = [PAGE_WIDTH_MM * mm * column.width / shares for column in section.columns]
    rows = [
        [
            fitted(column.label, width, look.small)
            for column, width in zip(section.columns, widths, strict=True)
        ]
    ]
    for row in section.rows:
        rows.append(
            [
                fitted(
                    column.text(row) if column.text else cell_text(row.get(column.key)),
                    width,
                )
                for column, width in zip(section.columns, widths, strict=True)
            ]
        )
    return ruled_table(rows, widths)


def render(report):
    """The PDF bytes of ``report``."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    look = styles()
    incident = report.incident
    produced = _("Produced %(when)s by %(name)s") % {
        "when": when(report.generated_at),
        "name": report.generated_by["name"],
    }
    if report.generated_by["agency"]:
        produced += f" ({report.generated_by['agency']['name']})"
    story = [
        para(f"Concord · {_('Case report')}", look.kicker),
        para(f"{incident['reference']} — {incident['title']}", look.h1),
        para(
            _(
                "Marked %(tlp)s: the highest marking of what this report holds. It shows what "
                "its reader may see in Concord, no more."
            )
            % {"tlp": report.tlp_label},
            look.small,
        ),
        para(produced, look.small),
    ]
    if incident["is_exercise"]:
        story.append(para(_("EXERCISE — not a real case."), look.h2))
    story += [Spacer(1, 3 * mm), _facts(report)]
    if incident["summary"]:
        story += [para(_("Summary"), look.h2), para(incident["summary"])]
    for number, section in enumerate(report.sections, start=1):
        story.append(para(f"{number}. {section.title}", look.h2))
        if section.rows:
            story.append(_section_table(section))
        else:
            story.append(para(section.empty or _("Nothing to show."), look.small))
    return build(
        story,
        title=f"{incident['reference']} {_('Case report')}",
        header=f"Concord · {_('Case report')} · {incident['reference']}",
        footer=f"{incident['reference']} · {when(report.generated_at)}",
        tlp=report.tlp,
    )
