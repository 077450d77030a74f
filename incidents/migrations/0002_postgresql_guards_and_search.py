"""PostgreSQL only: the append-only trigger on the timeline and the search index.

SQLite (the embedded default) gets neither; the model layer refuses edits there.
"""

from django.db import migrations

FORWARD = [
    # Timeline entries are never updated or deleted, whatever client connects.
    """
    CREATE OR REPLACE FUNCTION concord_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER timelineentry_append_only
    BEFORE UPDATE OR DELETE ON incidents_timelineentry
    FOR EACH ROW EXECUTE FUNCTION concord_refuse_change();
    """,
    # Incident search (IncidentQuerySet.search): full-text over reference, title, summary.
    # The expression must stay identical to querysets.incident_document().
    """
    CREATE INDEX incident_search_idx ON incidents_incident USING gin (
        to_tsvector('simple'::regconfig,
            "incidents_incident"."reference" || ' ' || "incidents_incident"."title"
            || ' ' || "incidents_incident"."summary")
    );
    """,
]

BACKWARD = [
    "DROP INDEX IF EXISTS incident_search_idx;",
    "DROP TRIGGER IF EXISTS timelineentry_append_only ON incidents_timelineentry;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
