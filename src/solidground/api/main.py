"""The REST API at /api/v1/: the NinjaAPI, its error handlers, and the routes' mounting.

Every error answers JSON in one shape (``schemas.ApiError``: a sentence and the items that
name index and field). Unexpected exceptions are logged with their traceback and answer a
plain 500 JSON without it.
"""

from __future__ import annotations

import logging
from typing import Any

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from solidground.api.errors import BadRequest, Forbidden, PayloadTooLarge, RateLimited
from solidground.api.schemas import NO_NUL_PATTERN, NO_NUL_REASON

logger = logging.getLogger(__name__)


class _Parser(Parser):
    """JSON bodies as ninja's default parser reads them, except a write route's batch: that
    is validated straight from the JSON text by pydantic-core (``model_validate_json``), one
    pass instead of ``json.loads`` and a second walk over the objects; about a third of the
    parsing of a batch of 500 tickets with their changes. A body that does not validate so
    goes the usual way, whose 422 names index and field (``_invalid`` below)."""

    def parse_body(self, request: HttpRequest) -> Any:
        match = request.resolver_match
        if request.method == "POST" and match is not None:
            from solidground.api.write_routes import BATCH_BODIES

            model = BATCH_BODIES.get(match.url_name or "")
            if model is not None:
                try:
                    return model.model_validate_json(request.body)
                except pydantic.ValidationError:
                    pass
        return super().parse_body(request)


api = NinjaAPI(
    parser=_Parser(),
    title="Solidground API",
    version="1",
    description=(
        "Read stored figures, findings and SLA verdicts; push customers, tickets, status "
        "changes, time entries and survey answers. See docs/api.md."
    ),
    urls_namespace="api",
)


def error_body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _reason(error: dict[str, Any]) -> str:
    if (
        error.get("type") == "string_pattern_mismatch"
        and (error.get("ctx") or {}).get("pattern") == NO_NUL_PATTERN
    ):
        return NO_NUL_REASON
    return str(error.get("msg", ""))


def _validation_items(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's locations as index and field: ("body", "payload", "records", 3,
    "created_at") -> index 3, field "created_at"."""
    items = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in ("body", "payload")]
        index = None
        if "records" in loc:
            after = loc[loc.index("records") + 1 :]
            if after and isinstance(after[0], int):
                index = after[0]
                loc = after[1:] or ["records"]
            else:
                loc = ["records"]
        elif loc and loc[0] == "query":
            loc = loc[1:]
        field = ".".join(str(part) for part in loc)
        value = error.get("input")
        items.append(
            {
                "index": index,
                "field": field,
                "value": None if isinstance(value, dict | list) or value is None else str(value),
                "reason": _reason(error),
            }
        )
    return items


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    items = _validation_items(list(exc.errors))
    return api.create_response(
        request, error_body(_("The request is not valid; see errors."), items), status=422
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        error_body(_("A valid API token is required: Authorization: Bearer sg_…")),
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Forbidden)
def _forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return api.create_response(
        request,
        error_body(
            _("This token may not write: it needs the write scope and an owner or manager.")
        ),
        status=403,
    )


@api.exception_handler(PayloadTooLarge)
@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request,
        error_body(_("The body is too large; send at most 10 MB (or fewer records).")),
        status=413,
    )


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = api.create_response(
        request,
        error_body(_("Too many requests for this token; try again after Retry-After seconds.")),
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
    return api.create_response(
        request,
        error_body(
            exc.reason,
            [{"index": None, "field": exc.field, "value": exc.value, "reason": exc.reason}],
        ),
        status=400,
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body(_("Not found.")), status=404)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises these for a body that is not JSON (400) and the like.
    return api.create_response(request, error_body(str(exc)), status=exc.status_code)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request %s %s failed", request.method, request.path)
    return api.create_response(
        request, error_body(_("Something went wrong on our side; it has been logged.")), status=500
    )


from solidground.api import reads, write_routes  # noqa: E402 - the routes need `api` above

# write_routes registers on the same router as reads (one router per path).
assert write_routes.router is reads.router
api.add_router("", reads.router)

from solidground.api import webhooks  # noqa: E402 - webhook receivers, their own secrets

api.add_router("/webhooks", webhooks.router)
