"""PostgreSQL only: the incident search document becomes a stored generated column.

With only an expression index, every row the planner checked outside the index (for
example while walking the list order until a page is full) had its ``to_tsvector``
computed again: about 25 µs a row, 200 ms for one search count on 100,000 incidents
(bench/README.md). A stored column is computed once, when the row is written.
"""

from django.db import migrations

DOCUMENT = """to_tsvector('simple'::regconfig,
    "reference"::text || ' ' || "title"::text || ' ' || "summary")"""

FORWARD = [
    f"""ALTER TABLE incidents_incident ADD COLUMN search_document tsvector
        GENERATED ALWAYS AS ({DOCUMENT}) STORED;""",
    "DROP INDEX IF EXISTS incident_search_idx;",
    "CREATE INDEX incident_search_idx ON incidents_incident USING gin (search_document);",
    "ANALYZE incidents_incident;",
]

BACKWARD = [
    "DROP INDEX IF EXISTS incident_search_idx;",
    "ALTER TABLE incidents_incident DROP COLUMN IF EXISTS search_document;",
    f"CREATE INDEX incident_search_idx ON incidents_incident USING gin ({DOCUMENT});",
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
    dependencies = [("incidents", "0003_evidence_custody")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
