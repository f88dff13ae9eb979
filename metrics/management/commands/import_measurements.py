"""manage.py import_measurements --client UUID FILE"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clients.models import Client
from metrics.importing import ImportFileError
from metrics.services import ImportRejected, measurements_import


class Command(BaseCommand):
    help = (
        "Import measurements from CSV (UTF-8, with or without BOM, or CP932) or XLSX. Line 1 is "
        "the header metric,period,value[,source]; periods are text (2026-09, 2026-Q3, ...). "
        "All or nothing: on bad lines each is printed with its number and reason, and nothing "
        "is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="the client's UUID")
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        try:
            client = Client.objects.select_related("consultancy").get(pk=options["client"])
        except (Client.DoesNotExist, ValidationError):
            raise CommandError(f"No client {options['client']}.") from None
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            result = measurements_import(
                client=client, filename=path.name, content=content, actor=None
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(exc.errors)} bad lines in {path.name}; nothing was written."
            ) from exc
        self.stdout.write(
            f"{client.name}: created {result.created}, updated {result.updated}, "
            f"unchanged {result.unchanged}."
        )
