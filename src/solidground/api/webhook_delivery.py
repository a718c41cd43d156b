"""The webhook receivers' delivery handling: configuration, the body, the answers and the
write (``api.webhooks`` has the receivers and re-exports these names).

Every refusal is a ``Refused`` carrying its status and the field at fault; the receivers turn
it into the API's error shape. Accepted deliveries are remembered for ``REPLAY_WINDOW``.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema

from solidground.api.webhook_models import WebhookDelivery
from solidground.api.writes import WriteOutcome, write_records
from solidground.config.env import env_str
from solidground.importers.records import ImportBatch

# The receivers' log, under the name it has always had.
logger = logging.getLogger("solidground.api.webhooks")

MAX_BODY_BYTES = 10 * 1024 * 1024
# How long a delivery id is remembered. Zammad retries a failed delivery four times within
# minutes; a week covers any retry and a manual re-send, and keeps the table small.
REPLAY_WINDOW = timedelta(days=7)
ZAMMAD_SIGNATURE_HEADER = "X-Hub-Signature"
ZAMMAD_DELIVERY_HEADER = "X-Zammad-Delivery"
CONNECTWISE_ACTIONS = ("added", "updated", "deleted")


class WebhookAccepted(Schema):
    status: str
    delivery: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customer_ids: list[int] = []
    analysis_queued: bool = False
    import_run: int | None = None
    detail: str = ""


class WebhookError(Schema):
    detail: str
    field: str = ""
    errors: list[dict[str, Any]] = []


ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: WebhookError,
    401: WebhookError,
    404: WebhookError,
    409: WebhookError,
    413: WebhookError,
    422: WebhookError,
}


class Refused(Exception):
    """A delivery the receiver answers with a 4xx; ``field`` names what was wrong."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str = "",
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.errors = errors or []

    def response(self) -> JsonResponse:
        # The API's error shape (api.main.error_body) plus the field at fault.
        errors = self.errors or [
            {"index": None, "field": self.field, "value": None, "reason": self.detail}
        ]
        body = {"detail": self.detail, "field": self.field, "errors": errors}
        return JsonResponse(body, status=self.status)


# --- configuration and transport ------------------------------------------------------------


def webhook_secret(name: str) -> str:
    """The shared secret ``name`` (e.g. ``ZAMMAD_WEBHOOK_SECRET``): a Django setting of that
    name if set (tests), else ``SOLIDGROUND_<name>`` or the file named by ``..._FILE``."""
    configured = getattr(settings, name, None)
    if configured:
        return str(configured)
    return env_str(f"SOLIDGROUND_{name}").strip()


def read_body(request: HttpRequest) -> bytes:
    """The raw body, refused with 413 above ``MAX_BODY_BYTES``.

    Read from the stream rather than ``request.body``: Django's form-field limit
    (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB) would refuse a large ticket with a 400 first.
    """
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(declared)
    except ValueError:
        raise Refused(
            400,
            _("Content-Length %(value)s is not a number.") % {"value": repr(declared)},
            field="Content-Length",
        ) from None
    if length > MAX_BODY_BYTES:
        raise Refused(413, _too_large(length), field="body")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, _too_large(len(body)), field="body")
    return body


def _too_large(size: int) -> str:
    return _("The body has %(size)d bytes; a webhook delivery may have at most %(most)d.") % {
        "size": size,
        "most": MAX_BODY_BYTES,
    }


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Refused(
            422, _("The body is not JSON: %(error)s.") % {"error": exc}, field="body"
        ) from None
    if not isinstance(payload, dict):
        raise Refused(422, _("The body must be a JSON object."), field="body")
    return payload


def _already_processed(receiver: str, delivery_id: str) -> bool:
    return WebhookDelivery.objects.filter(receiver=receiver, delivery_id=delivery_id).exists()


def _replayed(receiver: str, delivery_id: str) -> Refused:
    return Refused(
        409,
        _("Delivery %(id)s was processed already; it is not written again.") % {"id": delivery_id},
        field="delivery",
    )


def _remember(receiver: str, delivery_id: str, run_id: int | None) -> None:
    """Record an accepted delivery and forget those older than the replay window."""
    now = timezone.now()
    WebhookDelivery.objects.filter(received_at__lt=now - REPLAY_WINDOW).delete()
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                receiver=receiver, delivery_id=delivery_id, received_at=now, import_run_id=run_id
            )
    except IntegrityError:
        # The same delivery arrived twice at once and both were written (idempotent); the
        # other request has remembered it.
        logger.info("webhook delivery %s %s recorded concurrently", receiver, delivery_id)


def _remote_addr(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "")


def _accepted(delivery_id: str, outcome: WriteOutcome) -> JsonResponse:
    body = WebhookAccepted(
        status="stored",
        delivery=delivery_id,
        created=outcome.created,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        customer_ids=outcome.customer_ids,
        analysis_queued=bool(outcome.analysis_task_id),
        import_run=outcome.run.pk,
    )
    return JsonResponse(body.dict())


def _write(
    request: HttpRequest, *, receiver: str, delivery_id: str, batch: ImportBatch
) -> JsonResponse:
    outcome = write_records(
        batch=batch,
        user=None,
        token=None,
        partial=False,
        action=f"webhook.{receiver}",
        remote_addr=_remote_addr(request),
    )
    if outcome.refused:
        errors = [
            {
                "kind": error.kind,
                "index": error.index,
                "field": error.field,
                "value": error.value,
                "reason": error.reason,
            }
            for error in outcome.errors
        ]
        first = errors[0] if errors else {"kind": "", "field": ""}
        raise Refused(
            422,
            _("The delivery's records were refused; nothing was written."),
            field=f"{first['kind']}.{first['field']}".strip("."),
            errors=errors,
        )
    _remember(receiver, delivery_id, outcome.run.pk)
    return _accepted(delivery_id, outcome)


def _cannot_read(exc: Exception) -> str:
    return _("The ticket cannot be read: %(error)s.") % {"error": exc}
