"""Issue #13, finding 2: a Markdown text cannot cost seconds to render or megabytes to show.

The attack: a 2 MB timeline entry of nested lists and quotes took 25-41 s of CPU to
render, made 28 MB of HTML, and that HTML was drawn on every dashboard of the agency.
Now texts are limited in size (``MARKDOWN_MAX_CHARS``) and nesting
(``MARKDOWN_MAX_DEPTH``), refused with a field message, rendered in time linear in their
size by cmark-gfm, and their HTML is kept with the entry when it is written.
"""

import time

import pytest

from coordination.assistance.choices import LegalBasis
from incidents import actions, markdown
from incidents.choices import Status
from incidents.markdown import check_markdown, render_markdown
from incidents.models import TimelineEntry
from tests.assistance.conftest import (  # noqa: F401
    de_liaison,
    make_request,
    nl_agency,
    nl_liaison,
    sent_request,
)

pytestmark = pytest.mark.django_db


def nested(depth, line='item "quoted" *x*'):
    """A paragraph inside lists and quotes nested ``depth`` levels deep, in turn."""
    return "".join("- " if level % 2 == 0 else "> " for level in range(depth)) + line + "\n\n"


def attack(size=2_000_000):
    """The finding's entry: indented lists with quotes in them, 31 levels deep, repeated."""
    lines = "\n".join("    " * i + "- " + "> " * (i % 2) + 'item "quoted" *x*' for i in range(30))
    block = lines + "\n\n"
    return (block * (size // len(block) + 1))[:size]


def timeline(incident):
    return f"/api/v1/incidents/{incident.reference}/timeline/"


def entries(incident):
    return TimelineEntry.objects.filter(incident=incident, kind="note")


# The attack, replayed ------------------------------------------------------------------


def test_api_refuses_the_2_mb_nested_entry_at_once(api_login, lead_user, incident):
    started = time.perf_counter()
    response = api_login(lead_user).post(timeline(incident), {"body": attack()}, format="json")
    assert time.perf_counter() - started < 5  # it took 25-41 s of CPU to render
    assert response.status_code == 400
    assert "at most 20000 characters" in response.json()["body"][0]
    assert not entries(incident).exists()


def test_page_refuses_it_beside_the_field(login, lead_user, incident):
    response = login(lead_user).post(
        f"/incidents/{incident.reference}/timeline/add/", {"body": attack(), "tlp": "amber"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_body_error"' in html and "at most 20000 characters" in html
    assert not entries(incident).exists()


def test_deep_nesting_within_the_size_limit_is_refused(api_login, lead_user, incident):
    body = attack(19_000)  # 30 levels deep
    response = api_login(lead_user).post(timeline(incident), {"body": body}, format="json")
    assert response.status_code == 400
    assert "nested 31 levels deep" in response.json()["body"][0]
    assert not entries(incident).exists()


def test_eight_levels_and_twenty_thousand_characters_are_accepted(api_login, lead_user, incident):
    block = nested(8)
    body = block * (20_000 // len(block))
    body += "x" * (20_000 - len(body))
    response = api_login(lead_user).post(timeline(incident), {"body": body}, format="json")
    assert response.status_code == 201, response.json()
    assert "<blockquote>" in response.json()["body_html"]
    response = api_login(lead_user).post(timeline(incident), {"body": nested(9)}, format="json")
    assert response.status_code == 400


def test_limits_are_settings(settings, api_login, lead_user, incident):
    settings.MARKDOWN_MAX_CHARS, settings.MARKDOWN_MAX_DEPTH = 100, 2
    client = api_login(lead_user)
    assert client.post(timeline(incident), {"body": "x" * 101}, format="json").status_code == 400
    assert client.post(timeline(incident), {"body": nested(3)}, format="json").status_code == 400
    assert client.post(timeline(incident), {"body": nested(2)}, format="json").status_code == 201


# Every text quoted in the timeline as Markdown ----------------------------------------


def test_reason_for_reopening_is_limited_too(api_login, lead_user, incident):
    client = api_login(lead_user)
    for status in (Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED):
        actions.change_status(incident, lead_user, status)
    response = client.post(
        f"/api/v1/incidents/{incident.reference}/status/",
        {"status": Status.INVESTIGATING, "reason": "> " * 900 + "x"},
        format="json",
    )
    assert response.status_code == 400 and "nested" in response.json()["reason"][0]


def test_reason_for_removing_an_agency_is_limited_too(lead_user, incident, invited_agency):
    from django.core.exceptions import ValidationError

    participation = incident.participations.get(agency=invited_agency)
    with pytest.raises(ValidationError) as refused:
        actions.remove_participation(participation, lead_user, reason="- " * 500 + "x")
    assert "nested" in refused.value.message_dict["reason"][0]
    assert incident.participations.filter(agency=invited_agency).exists()


def test_request_comment_quoted_in_the_timeline_is_limited_too(
    api_login,
    incident,
    sent_request,  # noqa: F811
    nl_liaison,  # noqa: F811
):
    req = sent_request(LegalBasis.EIO, incident=incident)
    response = api_login(nl_liaison).post(
        f"/api/v1/requests/{req.reference}/acknowledge/",
        {"comment": "> " * 900 + "x"},
        format="json",
    )
    assert response.status_code == 400 and "nested" in response.json()["comment"][0]


# The renderer's worst case -------------------------------------------------------------

# Shapes that are slow or large in some Markdown renderers, at the size a text may have.
# Python-Markdown took 71 s for the first one.
PATHOLOGICAL = {
    "open brackets": "[" * 20_000,
    "unclosed links": "[a](" * 5_000,
    "autolinks": "<http://a" * 2_222,
    "emphasis": "*_" * 10_000,
    "rules": "---\n" * 5_000,
    "headings": "#\n" * 10_000,
    "setext": "a\n=\n" * 5_000,
    "wide table, short rows": "|a" * 300 + "|\n" + "|-" * 300 + "|\n" + "x\n" * 9_000,
    "delimiter rows": "|-\n" * 6_666,
    "deep quotes": "> " * 10_000,
    "deep ordered lists": "1. " * 6_666,
    "deep raw html": "<blockquote>" * 1_666,
    "entities": "&" * 20_000,
    "eight levels everywhere": nested(8) * 20,
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_worst_shapes_are_refused_or_stay_small(name):
    text = PATHOLOGICAL[name][:20_000]
    problems = check_markdown(text)
    html = render_markdown(text)
    # Stored HTML grows at most linearly with the text, whatever its shape.
    assert len(html) <= markdown.HTML_PER_CHARACTER * len(text)
    if problems:  # refused: a writer that skipped the check still stores plain text
        assert "<ul>" not in html and "<table>" not in html


def test_worst_shapes_render_quickly_all_together():
    started = time.perf_counter()
    for text in PATHOLOGICAL.values():
        check_markdown(text[:20_000])
        render_markdown(text[:20_000])
    assert time.perf_counter() - started < 10  # about 0.5 s; Python-Markdown took minutes


def test_rendering_stays_sanitised():
    html = render_markdown('<script>alert(1)</script> <a href="javascript:x" onclick="y">a</a>')
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html


# Rendered once -------------------------------------------------------------------------


def test_pages_draw_the_stored_html_and_never_render_markdown(
    login, lead_user, incident, monkeypatch
):
    entry = actions.add_timeline_entry(incident, lead_user, "Servers **isolated**.")
    assert entry.body_html == "<p>Servers <strong>isolated</strong>.</p>"
    assert entry.excerpt == "Servers isolated."

    def refuse(*args, **kwargs):
        raise AssertionError("Markdown rendered while drawing a page")

    client = login(lead_user)
    # Concord's own entries (events) are drawn once per language and zone, then kept.
    for url in ("/", incident.get_absolute_url(), timeline(incident)):
        client.get(url)
    monkeypatch.setattr(markdown.cmarkgfm, "markdown_to_html_with_extensions", refuse)
    for url, shown in (
        ("/", "Servers isolated."),
        (incident.get_absolute_url(), "Servers <strong>isolated</strong>."),
        (timeline(incident), "Servers <strong>isolated</strong>."),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert shown in response.content.decode(), url


def test_dashboard_shows_the_first_words_without_reading_the_whole_html(login, lead_user, incident):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = "Beginning of a long report. " + "Details follow. " * 1_000 + "THE-END"
    actions.add_timeline_entry(incident, lead_user, body)
    with CaptureQueriesContext(connection) as queries:
        html = login(lead_user).get("/").content.decode()
    assert "Beginning of a long report." in html and "THE-END" not in html
    timeline_reads = [q["sql"] for q in queries if "incidents_timelineentry" in q["sql"]]
    assert timeline_reads and not any('"body_html"' in sql for sql in timeline_reads)


def test_excerpt_is_short_plain_text():
    html = render_markdown("**Bold** <b>x</b> & " + "word " * 500)
    text = markdown.excerpt(html)
    assert text.startswith("Bold x & word") and text.endswith("…")
    assert len(text) <= markdown.EXCERPT_CHARS
    assert markdown.excerpt("<p>" + "a" * 10_000 + "</p>").endswith("…")


class _Editor:
    """What the migration's function uses of a schema editor, inside the test's transaction."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql):
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


def test_migration_fills_excerpts_and_redraws_oversized_html(lead_user, incident, settings):
    """Entries written before the excerpt existed, one of them the finding's 28 MB kind."""
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("incidents.migrations.0005_timeline_excerpt")
    small = actions.add_timeline_entry(incident, lead_user, "Servers **isolated**.")
    huge = actions.add_timeline_entry(incident, lead_user, "Placeholder")
    with connection.cursor() as cursor:  # as they were before: no excerpt, huge HTML
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(migration.TRIGGER.format("DISABLE"))
        cursor.execute("UPDATE incidents_timelineentry SET excerpt = ''")
        cursor.execute(
            "UPDATE incidents_timelineentry SET body = %s, body_html = %s WHERE id = %s",
            [attack(2_000_000), "<ul><li>" * 300_000, huge.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute(migration.TRIGGER.format("ENABLE"))
    settings.MARKDOWN_MAX_CHARS = 20_000
    state = MigrationLoader(connection).project_state(("incidents", "0005_timeline_excerpt"))
    migration.forward(state.apps, _Editor(connection))
    small.refresh_from_db()
    huge.refresh_from_db()
    assert small.excerpt == "Servers isolated."
    assert small.body_html == "<p>Servers <strong>isolated</strong>.</p>"  # untouched
    assert len(huge.body) == 2_000_000  # the text stays as written
    assert len(huge.body_html) < 30_000 and "<ul>" not in huge.body_html
    assert huge.excerpt.startswith('- item "quoted"')
    assert not TimelineEntry.objects.filter(excerpt="").exists()
