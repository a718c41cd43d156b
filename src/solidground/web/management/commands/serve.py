from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start the web app (waitress), after applying any pending migrations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from solidground.config.wsgi import application
        from solidground.importers.actions import do_close_interrupted_api_runs

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        closed = do_close_interrupted_api_runs()
        if closed:
            self.stderr.write(
                f"{closed} API write(s) were interrupted when the server last stopped; nothing "
                "of them was stored, and their import runs now say failed. Send them again."
            )
        url = f"http://{options['host']}:{options['port']}/"
        if settings.PRODUCTION and not settings.BEHIND_PROXY:
            # Waitress speaks plain HTTP. In production mode the session and CSRF cookies are
            # Secure, so a browser on http:// never sends them back and every login fails with
            # "form expired": say so before anyone tries.
            self.stderr.write(
                "Warning: SOLIDGROUND_PRODUCTION is true but SOLIDGROUND_BEHIND_PROXY is false. "
                f"This server speaks plain HTTP ({url}), and in production mode browsers send "
                "the login cookies over HTTPS only, so logging in will fail. Put a "
                "TLS-terminating reverse proxy (e.g. Caddy or nginx) in front and set "
                "SOLIDGROUND_BEHIND_PROXY=true, or set SOLIDGROUND_PRODUCTION=false for a trial "
                "on a trusted network."
            )
        self.stdout.write(f"Solidground on {url} (data in {settings.DATA_DIR}); Ctrl+C stops it.")
        serve(application, host=options["host"], port=options["port"], threads=options["threads"])
