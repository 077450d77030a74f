"""Timeline entries written by Concord keep an event code and its parameters.

They are drawn in the reader's language from these (incidents.events). Entries written
before keep their stored text (empty code): they are shown as written.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0005_timeline_excerpt'),
    ]

    operations = [
        migrations.AddField(
            model_name='timelineentry',
            name='event',
            field=models.CharField(blank=True, db_default='', default='', max_length=64),
        ),
        migrations.AddField(
            model_name='timelineentry',
            name='params',
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
    ]
