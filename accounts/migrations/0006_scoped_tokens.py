# A slot kept for the change being built in parallel; it does nothing until that change fills it.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_routing_availability")]

    operations = []
