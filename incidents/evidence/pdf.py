"""The chain-of-custody report as a PDF (ReportLab), for a court file.

Same content as the printable HTML report (templates/evidence/report.html): the item, the
agencies of the case, every custody step with both parties and its hash check, the
verification result and the final chain hash, then signature lines. Times are shown in
the active (the reader's) time zone with the zone's name; strings are translatable.
"""

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents.pdf import build, fitted, para, styles, when

# Column widths of the custody steps table (mm): #, step, from, to, details, hash check.
STEP_COLUMNS = (8, 27, 36, 36, 48, 25)


def _party(agency, person):
    parts = []
    if agency is not None:
        parts.append(f"{agency.name} ({agency.country.code})")
    if person:
        parts.append(person)
    return "\n".join(parts) or "—"


def _details(event):
    """The "where, why, how" of a step, each with its label."""
    purpose = _("Method") if event.action == "acquired" else _("Purpose")
    channel = _("Method") if event.action == "disposed" else _("Transport")
    return "\n".join(
        f"{label}: {value}"
        for label, value in (
            (_("Where"), event.location),
            (purpose, event.purpose),
            (channel, event.channel),
            (_("Seals"), event.seal_ids),
            (_("Condition"), event.notes),
        )
        if value
    )


def render_report(item, events, result, participations, user, this_node=""):
    """The PDF bytes of ``item``'s chain-of-custody report. ``this_node``: the node's name
    when it federates; each step then names the node that recorded it."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    from incidents.pdf import fonts

    _regular, _bold, mono = fonts()
    look = styles()
    body, small, code, h1, h2, kicker = (
        look.body,
        look.small,
        look.code,
        look.h1,
        look.h2,
        look.kicker,
    )

    def p(text, style=body):
        return para(text, style)

    incident = item.incident
    if not result.ok:
        verdict = _("Chain broken at step %(seq)s") % {"seq": result.broken.seq}
    elif item.is_compromised:
        verdict = _("Chain intact · item compromised")
    else:
        verdict = _("Chain verified")

    story = [
        p(f"Concord · {_('Chain-of-custody report')}", kicker),
        p(f"{item.reference} — {item.title}", h1),
        p(f"{_('Incident')} {incident.reference} {incident.title} · {incident.get_tlp_display()}"),
        Spacer(1, 2 * mm),
        p(verdict, ParagraphStyle("verdict", parent=h2, spaceBefore=0)),
        p(_("1. The item"), h2),
    ]
    facts = [
        (_("Reference"), item.reference, _("Kind"), item.get_kind_display()),
        (_("Title"), item.title, "", ""),
        ("SHA-256", Paragraph(item.sha256, code), "", ""),
        (
            _("Size"),
            filesizeformat(item.size) if item.size is not None else "—",
            _("File"),
            item.file_name or _("not stored in Concord"),
        ),
        (_("Acquired"), when(item.acquired_at), _("By"), item.acquired_by_name),
        (_("Place"), item.acquired_where, _("Method"), item.acquisition_method or "—"),
        (
            _("Status"),
            f"{item.get_status_display()} · {_('Compromised')}"
            if item.is_compromised
            else item.get_status_display(),
            _("Seal"),
            item.seal_number or "—",
        ),
        (
            _("Holder"),
            f"{item.holder_agency.name} ({item.holder_agency.short_name}, "
            f"{item.holder_agency.country.name})"
            + (f" · {item.holder_person}" if item.holder_person else ""),
            "",
            "",
        ),
    ]
    if item.description:
        facts.insert(2, (_("Description"), item.description, "", ""))
    rows, spans = [], []
    for index, (k1, v1, k2, v2) in enumerate(facts):
        cell = v1 if isinstance(v1, Paragraph) else p(v1)
        if k2:
            rows.append([p(k1, small), cell, p(k2, small), p(v2)])
            spans.append(("BACKGROUND", (2, index), (2, index), colors.HexColor("#f4f6f9")))
        else:
            rows.append([p(k1, small), cell, "", ""])
            spans.append(("SPAN", (1, index), (3, index)))
    grid = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa4b2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f4f6f9")),
    ]
    story.append(
        Table(
            rows,
            colWidths=[28 * mm, 72 * mm, 22 * mm, 58 * mm],
            style=TableStyle(grid + spans),
        )
    )

    story.append(p(_("2. Agencies of the case"), h2))
    for participation in participations:
        agency = participation.agency
        story.append(
            p(
                f"• {agency.name} ({agency.short_name}, {agency.country.name}) · "
                f"{participation.get_role_display()}"
            )
        )

    story.append(p(_("3. Custody steps"), h2))
    header = [
        p(t, small)
        for t in (
            "#",
            _("Step and time"),
            _("From"),
            _("To"),
            _("Where, why, how"),
            _("Hash check"),
        )
    ]
    rows = [header]
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa4b2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f4f6f9")),
    ]
    widths = [w * mm for w in STEP_COLUMNS]
    broken_seq = result.broken.seq if not result.ok else None
    for event in events:
        broken_here = broken_seq is not None and event.seq == broken_seq
        after_break = broken_seq is not None and event.seq > broken_seq
        if broken_here:
            check = _("chain broken at this step")
        elif after_break:
            check = _("after the break: not verifiable")
        elif event.hash_matches is True:
            check = _("matches")
        elif event.hash_matches is False:
            check = f"{_('differs')}\n{event.hash_observed}"
        else:
            check = _("not taken")
        rows.append(
            [
                p(event.seq),
                fitted(f"{event.get_action_display()}\n{when(event.occurred_at)}", widths[1]),
                fitted(_party(event.from_agency, event.from_person), widths[2]),
                fitted(_party(event.to_agency, event.to_person), widths[3]),
                fitted(_details(event) or "—", widths[4]),
                p(check, small) if "\n" in check else fitted(check, widths[5], small),
            ]
        )
        recorded = _("Recorded by %(name)s") % {"name": event.recorded_by_name}
        if event.recorded_by_agency_id:
            recorded += f" ({event.recorded_by_agency.short_name})"
        recorded += f", {when(event.recorded_at)}"
        if node := event.origin_node or this_node:
            recorded += " · " + _("on node %(node)s") % {"node": node}
        rows.append(
            [
                "",
                Paragraph(
                    f"{escape(recorded)} · "
                    f"{escape(_('entry hash'))} <font name='{mono}'>{event.entry_hash}</font>",
                    small,
                ),
                "",
                "",
                "",
                "",
            ]
        )
        last = len(rows) - 1
        style.append(("SPAN", (1, last), (5, last)))
        style.append(("TEXTCOLOR", (1, last), (5, last), colors.HexColor("#5b6675")))
        if event.hash_matches is False or broken_here or after_break:
            style.append(("BACKGROUND", (0, last - 1), (-1, last - 1), colors.HexColor(look.alarm)))
    story.append(
        Table(
            rows,
            colWidths=widths,
            repeatRows=1,
            style=TableStyle(style),
        )
    )

    story.append(p(_("4. Verification"), h2))
    if result.ok:
        story.append(
            p(
                ngettext(
                    "The chain of %(counter)s step was recomputed from the stored record: every "
                    "entry hash matches and it starts from the item's SHA-256.",
                    "The chain of %(counter)s steps was recomputed from the stored record: every "
                    "entry hash matches, each step links to the one before, and the first starts "
                    "from the item's SHA-256.",
                    result.length,
                )
                % {"counter": result.length}
            )
        )
        if result.compromised:
            story.append(
                p(
                    _(
                        "At step %(steps)s the hash observed differed from the item's SHA-256: "
                        "the item is compromised."
                    )
                    % {"steps": ", ".join(map(str, result.compromised))}
                )
            )
    else:
        story.append(p(f"{_('The chain is broken.')} {result.broken.describe()}"))
    if result.ok:
        story.append(p(_("Final chain hash") + ":"))
    else:
        story.append(
            p(
                ngettext(
                    "Final chain hash of the whole chain (%(counter)s step, broken at step "
                    "%(seq)s):",
                    "Final chain hash of the whole chain (%(counter)s steps, broken at step "
                    "%(seq)s):",
                    result.length,
                )
                % {"counter": result.length, "seq": result.broken.seq}
            )
        )
    story.append(Paragraph(result.final_hash or "—", code))
    produced = _("report produced by %(name)s") % {"name": user.display_name}
    if user.agency_id:
        produced += f" ({user.agency.name})"
    story.append(Spacer(1, 2 * mm))
    story.append(p(f"{_('Verified')} {when(result.checked_at)} · {produced}", small))

    story.append(Spacer(1, 14 * mm))
    signatures = Table(
        [[p(_("Name, function"), small), p(_("Place, date"), small), p(_("Signature"), small)]],
        colWidths=[58 * mm, 58 * mm, 58 * mm],
        style=TableStyle(
            [
                ("LINEABOVE", (0, 0), (0, 0), 0.6, colors.black),
                ("LINEABOVE", (1, 0), (1, 0), 0.6, colors.black),
                ("LINEABOVE", (2, 0), (2, 0), 0.6, colors.black),
            ]
        ),
        hAlign="LEFT",
    )
    story.append(signatures)

    return build(
        story,
        title=f"{item.reference} {_('Chain-of-custody report')}",
        header=f"Concord · {_('Chain-of-custody report')} · {item.reference}",
        footer=f"{item.reference} · {incident.reference} · {when(result.checked_at)}",
        tlp=incident.tlp,
    )
