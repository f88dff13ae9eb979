from django.db import migrations


def forwards(apps, schema_editor):
    from metrics.catalogue import catalogue_sync

    catalogue_sync(apps.get_model("metrics", "Metric"))


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
