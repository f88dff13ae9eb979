"""manage.py load_demo — load (or refresh) the demo consultancy and print logins to try."""

from django.core.management.base import BaseCommand

from clients.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo consultancy (idempotent) and print the logins to try."

    def handle(self, *args, **options):
        context = demo_load()
        consultancy = context.objects["consultancy"]
        self.stdout.write(f"Demo consultancy: {consultancy.name} ({consultancy.id})")
        self.stdout.write("Logins to try (at /accounts/login/):")
        for role, email, password in context.logins:
            self.stdout.write(f"  {role:<24} {email}  /  {password}")
