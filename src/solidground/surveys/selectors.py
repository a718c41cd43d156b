"""Reads of the surveys page: invitations sent, response rate, answers and comments by customer
and technician, relationship campaign results. Every figure carries its 95% interval; NPS is
shown with its margin and only next to the satisfaction share.

Like the other dashboard selectors these take the viewer (keyword-only) and filter with
``viewer.restrict``; they sit with the interfaces above the insights app (its ``Rate``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from solidground.accounts.selectors import Viewer
from solidground.engine.stats import nps_interval
from solidground.insights.selectors.common import Rate
from solidground.service.models import TimeEntry
from solidground.surveys.models import Campaign, Invitation, SurveyAnswer

DEFAULT_DAYS = 90
RECENT_SHOWN = 30
CSAT = Invitation.Kind.TICKET_CSAT
SENT_STATES = (Invitation.State.SENT, Invitation.State.ANSWERED)


def segment_customer_ids(segment: str) -> list[int]:
    """The customers the last analysis put in ``segment`` (for a campaign to a segment)."""
    from solidground.insights.models import CustomerSegment

    return sorted(
        CustomerSegment.objects.filter(segment=segment).values_list("customer_id", flat=True)
    )


@dataclass(frozen=True)
class Totals:
    queued: int
    sent: int
    answered: int
    failed: int
    bounced: int
    unsubscribed: int
    response: Rate


@dataclass(frozen=True)
class GroupRow:
    name: str
    customer_id: int | None
    answers: int
    positive: int
    negative: int
    comments: int
    csat: Rate
    unhappy: Rate


@dataclass(frozen=True)
class AnswerRow:
    answered_at: datetime
    customer_id: int
    customer: str
    contact: str
    ticket: str
    technician: str
    kind: str
    score: int
    scale_min: int
    scale_max: int
    comment: str

    @property
    def reaction(self) -> str:
        position = (self.score - self.scale_min) / (self.scale_max - self.scale_min)
        return "positive" if position >= 0.75 else "negative" if position <= 0.25 else "neutral"


@dataclass(frozen=True)
class CampaignCustomer:
    customer_id: int
    name: str
    invited: int
    answers: int
    satisfied: Rate  # share of 4 and 5 on the 1-5 scale
    mean: float | None


@dataclass(frozen=True)
class CampaignResult:
    campaign: Campaign
    invited: int
    response: Rate
    satisfied: Rate
    nps: tuple[float, float, float] | None  # score, low, high
    nps_answers: int
    customers: list[CampaignCustomer]


@dataclass(frozen=True)
class SurveysPage:
    days: int
    since: datetime
    totals: Totals
    by_customer: list[GroupRow]
    by_technician: list[GroupRow]
    recent: list[AnswerRow]
    campaigns: list[CampaignResult]


def _polarity(score: int, low: int, high: int) -> int:
    position = (score - low) / (high - low)
    return 1 if position >= 0.75 else -1 if position <= 0.25 else 0


def _technicians(ticket_ids: list[int]) -> dict[int, str]:
    """Per ticket, the technician who booked the most minutes on it."""
    minutes: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        TimeEntry.objects.filter(ticket_id__in=ticket_ids)
        .exclude(technician="")
        .values_list("ticket_id", "technician", "minutes")
    )
    for ticket_id, technician, spent in rows.iterator(chunk_size=2000):
        minutes[ticket_id][technician] += spent
    return {t: max(by.items(), key=lambda kv: (kv[1], kv[0]))[0] for t, by in minutes.items()}


def _groups(answers: list[AnswerRow], key: str) -> list[GroupRow]:
    counts: dict[tuple[str, int | None], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in answers:
        name = row.customer if key == "customer" else row.technician
        if not name:
            continue
        group = counts[(name, row.customer_id if key == "customer" else None)]
        polarity = _polarity(row.score, row.scale_min, row.scale_max)
        group[0] += 1
        group[1] += polarity == 1
        group[2] += polarity == -1
        group[3] += bool(row.comment)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1][2], -kv[1][0], kv[0][0]))
    n = [v[0] for _, v in ordered]
    csat = Rate.many([v[1] for _, v in ordered], n)
    unhappy = Rate.many([v[2] for _, v in ordered], n)
    return [
        GroupRow(name, customer_id, v[0], v[1], v[2], v[3], c, u)
        for ((name, customer_id), v), c, u in zip(ordered, csat, unhappy, strict=True)
    ]


def _campaign_result(viewer: Viewer, campaign: Campaign) -> CampaignResult:
    invitations = list(
        viewer.restrict(campaign.invitations.all())
        .select_related("customer", "answer", "nps_answer")
        .order_by("customer__name", "pk")
    )
    per_customer: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in invitations:
        per_customer[invitation.customer_id].append(invitation)
    customers = []
    for customer_id, rows in per_customer.items():
        scores = [i.answer.score for i in rows if i.answer and i.answer.score is not None]
        customers.append(
            CampaignCustomer(
                customer_id=customer_id,
                name=rows[0].customer.name,
                invited=len(rows),
                answers=len(scores),
                satisfied=Rate.of(sum(s >= 4 for s in scores), len(scores)),
                mean=float(np.mean(scores)) if scores else None,
            )
        )
    scores = [i.answer.score for i in invitations if i.answer and i.answer.score is not None]
    nps_scores = [
        i.nps_answer.score for i in invitations if i.nps_answer and i.nps_answer.score is not None
    ]
    nps = None
    if nps_scores:
        promoters = sum(s >= 9 for s in nps_scores)
        detractors = sum(s <= 6 for s in nps_scores)
        score, low, high = nps_interval(
            np.array([promoters]), np.array([detractors]), np.array([len(nps_scores)])
        )
        nps = (float(score[0]), float(low[0]), float(high[0]))
    return CampaignResult(
        campaign=campaign,
        invited=len(invitations),
        response=Rate.of(len(scores), len(invitations)),
        satisfied=Rate.of(sum(s >= 4 for s in scores), len(scores)),
        nps=nps,
        nps_answers=len(nps_scores),
        customers=customers,
    )


def surveys_page(
    *, viewer: Viewer, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> SurveysPage:
    """The surveys page for invitations created in the last ``days`` days."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    invitations = viewer.restrict(Invitation.objects.filter(kind=CSAT, created_at__gte=since))
    counted = invitations.aggregate(
        queued=Count("pk", filter=Q(state__in=[Invitation.State.QUEUED, Invitation.State.SENDING])),
        sent=Count("pk", filter=Q(state__in=SENT_STATES)),
        answered=Count("pk", filter=Q(state=Invitation.State.ANSWERED)),
        failed=Count("pk", filter=Q(state=Invitation.State.FAILED)),
        bounced=Count("pk", filter=Q(state=Invitation.State.BOUNCED)),
    )
    unsubscribed = (
        viewer.restrict(Invitation.objects.filter(created_at__gte=since))
        .filter(email__in=_unsubscribed_emails())
        .values("email")
        .distinct()
        .count()
    )
    totals = Totals(
        queued=counted["queued"],
        sent=counted["sent"],
        answered=counted["answered"],
        failed=counted["failed"],
        bounced=counted["bounced"],
        unsubscribed=unsubscribed,
        response=Rate.of(counted["answered"], counted["sent"]),
    )
    answered = list(
        viewer.restrict(
            SurveyAnswer.objects.filter(
                kind=SurveyAnswer.Kind.TICKET_CSAT,
                answered_at__gte=since,
                score__isnull=False,
            )
        )
        .select_related("customer", "contact", "ticket")
        .order_by("-answered_at", "-pk")
    )
    technicians = _technicians([a.ticket_id for a in answered if a.ticket_id])
    rows = [
        AnswerRow(
            answered_at=a.answered_at,
            customer_id=a.customer_id,
            customer=a.customer.name,
            contact=a.contact.name if a.contact else "",
            ticket=(a.ticket.reference or f"#{a.ticket.pk}") if a.ticket else "",
            technician=technicians.get(a.ticket_id or 0, ""),
            kind=a.kind,
            score=a.score,
            scale_min=a.scale_min,
            scale_max=a.scale_max,
            comment=a.comment,
        )
        for a in answered
        if a.answered_at is not None and a.score is not None
    ]
    campaigns = [
        _campaign_result(viewer, c)
        for c in Campaign.objects.filter(created_at__gte=now - timedelta(days=365))
        .filter(Q(invitations__in=viewer.restrict(Invitation.objects.all())))
        .distinct()
        .order_by("-created_at")[:10]
    ]
    return SurveysPage(
        days=days,
        since=since,
        totals=totals,
        by_customer=_groups(rows, "customer"),
        by_technician=_groups(rows, "technician"),
        recent=[r for r in rows if r.comment or r.reaction == "negative"][:RECENT_SHOWN],
        campaigns=campaigns,
    )


def _unsubscribed_emails() -> list[str]:
    from solidground.surveys.models import Unsubscribe

    return list(Unsubscribe.objects.values_list("email", flat=True))
