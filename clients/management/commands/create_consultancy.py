"""manage.py create_consultancy --name NAME --slug SLUG --owner-email E [--owner-password P]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from clients.management.commands._options import PASSWORD_ENV, command_error, password_from
from clients.services.tenants import consultancy_create


class Command(BaseCommand):
    help = (
        "Make a consultancy and its owner user. The owner's password comes from "
        f"--owner-password or ${PASSWORD_ENV}. Prints the consultancy's id on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", dest="password")
        parser.add_argument("--timezone", default="Asia/Tokyo")
        parser.add_argument("--currency", default="JPY")

    def handle(self, *args, **options):
        try:
            consultancy = consultancy_create(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_password=password_from(options),
                timezone_name=options["timezone"],
                currency=options["currency"],
            )
        except ValidationError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"Created consultancy {consultancy.name} ({consultancy.slug}).")
        self.stdout.write(str(consultancy.id))
