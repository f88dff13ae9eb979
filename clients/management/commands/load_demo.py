"""manage.py load_demo — load (or refresh) the demo consultancy and print logins to try."""

from django.core.management.base import BaseCommand, CommandError

from clients.demo import DemoConflict, demo_load


class Command(BaseCommand):
    help = "Load the demo consultancy (idempotent) and print the logins to try."

    def handle(self, *args, **options):
        try:
            context = demo_load()
        except DemoConflict as exc:
            raise CommandError(str(exc)) from exc
        consultancy = context.objects["consultancy"]
        self.stdout.write(f"Demo consultancy: {consultancy.name} ({consultancy.id})")
        self.stdout.write("Logins to try (at /accounts/login/):")
        for role, email, password in context.logins:
            self.stdout.write(f"  {role:<24} {email}  /  {password}")
