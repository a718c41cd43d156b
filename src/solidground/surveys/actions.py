"""Writes of the survey loop (docs/surveys.md): invitations, sending, answers, unsubscribes.

The interface the views, tasks and commands call; the work is in the modules beside it:

- ``queueing``: :func:`do_queue_ticket_invitations` (invitations for recently resolved
  tickets, throttled) and :func:`do_start_campaign` (a relationship survey to decision makers).
- ``sending``: :func:`do_send_due` (what is due, over one SMTP connection; temporary errors
  retry with back-off, permanent refusals bounce; the send log records each step),
  :func:`do_recover_interrupted` and :func:`do_alert_account_manager`.
- ``answers``: :func:`do_record_answer` / :func:`do_record_relationship` (the customer's
  answer, stored as a ``SurveyAnswer``: one per invitation, a second answer changes it),
  :func:`do_unsubscribe`, and the follow-up's :func:`do_take_due_answers` /
  :func:`do_mark_followed_up`.
- ``common``: the settings row, the answers' source, the comment limit.
"""

from __future__ import annotations

from solidground.surveys.answers import (
    LOW_RELATIONSHIP_SCORE,
    NPS_SCALE,
    RELATIONSHIP_SCALE,
    DueAnswer,
    Recorded,
    do_mark_followed_up,
    do_record_answer,
    do_record_relationship,
    do_take_due_answers,
    do_unsubscribe,
    has_due_answers,
)
from solidground.surveys.common import (
    COMMENT_MAX,
    SOURCE,
    CommentTooLong,
    new_key,
    survey_settings,
)
from solidground.surveys.queueing import QueueReport, do_queue_ticket_invitations, do_start_campaign
from solidground.surveys.sending import (
    SendReport,
    do_alert_account_manager,
    do_recover_interrupted,
    do_send_due,
)

__all__ = [
    "COMMENT_MAX",
    "LOW_RELATIONSHIP_SCORE",
    "NPS_SCALE",
    "RELATIONSHIP_SCALE",
    "SOURCE",
    "CommentTooLong",
    "DueAnswer",
    "QueueReport",
    "Recorded",
    "SendReport",
    "do_alert_account_manager",
    "do_mark_followed_up",
    "do_queue_ticket_invitations",
    "do_record_answer",
    "do_record_relationship",
    "do_recover_interrupted",
    "do_send_due",
    "do_start_campaign",
    "do_take_due_answers",
    "do_unsubscribe",
    "has_due_answers",
    "new_key",
    "survey_settings",
]
