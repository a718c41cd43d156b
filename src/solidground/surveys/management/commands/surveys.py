"""`solidground surveys`: the survey loop from the command line (docs/surveys.md).

solidground surveys send                # queue invitations for resolved tickets, send what is due
solidground surveys send --dry-run      # the same mails as files, nothing stored or sent
solidground surveys campaign --name "Herbst 2026" --customer 12 [--nps]
solidground surveys campaign --name "Herbst 2026" --segment at_risk
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from solidground.customers.models import Customer
from solidground.service.models import Ticket, TicketStatus
from solidground.surveys import actions
from solidground.surveys.selectors import segment_customer_ids


class _RollBack(Exception):
    """Leaves the dry run's transaction without storing anything."""


class Command(BaseCommand):
    help = "Send survey invitations that are due, or start a relationship survey."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        send = sub.add_parser("send", help="queue ticket invitations and send what is due")
        send.add_argument(
            "--dry-run",
            action="store_true",
            help="write the mails as files (into --out) instead of sending; stores nothing",
        )
        send.add_argument("--out", default="", help="folder for the dry run's mails")
        campaign = sub.add_parser("campaign", help="start a relationship survey")
        campaign.add_argument("--name", required=True)
        target = campaign.add_mutually_exclusive_group(required=True)
        target.add_argument("--customer", type=int, help="the customer's id")
        target.add_argument("--segment", help="every customer in this segment, e.g. at_risk")
        campaign.add_argument("--nps", action="store_true", help="also ask the NPS question")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "send":
            self._send(dry_run=options["dry_run"], out=options["out"])
        else:
            self._campaign(options)

    def _send(self, *, dry_run: bool, out: str) -> None:
        now = timezone.now()
        if not dry_run:
            stuck = actions.do_recover_interrupted()
            if stuck:
                self.stdout.write(
                    f"{stuck} invitation(s) interrupted while sending: marked failed."
                )
            queued = actions.do_queue_ticket_invitations(now=now)
            self._say_queued(queued, enabled=actions.survey_settings().ticket_surveys_enabled)
            report = actions.do_send_due(now=now)
            self.stdout.write(
                f"Sent {report.sent}, reminders {report.reminded}, waiting to retry "
                f"{report.retrying}, failed {report.failed}, bounced {report.bounced}."
            )
            return
        folder = Path(out or tempfile.mkdtemp(prefix="solidground-surveys-", dir=settings.DATA_DIR))
        folder.mkdir(parents=True, exist_ok=True)
        # A store whose last ticket was resolved before today (the demo) shows that last day.
        latest: datetime | None = Ticket.objects.filter(
            status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]
        ).aggregate(latest=Max("resolved_at"))["latest"]
        moment = min(now, latest) if latest else now
        connection = FileBackend(file_path=str(folder))
        try:
            with transaction.atomic():
                queued = actions.do_queue_ticket_invitations(now=moment, force=True)
                report = actions.do_send_due(now=moment, connection=connection)
                raise _RollBack
        except _RollBack:
            pass
        self._say_queued(queued, enabled=True)
        self.stdout.write(
            f"Dry run (tickets resolved in the {actions.survey_settings().window_hours} hours "
            f"before {timezone.localtime(moment):%Y-%m-%d %H:%M}): {report.sent} mail(s) "
            f"written to {folder}; nothing was stored or sent."
        )

    def _say_queued(self, queued: actions.QueueReport, *, enabled: bool) -> None:
        if not enabled:
            self.stdout.write(
                "Ticket surveys are off (Settings → Surveys); no new ticket invitations."
            )
            return
        skipped = ", ".join(f"{reason}: {n}" for reason, n in sorted(queued.skipped.items()))
        self.stdout.write(
            f"{queued.queued} ticket invitation(s) queued"
            + (f" (skipped {skipped})." if skipped else ".")
        )

    def _campaign(self, options: dict[str, Any]) -> None:
        segment = options["segment"] or ""
        customer_id = options["customer"]
        if customer_id is not None:
            if not Customer.objects.filter(pk=customer_id).exists():
                raise CommandError(f"There is no customer with id {customer_id}.")
            customer_ids = [customer_id]
        else:
            customer_ids = segment_customer_ids(segment)
            if not customer_ids:
                raise CommandError(
                    f"No customer is in segment {segment!r} in the last analysis "
                    "(segments: solid, service_trap, at_risk, quiet, unprofitable)."
                )
        campaign, report = actions.do_start_campaign(
            name=options["name"],
            customer_ids=customer_ids,
            customer_id=customer_id,
            segment=segment,
            ask_nps=options["nps"],
        )
        self.stdout.write(
            f"Campaign {campaign.pk} “{campaign.name}”: {report.queued} decision maker(s) "
            "invited; `solidground surveys send` or the worker sends the mails."
        )
