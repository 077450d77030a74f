"""What every Concord PDF shares (ReportLab): fonts, paragraph styles, times in the reader's
zone, cells whose words never break in the middle, and pages that carry the document's
TLP marking in their header and footer with "Page X of N".

Used by the chain-of-custody report (``incidents.evidence.pdf``) and the case report
(``incidents.report_pdf``).
"""

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

# Fonts with the accents of every EU language: DejaVu when the system has it, else the
# Bitstream Vera that ReportLab ships (Western European only).
FONT_CANDIDATES = [
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ),
]
# Cell padding ReportLab's tables use unless told otherwise (points, each side).
CELL_PADDING = 6
# Smallest font a cell shrinks to so that its longest word fits its column.
MIN_FONT_SIZE = 5.5

# TLP 2.0 (FIRST): coloured text on black.
TLP_COLOURS = {
    "clear": "#FFFFFF",
    "green": "#33FF00",
    "amber": "#FFC000",
    "amber+strict": "#FFC000",
    "red": "#FF2B2B",
}


@cache
def fonts():
    """``(regular, bold, mono)`` font names, registered once per process."""
    from reportlab import rl_config  # noqa: F401 - loads the package's font path
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for regular, bold, mono in FONT_CANDIDATES:
        if Path(regular).exists() and Path(bold).exists() and Path(mono).exists():
            break
    else:
        import reportlab

        base = Path(reportlab.__file__).parent / "fonts"
        regular, bold, mono = base / "Vera.ttf", base / "VeraBd.ttf", base / "Vera.ttf"
    pdfmetrics.registerFont(TTFont("Concord", str(regular)))
    pdfmetrics.registerFont(TTFont("Concord-Bold", str(bold)))
    pdfmetrics.registerFont(TTFont("Concord-Mono", str(mono)))
    pdfmetrics.registerFontFamily("Concord", normal="Concord", bold="Concord-Bold")
    return "Concord", "Concord-Bold", "Concord-Mono"


@dataclass(frozen=True)
class Styles:
    body: object
    small: object
    code: object
    h1: object
    h2: object
    kicker: object
    muted: str = "#5b6675"
    rule: str = "#9aa4b2"
    shade: str = "#f4f6f9"
    alarm: str = "#fef3f2"


@cache
def styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    regular, bold, mono = fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5)
    return Styles(
        body=body,
        small=small,
        code=ParagraphStyle("code", parent=body, fontName=mono, fontSize=7, leading=9),
        h1=ParagraphStyle("h1", parent=body, fontName=bold, fontSize=15, leading=19),
        h2=ParagraphStyle("h2", parent=body, fontName=bold, fontSize=11, leading=14, spaceBefore=8),
        kicker=ParagraphStyle("kicker", parent=small, textColor=colors.HexColor("#5b6675")),
    )


def when(value):
    """A time in the active (the reader's) zone, with the zone's name."""
    if not value:
        return "—"
    local = timezone.localtime(value)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def markup(text):
    """Plain text as Paragraph markup: escaped, line breaks kept."""
    return escape(str(text)).replace("\n", "<br/>")


def para(text, style=None):
    from reportlab.platypus import Paragraph

    return Paragraph(markup(text), style or styles().body)


def fitted(text, width, style=None):
    """A paragraph for a column ``width`` points wide whose words are not split: the font
    shrinks (down to ``MIN_FONT_SIZE``) until the longest word fits beside the padding.

    Agency names hold long words (Landeskriminalamt, Informationstechnik) that a narrow
    column would otherwise cut in the middle.
    """
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph

    style = style or styles().body
    room = width - 2 * CELL_PADDING
    longest = max(stringWidth(w, style.fontName, style.fontSize) for w in str(text).split() or [""])
    size = style.fontSize
    if longest > room:
        # A word that does not fit even at the smallest size (a hash, a URL) is split
        # where it must; the rest of the cell keeps its size.
        needed = style.fontSize * room / longest
        size = max(int(needed * 4) / 4, MIN_FONT_SIZE) if needed >= MIN_FONT_SIZE else size
    if size != style.fontSize:
        ratio = style.leading / style.fontSize
        style = ParagraphStyle(
            f"{style.name}-{size}", parent=style, fontSize=size, leading=size * ratio
        )
    return Paragraph(markup(text), style)


def ruled_table(rows, widths):
    """A table of ``rows`` (the first one its header, repeated on each page) in the reports'
    look: thin rules, cells aligned at the top, a shaded header row."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    look = styles()
    return Table(
        rows,
        colWidths=widths,
        repeatRows=1,
        style=TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor(look.rule)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(look.shade)),
            ]
        ),
    )


def tlp_label(value):
    from incidents.choices import TLP

    return TLP(value).label


def _numbered_canvas(draw_page):
    """A canvas class that lays out every page first, then draws each page's header and
    footer knowing the page count (for "Page X of N")."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                draw_page(self, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _draw_marking(canvas, x, y, tlp, *, right=False):
    """The TLP label as FIRST draws it: coloured capitals on a black box."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    _regular, bold, _mono = fonts()
    text = tlp_label(tlp)
    size = 8
    width = canvas.stringWidth(text, bold, size) + 3 * mm
    left = x - width if right else x
    canvas.setFillColor(colors.black)
    canvas.rect(left, y - 1.2 * mm, width, 4.6 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.HexColor(TLP_COLOURS.get(str(tlp), "#FFFFFF")))
    canvas.setFont(bold, size)
    canvas.drawString(left + 1.5 * mm, y, text)
    return width


def build(story, *, title, header, footer, tlp):
    """The PDF bytes of ``story`` on A4: every page carries ``header`` (left) and the TLP
    marking (right) at the top, ``footer`` (left), the marking again and "Page X of N"
    at the bottom."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    regular, _bold, _mono = fonts()
    muted = colors.HexColor(styles().muted)

    def draw_page(canvas, number, total):
        canvas.saveState()
        top = A4[1] - 9 * mm
        canvas.setFont(regular, 7)
        canvas.setFillColor(muted)
        canvas.drawString(15 * mm, top, header)
        _draw_marking(canvas, A4[0] - 15 * mm, top, tlp, right=True)
        canvas.setFillColor(muted)
        canvas.setFont(regular, 7)
        canvas.drawString(15 * mm, 8 * mm, footer)
        marking = _draw_marking(canvas, A4[0] - 15 * mm, 8 * mm, tlp, right=True)
        canvas.setFillColor(muted)
        canvas.setFont(regular, 7)
        canvas.drawRightString(
            A4[0] - 15 * mm - marking - 3 * mm,
            8 * mm,
            _("Page %(page)s of %(pages)s") % {"page": number, "pages": total},
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Concord",
    )
    document.build(story, canvasmaker=_numbered_canvas(draw_page))
    return buffer.getvalue()
