"""Webhook receivers: Zammad's trigger webhook and ConnectWise Manage's callbacks.

A PSA pushes a ticket the moment it changes; the receiver checks the sender's secret, refuses
a delivery it already processed, maps the payload with the connector's own mapping (the same
functions as ``solidground sync``) and hands the records to ``api.writes.write_records``, the
one write path of the API: validated, upserted by (source, external id) in one transaction,
audited, and the customer re-analysed in the background by ``solidground worker``.

Answers (always JSON, never a 500 for anything a sender can send):

- 404 while the receiver has no secret configured (it is disabled);
- 413 for a body over 10 MB, 401 for a missing or wrong signature/key;
- 422 naming the field when the payload is not what the tool sends;
- 409 for a delivery id accepted before (within ``REPLAY_WINDOW``). Only accepted deliveries
  are remembered, so the retry of a delivery that failed is processed normally. Zammad and
  ConnectWise log the 409 as a failed delivery and retry a few times; nothing is lost, since
  the first delivery is stored (docs/api.md, "Webhooks").
- 200 with what was written.

The receivers are here; the delivery handling (body, secrets, answers, the write) is in
``api.webhook_delivery`` and the payload mapping in ``api.webhook_mapping`` (rather than in
``importers/sources/``: it only reshapes the webhook's JSON into what the connector's mapping
already reads). Both are re-exported here.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from solidground.api.webhook_delivery import (
    CONNECTWISE_ACTIONS,
    ERROR_RESPONSES,
    MAX_BODY_BYTES,
    REPLAY_WINDOW,
    ZAMMAD_DELIVERY_HEADER,
    ZAMMAD_SIGNATURE_HEADER,
    Refused,
    WebhookAccepted,
    WebhookError,
    _already_processed,
    _remember,
    _replayed,
    _write,
    parse_json,
    read_body,
    webhook_secret,
)
from solidground.api.webhook_mapping import (
    MappedDelivery,
    map_connectwise_callback,
    map_zammad_webhook,
    verify_connectwise_key,
    verify_zammad_signature,
    zammad_signature,
)
from solidground.api.webhook_models import WebhookDelivery

__all__ = [
    "CONNECTWISE_ACTIONS",
    "ERROR_RESPONSES",
    "MAX_BODY_BYTES",
    "REPLAY_WINDOW",
    "ZAMMAD_DELIVERY_HEADER",
    "ZAMMAD_SIGNATURE_HEADER",
    "MappedDelivery",
    "Refused",
    "WebhookAccepted",
    "WebhookError",
    "connectwise_callback",
    "map_connectwise_callback",
    "map_zammad_webhook",
    "parse_json",
    "read_body",
    "router",
    "verify_connectwise_key",
    "verify_zammad_signature",
    "webhook_secret",
    "zammad_signature",
    "zammad_webhook",
]

router = Router(tags=["webhooks"])


# --- Zammad ---------------------------------------------------------------------------------


@router.post(
    "/zammad",
    auth=None,
    response={200: WebhookAccepted, **ERROR_RESPONSES},
    summary="Zammad trigger webhook",
    url_name="webhook_zammad",
)
def zammad_webhook(request: HttpRequest) -> JsonResponse:
    """Receives a Zammad trigger's webhook (default payload), signed with HMAC-SHA1 in
    ``X-Hub-Signature`` with ``SOLIDGROUND_ZAMMAD_WEBHOOK_SECRET``; see docs/api.md."""
    receiver = WebhookDelivery.Receiver.ZAMMAD
    try:
        secret = webhook_secret("ZAMMAD_WEBHOOK_SECRET")
        if not secret:
            raise Refused(404, _("The Zammad webhook is not enabled on this server."))
        body = read_body(request)
        verify_zammad_signature(secret, body, request.headers.get(ZAMMAD_SIGNATURE_HEADER))
        delivery_id = str(request.headers.get(ZAMMAD_DELIVERY_HEADER) or "").strip()
        if not delivery_id or len(delivery_id) > 200:
            raise Refused(
                422,
                _("The X-Zammad-Delivery header is missing or longer than 200 characters."),
                field=ZAMMAD_DELIVERY_HEADER,
            )
        if _already_processed(receiver, delivery_id):
            raise _replayed(receiver, delivery_id)
        mapped = map_zammad_webhook(parse_json(body))
        return _write(request, receiver=receiver, delivery_id=delivery_id, batch=mapped.batch)
    except Refused as refused:
        return refused.response()


# --- ConnectWise ----------------------------------------------------------------------------


@router.post(
    "/connectwise",
    auth=None,
    response={200: WebhookAccepted, **ERROR_RESPONSES},
    summary="ConnectWise Manage callback",
    url_name="webhook_connectwise",
)
def connectwise_callback(request: HttpRequest, key: str = "") -> JsonResponse:
    """Receives a ConnectWise Manage ticket callback; the URL carries the shared secret
    ``SOLIDGROUND_CONNECTWISE_WEBHOOK_SECRET`` as ``?key=`` (HTTPS only); see docs/api.md."""
    receiver = WebhookDelivery.Receiver.CONNECTWISE
    try:
        secret = webhook_secret("CONNECTWISE_WEBHOOK_SECRET")
        if not secret:
            raise Refused(404, _("The ConnectWise callback is not enabled on this server."))
        verify_connectwise_key(secret, key)
        payload = parse_json(read_body(request))
        delivery_id = str(payload.get("MessageId") or "").strip()
        if not delivery_id or len(delivery_id) > 200:
            raise Refused(
                422, _("MessageId is missing or longer than 200 characters."), field="MessageId"
            )
        if _already_processed(receiver, delivery_id):
            raise _replayed(receiver, delivery_id)
        mapped = map_connectwise_callback(payload)
        if mapped is None:
            _remember(receiver, delivery_id, None)
            return JsonResponse(
                WebhookAccepted(
                    status="ignored",
                    delivery=delivery_id,
                    detail=_("Deletions are not applied: the ticket stays in Solidground."),
                ).dict()
            )
        return _write(request, receiver=receiver, delivery_id=delivery_id, batch=mapped.batch)
    except Refused as refused:
        return refused.response()
