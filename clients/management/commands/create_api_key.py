"""manage.py create_api_key --consultancy SLUG [--client UUID] --scopes read|read,write --name N"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clients.management.commands._options import command_error
from clients.models import ApiKey, Client, Consultancy
from clients.services.api_keys import api_key_create


class Command(BaseCommand):
    help = "Make an API key (write implies read). Prints the key on the last line, once."

    def add_arguments(self, parser):
        parser.add_argument("--consultancy", required=True, help="the consultancy's slug")
        parser.add_argument("--client", help="narrow the key to this client (its UUID)")
        parser.add_argument("--scopes", required=True, choices=ApiKey.Scopes.values)
        parser.add_argument("--name", required=True)

    def handle(self, *args, **options):
        consultancy = Consultancy.objects.filter(slug=options["consultancy"]).first()
        if consultancy is None:
            raise CommandError(f"No consultancy with slug {options['consultancy']!r}.")
        client = None
        if options["client"]:
            try:
                client = Client.objects.filter(
                    consultancy=consultancy, pk=options["client"]
                ).first()
            except ValidationError:
                client = None
            if client is None:
                raise CommandError(f"No client {options['client']} in {consultancy.slug}.")
        try:
            key, plain = api_key_create(
                consultancy=consultancy,
                client=client,
                name=options["name"],
                scopes=options["scopes"],
                actor=None,
            )
        except ValidationError as exc:
            raise command_error(exc) from exc
        scope = f"client {client.name}" if client else f"every client of {consultancy.name}"
        self.stdout.write(f"API key {key.name!r} ({key.scopes}) for {scope}. It is shown once:")
        self.stdout.write(plain)
