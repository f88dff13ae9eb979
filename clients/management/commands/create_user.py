"""manage.py create_user --email E [--password P] (--consultancy SLUG --role R [--assign UUID ...]
| --client UUID --role viewer|editor)"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clients.management.commands._options import PASSWORD_ENV, command_error, password_from
from clients.models import Client, ClientMembership, Consultancy, ConsultancyMembership
from clients.services.people import (
    client_assign,
    client_member_set,
    consultancy_member_set,
    user_get_or_create,
)


class Command(BaseCommand):
    help = (
        "Make a user with one role: in a consultancy (owner, manager, consultant; --assign gives "
        "a consultant clients) or in a client (viewer, editor). The password comes from "
        f"--password or ${PASSWORD_ENV}. Prints the user's id on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password")
        parser.add_argument("--full-name", default="")
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--consultancy", help="the consultancy's slug")
        where.add_argument("--client", help="the client's UUID")
        parser.add_argument(
            "--role",
            required=True,
            choices=[*ConsultancyMembership.Role.values, *ClientMembership.Role.values],
        )
        parser.add_argument("--assign", nargs="+", default=[], metavar="UUID")

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                user = self._create(options)
        except ValidationError as exc:
            raise command_error(exc) from exc
        self.stdout.write(f"User {user.email} ready.")
        self.stdout.write(str(user.id))

    def _create(self, options):
        role = options["role"]
        if options["consultancy"]:
            if role not in ConsultancyMembership.Role.values:
                raise CommandError("In a consultancy the role is owner, manager or consultant.")
            consultancy = Consultancy.objects.filter(slug=options["consultancy"]).first()
            if consultancy is None:
                raise CommandError(f"No consultancy with slug {options['consultancy']!r}.")
            clients = [self._client(raw, consultancy) for raw in options["assign"]]
            user = self._user(options)
            consultancy_member_set(consultancy=consultancy, user=user, role=role, actor=None)
            for client in clients:
                client_assign(client=client, user=user, actor=None)
            return user
        if options["assign"]:
            raise CommandError("--assign goes with --consultancy.")
        if role not in ClientMembership.Role.values:
            raise CommandError("In a client the role is viewer or editor.")
        client = self._client(options["client"], None)
        user = self._user(options)
        client_member_set(client=client, user=user, role=role, actor=None)
        return user

    def _user(self, options):
        return user_get_or_create(
            email=options["email"], password=password_from(options), full_name=options["full_name"]
        )

    def _client(self, raw, consultancy):
        clients = Client.objects.all() if consultancy is None else consultancy.clients.all()
        try:
            client = clients.filter(pk=raw).first()
        except ValidationError:
            client = None
        if client is None:
            where = f" in {consultancy.slug}" if consultancy else ""
            raise CommandError(f"No client {raw}{where}.")
        return client
