"""What the writes of the survey loop share: the settings row, the answers' source, the
comment limit, new link keys and the send log's rows.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from solidground.surveys.models import (
    InvitationEvent,
    SurveySettings,
)

SOURCE = "solidground"  # SurveyAnswer.source of answers given through Solidground's own links
COMMENT_MAX = 2000  # characters; a longer comment is refused with a sentence, not cut


class CommentTooLong(ValueError):
    """A comment over COMMENT_MAX characters: the page says so and stores nothing."""


def survey_settings() -> SurveySettings:
    """The one row of survey settings (created with the defaults on first use)."""
    found = SurveySettings.objects.filter(pk=1).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            # The name the service reviews use (SOLIDGROUND_PROVIDER_NAME), until changed here.
            name = str(getattr(settings, "PROVIDER_NAME", ""))[:120]
            return SurveySettings.objects.create(pk=1, provider_name=name)
    except IntegrityError:  # created meanwhile by another process
        return SurveySettings.objects.get(pk=1)


def new_key() -> str:
    return secrets.token_urlsafe(9)[:12]


def log_event(invitation_id: int, event: str, at: datetime, detail: str = "") -> InvitationEvent:
    return InvitationEvent(invitation_id=invitation_id, event=event, at=at, detail=detail[:300])
