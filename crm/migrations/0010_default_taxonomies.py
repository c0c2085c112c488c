from django.db import migrations

from crm.taxonomy_defaults import default_terms_ensure


def seed(apps, schema_editor):
    default_terms_ensure(apps.get_model("crm", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_sales_side")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
