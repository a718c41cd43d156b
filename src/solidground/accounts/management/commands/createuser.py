"""`solidground createuser NAME --role owner|manager|account_manager [--customer ID ...]`."""

from __future__ import annotations

import getpass
import secrets
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role


class Command(BaseCommand):
    help = (
        "Create a dashboard user with a role. Without --password-stdin the password is asked "
        "for on a terminal, or generated and shown once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--customer",
            type=int,
            action="append",
            default=[],
            metavar="ID",
            help="a customer this account manager looks after (repeat for several)",
        )
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    # The command line speaks English throughout; without this the validators' sentences
    # would come in the default interface language, mid-sentence.
    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        role = Role(options["role"])
        if options["customer"] and role != Role.ACCOUNT_MANAGER:
            raise CommandError("--customer is for account managers; owners and managers see all.")
        shown = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ; nothing was created.")
        else:
            password = shown = secrets.token_urlsafe(12)
        try:
            do_create_user(
                username=options["username"],
                password=password,
                role=role,
                email=options["email"],
                customer_ids=options["customer"],
            )
        except ValidationError as exc:
            raise CommandError("The password is refused: " + " ".join(exc.messages)) from exc
        except ValueError as exc:
            raise CommandError(f"{exc}; nothing was created.") from exc
        self.stdout.write(f"Created {options['username']} ({role.label}).")
        if shown:
            self.stdout.write(f"Password (shown once): {shown}")
