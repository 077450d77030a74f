"""Timeline entries get an excerpt: the first words that lists of entries show.

The excerpt of every entry written before it is filled in here, in batches. Entries
whose stored HTML is larger than today's limits allow (10 characters of HTML per
character of a 20,000-character text) have it drawn again, as ``render_markdown`` draws
a text over the limits: escaped plain text. Both are derived from the entry's text,
which stays as written. On PostgreSQL the append-only trigger is off for this
migration's transaction only: ALTER TABLE holds the table's lock until the commit, so
nothing else writes to the timeline meanwhile.
"""

from django.db import migrations, models
from django.db.models.functions import Length, Substr

BATCH = 1000
TRIGGER = "ALTER TABLE incidents_timelineentry {} TRIGGER timelineentry_append_only"


def forward(apps, schema_editor):
    from django.conf import settings

    from incidents.markdown import (
        EXCERPT_SOURCE_CHARS,
        HTML_PER_CHARACTER,
        excerpt,
        render_markdown,
    )

    TimelineEntry = apps.get_model("incidents", "TimelineEntry")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(TRIGGER.format("DISABLE"))

    too_large = HTML_PER_CHARACTER * settings.MARKDOWN_MAX_CHARS
    oversized = (
        TimelineEntry.objects.annotate(html_size=Length("body_html"))
        .filter(html_size__gt=too_large)
        .values_list("pk", flat=True)
    )
    for pk in list(oversized):
        body = TimelineEntry.objects.filter(pk=pk).values_list("body", flat=True).get()
        TimelineEntry.objects.filter(pk=pk).update(body_html=render_markdown(body))

    last = 0
    while True:
        rows = list(
            TimelineEntry.objects.filter(pk__gt=last, excerpt="")
            .annotate(head=Substr("body_html", 1, EXCERPT_SOURCE_CHARS + 1))
            .order_by("pk")
            .values_list("pk", "head")[:BATCH]
        )
        if not rows:
            break
        TimelineEntry.objects.bulk_update(
            [TimelineEntry(pk=pk, excerpt=excerpt(head)) for pk, head in rows], ["excerpt"]
        )
        last = rows[-1][0]

    if postgres:
        schema_editor.execute(TRIGGER.format("ENABLE"))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_search_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="timelineentry",
            name="excerpt",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=300
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop, elidable=False),
    ]
