"""When each client's data last came in, kept on the client (the portfolio read it by searching
every client's measurements), filled from the measurements already stored."""

from django.db import migrations, models
from django.db.models import Max


def fill(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Measurement = apps.get_model("metrics", "Measurement")
    latest = Measurement.objects.values("client_id").annotate(at=Max("updated_at"))
    for row in latest.iterator():
        Client.objects.filter(pk=row["client_id"]).update(last_measurement_at=row["at"])


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0006_webhooks"),
        ("metrics", "0005_multiple_unit"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="last_measurement_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="data last received"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
