"""Input and output schemas of the REST API (ninja/pydantic), typed for the OpenAPI spec.

The write schemas mirror the canonical records in ``importers.records`` field by field (a test
checks the names), with two differences: instants are ``AwareDatetime`` (a time without a zone
is a 422 naming the field rather than a guess), and unknown fields are refused (a typo must not
pass silently as a default).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from django.conf import settings
from ninja import Schema
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# --- errors ------------------------------------------------------------------------------------


class ErrorItem(Schema):
    """One thing wrong with the request: where (record ``index``, ``field``) and why."""

    index: int | None = None
    field: str = ""
    value: str | None = None
    reason: str
    kind: str = ""
    external_id: str = ""


class ApiError(Schema):
    detail: str
    errors: list[ErrorItem] = []


# --- write -------------------------------------------------------------------------------------


# PostgreSQL text cannot hold NUL: refused here, naming the field, rather than by the database
# mid-write. A pattern is checked inside pydantic-core, with no Python call per field; the API's
# error handler words its mismatch as NO_NUL_REASON.
NO_NUL_PATTERN = r"^[^\x00]*$"
NO_NUL_REASON = "must not contain a NUL character (\\u0000)"
Text = Annotated[str, StringConstraints(pattern=NO_NUL_PATTERN)]


class _Record(BaseModel):
    """A record of a write batch. Plain pydantic, not ninja's ``Schema``: ninja's ORM-reading
    validator ran per record and took 40% of a write request's time."""

    model_config = ConfigDict(extra="forbid")


# Numbers no larger than the store's columns hold (amounts: 14 digits, 2 after the point;
# counts: 32-bit; survey scores: 16-bit): a larger one is a 422 naming the field, never a
# failure further down the write path. Whether a value makes sense (a negative amount, a score
# off its scale) is the writer's rule, as for a file import.
Amount = Annotated[Decimal, Field(gt=Decimal("-1e12"), lt=Decimal("1e12"))]
Count = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Score = Annotated[int, Field(ge=-(2**15), le=2**15 - 1)]


class CustomerIn(_Record):
    external_id: Text = Field(min_length=1, max_length=200)
    name: Text = Field(min_length=1)
    country: Text = "DE"
    subdivision: Text = ""
    timezone: Text = "Europe/Berlin"
    seats: Count = 0
    endpoints: Count = 0
    status: Text = "active"
    customer_since: date | None = None
    notes: Text = ""


MAX_HISTORY_PER_TICKET = 200


class TicketHistoryIn(_Record):
    """One status change inside its ticket's ``status_changes`` (the ticket is implied)."""

    external_id: Text = Field(min_length=1, max_length=200)
    changed_at: AwareDatetime
    status: Text
    source_status: Text = ""


class TicketIn(_Record):
    external_id: Text = Field(min_length=1, max_length=200)
    customer_ref: Text = Field(min_length=1, max_length=200)
    subject: Text
    created_at: AwareDatetime
    status: Text = "new"
    priority: Count = 3
    reference: Text = ""
    description: Text = ""
    category: Text = ""
    channel: Text = "email"
    first_response_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    reopen_count: Count = 0
    agent_touches: Count | None = None
    billable: bool = False
    is_special_request: bool = False
    is_escalated: bool = False
    is_complaint: bool = False
    contact_ref: Text | None = None
    contract_ref: Text | None = None
    catalogue_item_ref: Text | None = None
    customer_name: Text | None = None
    # The ticket's history in the same request (written in the same transaction, after the
    # ticket): what a PSA that pushes a ticket "with its status changes" sends. Optional: the
    # status-changes route takes them on their own too.
    status_changes: list[TicketHistoryIn] | None = Field(
        default=None, max_length=MAX_HISTORY_PER_TICKET
    )


class StatusChangeIn(_Record):
    external_id: Text = Field(min_length=1, max_length=200)
    ticket_ref: Text = Field(min_length=1, max_length=200)
    changed_at: AwareDatetime
    status: Text
    source_status: Text = ""


class TimeEntryIn(_Record):
    external_id: Text = Field(min_length=1, max_length=200)
    started_at: AwareDatetime
    minutes: Count
    billing: Text
    customer_ref: Text | None = None
    ticket_ref: Text | None = None
    technician: Text = ""
    billed_amount: Amount | None = None
    loaded_cost: Amount | None = None
    description: Text = ""
    customer_name: Text | None = None


