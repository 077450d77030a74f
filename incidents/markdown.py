"""Markdown to safe HTML: rendered once when an entry is written, then stored.

cmark-gfm (GitHub's CommonMark in C) renders in time linear in the input, whatever it
holds; nh3 then keeps only the allowed tags and attributes. What a text may be is
bounded as well, so that its stored HTML stays small enough to draw on every page that
lists it: at most ``MARKDOWN_MAX_CHARS`` characters, lists and quotes nested at most
``MARKDOWN_MAX_DEPTH`` deep, tables of at most ``MAX_TABLE_CELLS`` cells (short rows are
padded to the header's width, so a wide header alone multiplies the HTML), and at most
``HTML_PER_CHARACTER`` characters of HTML per character written.

``check_markdown`` names what a text breaks (the actions refuse it with those messages);
``render_markdown`` draws a text that breaks them, if one ever reaches it, as escaped
plain text instead: never slow, never large.
"""

import html as html_lib
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from django.conf import settings
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}

# autolink: bare http(s) addresses, www. names and email addresses become links.
EXTENSIONS = ["table", "autolink", "strikethrough"]
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
# Raw HTML is passed on to nh3, which removes what is not allowed (as it always has).
OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_VALIDATE_UTF8

MAX_TABLE_CELLS = 2_000
HTML_PER_CHARACTER = 10
# What lists of entries (the dashboard's latest activity) show of each: its first words.
EXCERPT_CHARS = 280
# Markup enough to hold that much text; the rest of a long entry's HTML is not read.
EXCERPT_SOURCE_CHARS = 20 * EXCERPT_CHARS
# Entries written by Concord quote checked text (a reason, a comment) in a sentence or two.
QUOTED_ALLOWANCE = 2_000

_HREF = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"", re.IGNORECASE)
_DEAD_LINK = re.compile(rf'<a rel="{LINK_REL}">(.*?)</a>', re.DOTALL)
_NESTING_TAG = re.compile(r"<(/?)(?:blockquote|ul|ol)[\s>]", re.IGNORECASE)
_CONTAINER_PREFIX = re.compile(r"^(?:\s*(?:>|[-+*]\s|\d{1,9}[.)]\s))*\s*")
# A character class, not a nested repetition: no backtracking on long lines of dashes.
_DELIMITER_ROW = re.compile(r"[|:\-\s]+")


def check_markdown(text, *, max_chars=None):
    """The messages saying which limit ``text`` breaks; empty when it may be stored."""
    return _checked(text or "", max_chars or settings.MARKDOWN_MAX_CHARS)[1]


def removed_links(text):
    """The link targets ``render_markdown`` drops from ``text`` (``javascript:``, ``ftp:``…),
    so that the author can be told; a link's text stays, as plain text."""
    html, problems = _checked(text or "", settings.MARKDOWN_MAX_CHARS + QUOTED_ALLOWANCE)
    if problems:
        return []
    targets = (html_lib.unescape(href).strip() for href in _HREF.findall(html))
    return [href for href in targets if _scheme(href) not in ({""} | URL_SCHEMES)]


def _scheme(href):
    scheme, colon, _rest = href.partition(":")
    if not colon or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", scheme):
        return ""  # relative: no scheme
    return scheme.lower()


def render_markdown(text):
    """Render ``text`` as Markdown and strip everything not on the allow-list.

    Raw HTML in the input is cleaned by nh3: no script, no event handler, no
    ``javascript:`` link can be stored.
    """
    text = text or ""
    html, problems = _checked(text, settings.MARKDOWN_MAX_CHARS + QUOTED_ALLOWANCE)
    if problems:
        return _plain(text[: settings.MARKDOWN_MAX_CHARS + QUOTED_ALLOWANCE])
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    ).strip()
    # A link whose target was removed would be a dead link: keep its text only.
    return _DEAD_LINK.sub(r"\1", cleaned)


def excerpt(html):
    """The first words of an entry's sanitised HTML, as plain text (escape it to show it)."""
    head = html[:EXCERPT_SOURCE_CHARS]
    if len(html) > EXCERPT_SOURCE_CHARS and head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]  # a tag cut in two
    text = " ".join(html_lib.unescape(strip_tags(head)).split())
    if len(text) <= EXCERPT_CHARS:
        return text
    return text[: EXCERPT_CHARS - 1].rstrip() + "…"


def _checked(text, max_chars):
    """``(html, problems)``: cmark's HTML of ``text`` (before cleaning) and what it breaks.

    Each check is linear; the text is rendered only when it is not too long and has no
    table too large, the only shapes whose HTML could grow faster than the text.
    """
    if len(text) > max_chars:
        return "", [
            ngettext(
                "Ensure this text has at most %(limit)d character (it has %(count)d).",
                "Ensure this text has at most %(limit)d characters (it has %(count)d).",
                max_chars,
            )
            % {"limit": max_chars, "count": len(text)}
        ]
    cells = _table_cells(text)
    if cells > MAX_TABLE_CELLS:
        return "", [
            _(
                "Tables here would have %(count)d cells (columns × rows); at most "
                "%(limit)d are allowed. Split the table, or attach the data as a file."
            )
            % {"count": cells, "limit": MAX_TABLE_CELLS}
        ]
    html = cmarkgfm.markdown_to_html_with_extensions(text, options=OPTIONS, extensions=EXTENSIONS)
    problems = []
    depth, max_depth = _nesting(html), settings.MARKDOWN_MAX_DEPTH
    if depth > max_depth:
        problems.append(
            _(
                "Lists and quotes are nested %(depth)d levels deep here; at most %(limit)d "
                "levels are allowed."
            )
            % {"depth": depth, "limit": max_depth}
        )
    if len(html) > HTML_PER_CHARACTER * max(len(text), 100):
        problems.append(
            _("This text would make a page far larger than itself; simplify its formatting.")
        )
    return html, problems


def _nesting(html):
    """How deep lists and quotes go in cmark's output (raw HTML tags included)."""
    depth = deepest = 0
    for match in _NESTING_TAG.finditer(html):
        if match.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _table_cells(text):
    """An upper bound of the cells of the text's tables: for each line shaped like a
    table's delimiter row, its columns times the lines from it up to a blank one."""
    lines = text.splitlines()
    run = [0] * (len(lines) + 1)  # run[i]: non-blank lines from line i on, in one pass
    for index in range(len(lines) - 1, -1, -1):
        run[index] = run[index + 1] + 1 if lines[index].strip() else 0
    cells = 0
    for index, line in enumerate(lines):
        if "-" not in line or "|" not in line:
            continue
        row = _CONTAINER_PREFIX.sub("", line, count=1).strip()
        if not _DELIMITER_ROW.fullmatch(row):
            continue
        columns = sum(1 for cell in row.strip("|").split("|") if "-" in cell)
        cells += columns * run[index]
        if cells > MAX_TABLE_CELLS:
            break
    return cells


def _plain(text):
    paragraphs = (p for p in re.split(r"\n\s*\n", text) if p.strip())
    return "\n".join(f"<p>{escape(p.strip())}</p>" for p in paragraphs)
