"""The after-action report as a PDF, drawn with the case report's machinery
(``incidents.pdf``): same fonts, styles, page header and footer with "Page X of N"."""

from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.exercises.report import duration_label, outcome_chart
from incidents.pdf import build, fitted, para, ruled_table, styles, when

PAGE_WIDTH_MM = 180
OUTCOME_COLOURS = {"met": "#2e7d32", "late": "#c77700", "not_done": "#b3261e"}


def _table(header, rows, shares):
    from reportlab.lib.units import mm

    look = styles()
    widths = [PAGE_WIDTH_MM * mm * share / sum(shares) for share in shares]
    data = [[fitted(text, width, look.small) for text, width in zip(header, widths, strict=True)]]
    data += [[fitted(text, width) for text, width in zip(row, widths, strict=True)] for row in rows]
    return ruled_table(data, widths)


def _outcome_drawing(report):
    """The page's first chart (responses on time, late, never done per agency)."""
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors

    from incidents.pdf import fonts

    chart = outcome_chart(report)
    scale = 0.78
    drawing = Drawing(chart["width"] * scale, chart["height"] * scale + 4)
    top = chart["height"]
    regular = fonts()[0]
    for row in chart["rows"]:
        y = (top - row["y"] - 18) * scale
        drawing.add(String(0, y + 4, row["label"], fontName=regular, fontSize=8))
        for part in row["parts"]:
            drawing.add(
                Rect(
                    part["x"] * scale,
                    y,
                    part["width"] * scale,
                    18 * scale,
                    fillColor=colors.HexColor(OUTCOME_COLOURS[part["outcome"]]),
                    strokeColor=None,
                )
            )
        drawing.add(
            String(row["end_x"] * scale, y + 4, str(row["total"]), fontName=regular, fontSize=8)
        )
    return drawing


def render(report):
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    look = styles()
    exercise = report.exercise
    now = timezone.now()
    story = [
        para(f"Concord · {_('After-action report')}", look.kicker),
        para(exercise.title, look.h1),
        para(_("EXERCISE — not a real case."), look.h2),
        para(
            _("Started %(start)s · ended %(end)s")
            % {"start": when(exercise.started_at), "end": when(exercise.ended_at)},
            look.small,
        ),
        Spacer(1, 3 * mm),
        para(_("Participants"), look.h2),
        _table(
            [_("Role"), _("Agency")],
            [
                [role["label"], f"{agency.short_name} ({agency.country.code})" if agency else "—"]
                for role, agency in report.roles
            ],
            [3, 2],
        ),
        para(_("Responses per participant"), look.h2),
    ]
    if report.summaries:
        story += [
            _outcome_drawing(report),
            para(
                _("Green: on time · amber: late · red: never done or inject not released."),
                look.small,
            ),
        ]
    story += [
        para(_("Measured times"), look.h2),
        _table(
            [_("Inject"), _("Agency"), _("Measure"), _("Target"), _("Taken"), _("Outcome")],
            [
                [
                    row.inject.title,
                    row.agency_name,
                    row.measure_label,
                    duration_label(row.target),
                    duration_label(row.taken),
                    row.outcome_label,
                ]
                for row in report.measurements
            ],
            [5, 2, 3, 2, 2, 2],
        )
        if report.measurements
        else para(_("No inject asked for a response."), look.small),
        para(_("Never done"), look.h2),
    ]
    if report.never_done:
        story.append(
            _table(
                [_("Inject"), _("Agency"), _("Measure"), _("Why")],
                [
                    [row.inject.title, row.agency_name, row.measure_label, row.outcome_label]
                    for row in report.never_done
                ],
                [5, 2, 3, 3],
            )
        )
    else:
        story.append(para(_("Every expected response was given."), look.small))
    story.append(para(_("Timeline of the exercise"), look.h2))
    story.append(
        _table(
            [_("When"), _("What"), _("Who")],
            [[when(item.at), item.text, item.who or "—"] for item in report.timeline],
            [2, 6, 3],
        )
        if report.timeline
        else para(_("Nothing happened yet."), look.small)
    )
    story.append(para(_("Lessons learned"), look.h2))
    if report.lessons:
        story.append(
            _table(
                [_("From"), _("Lesson")],
                [
                    [f"{lesson.author_name} ({lesson.agency_name})", lesson.body]
                    for lesson in report.lessons
                ],
                [2, 6],
            )
        )
    else:
        story.append(para(_("No lesson added yet."), look.small))
    return build(
        story,
        title=f"{exercise.title} — {_('After-action report')}",
        header=f"Concord · [EXERCISE] {_('After-action report')} · {exercise.title}",
        footer=f"[EXERCISE] · {when(now)}",
        tlp="amber",
    )
