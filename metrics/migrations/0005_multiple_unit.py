"""A unit for how many times one amount is another (LTV/CAC 5 = 5×), which the built-in
``ltv_cac`` now has: as a ratio it read as 500.0% and could not be planned above 1."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    from metrics.catalogue import catalogue_sync

    catalogue_sync(apps.get_model("metrics", "Metric"))


def backwards(apps, schema_editor):
    apps.get_model("metrics", "Metric").objects.filter(consultancy=None, key="ltv_cac").update(
        unit="ratio"
    )


class Migration(migrations.Migration):
    dependencies = [("metrics", "0004_verbose_names")]

    operations = [
        migrations.AlterField(
            model_name="metric",
            name="unit",
            field=models.CharField(
                choices=[
                    ("money", "money (the client's currency)"),
                    ("count", "count"),
                    ("ratio", "ratio (0.15 = 15%)"),
                    ("multiple", "multiple (5 = 5 times)"),
                    ("days", "days"),
                    ("score", "score"),
                    ("people", "people"),
                ],
                max_length=10,
                verbose_name="unit",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
