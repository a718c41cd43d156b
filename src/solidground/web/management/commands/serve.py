from __future__ import annotations

import argparse
import gc
import logging
import socket
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import get_resolver


class Command(BaseCommand):
    help = "Start the web app (waitress), after applying any pending migrations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8, help="threads per process")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="server processes sharing the port (Linux, macOS): about one core each",
        )
        # How --workers starts its processes (solidground.web.serving); not for people.
        parser.add_argument("--from-fd", type=int, default=None, help=argparse.SUPPRESS)
        parser.add_argument("--share-of", type=int, default=1, help=argparse.SUPPRESS)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be 1 or more.")
        from waitress import serve

        from solidground.common import ratelimit
        from solidground.config.wsgi import application
        from solidground.importers.actions import do_close_interrupted_api_runs
        from solidground.web.serving import ServeError, serve_processes

        # Load every view and the API's schemas now, not in the first visitor's request
        # (about 3 s of CPU on a small machine).
        get_resolver().url_patterns  # noqa: B018 (loading is the point)
        if options["from_fd"] is not None or options["workers"] == 1:  # a process that serves
            self._warm_up_reviews()
            # What is loaded now lives as long as the process: the garbage collector need not
            # go through it again in every full collection during requests.
            gc.collect()
            gc.freeze()
        if options["from_fd"] is not None:  # one of the processes of --workers
            ratelimit.share_among(options["share_of"])
            sock = socket.socket(fileno=options["from_fd"])
            serve(application, sockets=[sock], threads=options["threads"])
            return
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
        workers = options["workers"]
        processes = f", {workers} processes" if workers > 1 else ""
        self.stdout.write(
            f"Solidground on {url} (data in {settings.DATA_DIR}{processes}); Ctrl+C stops it."
        )
        if workers == 1:
            serve(
                application, host=options["host"], port=options["port"], threads=options["threads"]
            )
            return
        self.stdout.flush()
        try:
            serve_processes(
                host=options["host"],
                port=options["port"],
                threads=options["threads"],
                workers=workers,
                say=self.stderr.write,
            )
        except ServeError as exc:
            raise CommandError(str(exc)) from exc

    def _warm_up_reviews(self) -> None:
        """WeasyPrint and vl-convert loaded now, not in the first review download (about
        1.5 s of CPU); a failure is only a slower first download, so it is logged."""
        from solidground.reports.render import warm_up

        try:
            warm_up()
        except Exception:
            logging.getLogger(__name__).warning("reviews not warmed up", exc_info=True)
