"""manage.py load_demo — load (or refresh) the demo consultancy and print what to try next:
the logins, the consultancy's slug and the clients' ids (which the other commands take)."""

from django.core.management.base import BaseCommand, CommandError

from clients.demo import DemoConflict, demo_load


class Command(BaseCommand):
    help = "Load the demo consultancy (idempotent) and print the logins and ids to try."

    def handle(self, *args, **options):
        try:
            context = demo_load()
        except DemoConflict as exc:
            raise CommandError(str(exc)) from exc
        consultancy = context.objects["consultancy"]
        clients = sorted(context.objects["clients"].values(), key=lambda client: client.slug)
        write = self.stdout.write
        write(
            f"Demo consultancy: {consultancy.name} (slug {consultancy.slug}, id {consultancy.id})"
        )
        write("Clients (id, slug, name):")
        for client in clients:
            write(f"  {client.id}  {client.slug:<16} {client.name}")
        write("Logins to try (at /accounts/login/):")
        for role, email, password in context.logins:
            write(f"  {role:<24} {email}  /  {password}")
        write("To make an API key for the demo consultancy (the key is printed once):")
        write(
            "  .venv/bin/python manage.py create_api_key "
            f"--consultancy {consultancy.slug} --scopes read,write --name demo"
        )
