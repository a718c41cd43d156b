from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from solidground.customers.models import Customer
from solidground.insights.actions import analyze


class Command(BaseCommand):
    help = "Run the analysis on the store and keep the results (all customers, or --customer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customer",
            type=int,
            action="append",
            dest="customers",
            help="re-analyse only this customer id (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(stderr=True)
        customer_ids = options["customers"]
        if customer_ids:
            known = set(Customer.objects.filter(pk__in=customer_ids).values_list("pk", flat=True))
            unknown = sorted(set(customer_ids) - known)
            if unknown:
                raise CommandError(f"No customer with id {', '.join(map(str, unknown))}.")
        elif not Customer.objects.exists():
            raise CommandError(
                "The store has no customers yet; run `solidground demo` or `solidground import`."
            )
        with console.status("Analysing") as status:
            run = analyze(customer_ids=customer_ids, progress=status.update)
        console.print(
            f"Analysed {run.customers} customers and {run.tickets:,} tickets "
            f"in {run.seconds:.1f} s."
        )
