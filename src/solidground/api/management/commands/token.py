"""`solidground token create USER --scope read|write --name NAME`, `token list [USER]`,
`token revoke ID`: API tokens from the command line (the settings page does the same)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from solidground.api.models import ApiToken
from solidground.api.tokens import do_create_token, do_revoke_token, tokens_of


class Command(BaseCommand):
    help = "Create, list and revoke REST API tokens (docs/api.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token; it is printed once")
        create.add_argument("username")
        create.add_argument("--scope", choices=ApiToken.Scope.values, default="read")
        create.add_argument("--name", default="API")
        listing = actions.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("username", nargs="?")
        revoke = actions.add_parser("revoke", help="revoke a token by its id (see list)")
        revoke.add_argument("id", type=int)

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}; create one with createuser.")
        return user

    @no_translations
    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = self._user(options["username"])
            new = do_create_token(user=user, name=options["name"], scope=options["scope"])
            self.stderr.write(
                f"Token {new.token.pk} ({new.token.scope}) for {user.get_username()}; "
                "it is shown only now, store it safely:"
            )
            self.stdout.write(new.plain)
        elif action == "list":
            user = self._user(options["username"]) if options.get("username") else None
            for token in tokens_of(user=user):
                state = (
                    f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
                )
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.pk}\tsg_{token.prefix}…\t{token.user.get_username()}\t"
                    f"{token.scope}\t{token.name}\t{state}\tlast used {used}"
                )
        else:
            found = ApiToken.objects.filter(pk=options["id"]).first()
            if found is None:
                raise CommandError(f"There is no token {options['id']}; see `token list`.")
            do_revoke_token(token=found)
            self.stdout.write(f"Token {found.pk} (sg_{found.prefix}…) is revoked.")
