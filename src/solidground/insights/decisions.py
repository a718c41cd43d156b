"""A user's decisions on findings: done, dismissed, or reopened (the write side).

A decision is kept by customer, kind and the fingerprint of the finding's evidence, not by the
finding's id: every analysis rewrites the findings, and a decision must outlive that as long as
the evidence is the same (``insights.models.FindingDecision``).
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from solidground.insights.models import Finding, FindingDecision, evidence_fingerprint

# A note is a sentence or two; the limit keeps a pasted e-mail thread out of the findings list.
NOTE_MAX_LENGTH = 2000


def do_decide_finding(
    *,
    finding: Finding,
    status: str,
    note: str = "",
    decided_by_id: int | None,
    now: datetime | None = None,
) -> FindingDecision:
    """Mark ``finding`` done or dismissed; deciding again replaces the earlier decision.

    The caller has checked that the user may see the finding's customer (the view does, with
    the viewer's selector); ``status`` is a ``FindingDecision.Status`` value.
    """
    if status not in FindingDecision.Status.values:
        raise ValueError(f"status {status!r} is not one of {FindingDecision.Status.values}")
    decision, _created = FindingDecision.objects.update_or_create(
        customer_id=finding.customer_id,
        kind=finding.kind,
        fingerprint=finding.fingerprint or evidence_fingerprint(finding.kind, finding.params),
        defaults={
            "period_start": finding.period_start,
            "params": finding.params,
            "status": status,
            "note": note.strip()[:NOTE_MAX_LENGTH],
            "decided_by_id": decided_by_id,
            "decided_at": now or timezone.now(),
        },
    )
    return decision


def do_reopen_finding(*, finding: Finding) -> int:
    """Forget the decision on ``finding`` so that it is open again; returns rows deleted."""
    deleted, _by_model = FindingDecision.objects.filter(
        customer_id=finding.customer_id,
        kind=finding.kind,
        fingerprint=finding.fingerprint or evidence_fingerprint(finding.kind, finding.params),
    ).delete()
    return deleted
