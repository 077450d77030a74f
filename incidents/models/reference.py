from django.db import connection, models


class ReferenceSequence(models.Model):
    """The last number handed out for one reference scope and year (CC-2026-…)."""

    scope = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "year"], name="reference_sequence_scope_year")
        ]

    def __str__(self):
        return f"{self.scope}-{self.year}: {self.last_value}"


def allocate_reference(scope, year, width=6):
    """Hand out the next reference of ``scope`` for ``year``, e.g. ``CC-2026-000042``.

    One atomic upsert (PostgreSQL and SQLite >= 3.35 both support
    ``ON CONFLICT … DO UPDATE … RETURNING``): concurrent callers serialise on the
    row, so no two get the same number. Call it inside the creating transaction
    so a rolled-back creation does not leave the row locked for long.
    """
    table = connection.ops.quote_name(ReferenceSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, year, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (scope, year) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [scope, year],
        )
        (value,) = cursor.fetchone()
    return f"{scope}-{year}-{value:0{width}d}"
