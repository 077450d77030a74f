"""Store the uuid of each indicator's STIX id, so TAXII finds an object by id in an index."""

from django.db import migrations, models

BATCH = 2000


def fill(apps, schema_editor):
    from coordination.exchange.stix import indicator_uuid

    Indicator = apps.get_model("intel", "Indicator")
    rows = (
        Indicator.objects.filter(stix_uuid__isnull=True)
        .values_list("pk", "incident__reference", "type", "value")
        .order_by("pk")
    )
    batch = []
    for pk, reference, kind, value in rows.iterator(chunk_size=BATCH):
        batch.append(Indicator(pk=pk, stix_uuid=indicator_uuid(reference, kind, value)))
        if len(batch) == BATCH:
            Indicator.objects.bulk_update(batch, ["stix_uuid"])
            batch = []
    if batch:
        Indicator.objects.bulk_update(batch, ["stix_uuid"])


class Migration(migrations.Migration):
    dependencies = [("intel", "0002_contact_requests")]

    operations = [
        migrations.AddField(
            model_name="indicator",
            name="stix_uuid",
            field=models.UUIDField(blank=True, db_index=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