class SurveyAnswerIn(_Record):
    external_id: Text = Field(min_length=1, max_length=200)
    kind_of_survey: Text
    sent_at: AwareDatetime
    customer_ref: Text | None = None
    ticket_ref: Text | None = None
    contact_ref: Text | None = None
    answered_at: AwareDatetime | None = None
    score: Score | None = None
    scale_min: Score = 1
    scale_max: Score = 5
    comment: Text = ""
    language: Text = ""
    customer_name: Text | None = None


R = TypeVar("R", bound=_Record)


class BatchIn(BaseModel, Generic[R]):
    """``source``: your system's name (1-40 characters); records are upserted by (source,
    external_id). 1 to the batch limit (1,000) records."""

    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")
    records: list[R] = Field(min_length=1, max_length=settings.SOLIDGROUND_API_BATCH_LIMIT)


class CustomerBatch(BatchIn[CustomerIn]):
    pass


class TicketBatch(BatchIn[TicketIn]):
    pass


class StatusChangeBatch(BatchIn[StatusChangeIn]):
    pass


class TimeEntryBatch(BatchIn[TimeEntryIn]):
    pass


class SurveyAnswerBatch(BatchIn[SurveyAnswerIn]):
    pass


class KindCountsOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int


class WriteOut(Schema):
    """What a write did. ``refused`` true: nothing was written (see ``errors``). The totals
    count every kind written (a ticket's new customer too); ``counts`` splits them by kind."""

    run_id: int
    refused: bool
    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    counts: dict[str, KindCountsOut]
    errors: list[ErrorItem]
    analysis_queued: bool


# --- read --------------------------------------------------------------------------------------


class RateOut(Schema):
    """A share with its 95% Wilson interval; ``share``/``low``/``high`` null when n is 0."""

    successes: int
    n: int
    share: float | None
    low: float | None
    high: float | None
    small_sample: bool


class FiguresOut(Schema):
    """Figures over a span of stored months (sums; shares of summed counts)."""

    first_month: str | None  # YYYY-MM
    last_month: str | None
    tickets: int
    csat: RateOut
    sla_response: RateOut
    sla_resolution: RateOut
    hours_goodwill: float
    goodwill_share: float | None
    revenue: Decimal
    margin: Decimal


class SegmentOut(Schema):
    segment: str
    label: str
    reasons: list[str]
    reason_keys: list[str]
    window_start: date
    window_end: date


class CustomerOut(Schema):
    id: int
    name: str
    status: str
    segment: SegmentOut | None
    last_12_months: FiguresOut


class PeriodOut(Schema):
    month: str  # YYYY-MM
    tickets: int
    csat: RateOut
    sla_response: RateOut
    sla_resolution: RateOut
    hours_included: float
    hours_billed: float
    hours_goodwill: float
    goodwill_share: float | None
    revenue: Decimal
    margin: Decimal
    margin_share: float | None


class CustomerDetailOut(CustomerOut):
    months: list[PeriodOut]


class FindingOut(Schema):
    id: int
    kind: str
    severity: int
    customer_id: int
    customer: str
    sentence: str
    recommendation: str
    status: str
    period_start: date


class SlaOut(Schema):
    ticket_id: int
    ticket: str  # the reference people say, else the external id, else our id
    source: str | None  # None for tickets entered by hand
    external_id: str | None
    customer_id: int
    customer: str
    created_at: str
    priority: int
    first_response_state: str
    resolution_state: str
    first_response_due: str | None
    resolution_due: str | None
    first_response_margin_seconds: int | None
    resolution_margin_seconds: int | None


T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None


class CustomerPage(Page[CustomerOut]):
    pass


class FindingPage(Page[FindingOut]):
    pass


class RenewalOut(Schema):
    """A running contract due for renewal or notice, with its risk of cancellation.

    ``risk`` (with ``risk_low``..``risk_high``) is the survival model's estimate for the next
    twelve months; it is null when ``method`` is "rules" (too little history for a model: the
    level then comes from transparent rules). ``reasons`` are the warning signs as sentences.
    """

    id: int
    customer_id: int
    customer: str
    contract_id: int
    contract: str
    renewal_date: date | None
    notice_date: date | None
    annual_revenue: Decimal
    revenue_at_risk: Decimal
    level: str
    risk: float | None
    risk_low: float | None
    risk_high: float | None
    method: str
    as_of: date
    reasons: list[str]


class RenewalPage(Page[RenewalOut]):
    pass


class SlaPage(Page[SlaOut]):
    pass
