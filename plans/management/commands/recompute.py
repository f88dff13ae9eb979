"""manage.py recompute [--client UUID] [--period P]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clients.models import Client
from metrics.periods import Granularity, Period, PeriodError
from plans.selectors import clients_with_active_plan
from plans.services import scorecards_recompute


class Command(BaseCommand):
    help = (
        "Recompute scorecards and bottleneck reports now, in this process: the given month "
        "(default: each client's latest closed month) and every month of the active plan whose "
        "inputs changed. One client, or every client with an active plan. One line per client."
    )

    def add_arguments(self, parser):
        parser.add_argument("--client", help="a client's UUID (default: every active client)")
        parser.add_argument("--period", help="a month, e.g. 2026-09")
        parser.add_argument(
            "--force", action="store_true", help="recompute even months whose inputs are unchanged"
        )

    def handle(self, *args, **options):
        period = self._month(options["period"])
        if options["client"]:
            try:
                clients = [Client.objects.get(pk=options["client"])]
            except (Client.DoesNotExist, ValidationError):
                raise CommandError(f"No client {options['client']}.") from None
        else:
            clients = list(clients_with_active_plan().order_by("name"))
        for client in clients:
            result = scorecards_recompute(
                client_id=client.pk, period=period, force=options["force"]
            )
            self.stdout.write(f"{client.name} ({client.pk}): {result}")

    @staticmethod
    def _month(raw):
        if not raw:
            return None
        try:
            period = Period.parse(raw)
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        if period.granularity != Granularity.MONTH:
            raise CommandError("--period takes a month, written like 2026-09.")
        return period
