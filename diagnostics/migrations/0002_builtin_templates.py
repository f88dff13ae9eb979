from django.db import migrations


def forwards(apps, schema_editor):
    from diagnostics.builtin import builtin_sync

    builtin_sync(apps.get_model("diagnostics", "DiagnosticTemplate"))


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_diagnostics")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
