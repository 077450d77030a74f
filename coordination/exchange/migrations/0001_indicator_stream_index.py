"""Index of the TAXII object stream: indicators by (updated_at, id).

TAXII ``objects`` and ``manifest`` pages read a collection's indicators in
``date_added`` order (``updated_at``, then ``id``) from a keyset cursor, and
``added_after`` is a range on ``updated_at``. Without this index every page sorts all
of the collection's indicators (measured: 270 ms for 200,000 rows; see
bench/EXCHANGE.md). The index lives on the intel app's table, which the exchange app
only reads; it is created here, by the app whose queries need it, with plain SQL so
the intel app's model state stays untouched.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("intel", "0001_indicators")]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS exchange_indicator_stream_idx "
            "ON intel_indicator (updated_at, id)",
            reverse_sql="DROP INDEX IF EXISTS exchange_indicator_stream_idx",
        ),
    ]
