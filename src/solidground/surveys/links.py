"""Signed survey links (docs/decisions/0006-survey-links-and-mail-scanners.md).

A link carries the invitation's id, its random key and, for the answer links of a ticket
survey, the answer the customer clicked, signed with the installation's secret key and a salt
per purpose (an unsubscribe link never answers, an answer link never unsubscribes). The
signature's timestamp makes a link expire after ``SURVEY_LINK_DAYS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

from django.conf import settings
from django.core import signing
from django.urls import reverse

from solidground.surveys.models import Invitation

Purpose = Literal["answer", "survey", "unsubscribe"]
SALTS: Final[dict[str, str]] = {
    "answer": "solidground.surveys.answer",
    "survey": "solidground.surveys.relationship",
    "unsubscribe": "solidground.surveys.unsubscribe",
}
# The three reactions of a ticket survey, as scores on a 1-3 scale: the engine reads the top
# quarter of a scale as positive and the bottom quarter as negative (answer_polarity).
CSAT_SCORES: Final[dict[str, int]] = {"positive": 3, "neutral": 2, "negative": 1}
CSAT_SCALE: Final = (1, 3)
ROUTES: Final[dict[str, str]] = {
    "answer": "surveys:answer",
    "survey": "surveys:relationship",
    "unsubscribe": "surveys:unsubscribe",
}


class LinkExpired(Exception):
    """The link was genuine but is older than SURVEY_LINK_DAYS."""


class LinkInvalid(Exception):
    """Tampered, truncated or made up."""


@dataclass(frozen=True)
class Link:
    invitation_id: int
    key: str
    answer: str


def make_token(invitation: Invitation, purpose: Purpose, answer: str = "") -> str:
    payload = {"i": invitation.pk, "k": invitation.key, "a": answer}
    return signing.dumps(payload, salt=SALTS[purpose], compress=False)


def read_token(token: str, purpose: Purpose) -> Link:
    """The link's content; LinkExpired or LinkInvalid otherwise."""
    try:
        payload = signing.loads(
            token, salt=SALTS[purpose], max_age=timedelta(days=settings.SURVEY_LINK_DAYS)
        )
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict):
        raise LinkInvalid
    invitation_id, key, answer = payload.get("i"), payload.get("k"), payload.get("a", "")
    if (
        not isinstance(invitation_id, int)
        or not isinstance(key, str)
        or not isinstance(answer, str)
    ):
        raise LinkInvalid
    if purpose == "answer" and answer not in CSAT_SCORES:
        raise LinkInvalid
    return Link(invitation_id=invitation_id, key=key, answer=answer)


def url(invitation: Invitation, purpose: Purpose, answer: str = "") -> str:
    """The absolute link for a mail (SOLIDGROUND_PUBLIC_URL + path)."""
    path = reverse(ROUTES[purpose], args=[make_token(invitation, purpose, answer)])
    return f"{settings.PUBLIC_URL}{path}"
