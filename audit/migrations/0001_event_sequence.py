# One sequence numbers the events of every audit table (audit/tracking.py): ids order the whole log.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []

    operations = [
        migrations.RunSQL("CREATE SEQUENCE audit_event_id", "DROP SEQUENCE audit_event_id"),
    ]
