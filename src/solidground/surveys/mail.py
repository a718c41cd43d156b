"""The survey mails: invitation (ticket or relationship), reminder, and the note to the account
manager about an unhappy answer. Plain text with an HTML alternative, in the contact's
language, with the provider's name and colours from the survey settings."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.policy import Policy
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from solidground.surveys import links
from solidground.surveys.models import Invitation, SurveyAnswer, SurveySettings

LANGUAGES = ("de", "en")
SUBJECT_MAX = 160


# RFC 5322 allows header lines up to 998 characters. At the default 78, Python's email package
# turns a long URL without spaces (the List-Unsubscribe link) into RFC 2047 encoded words, which
# mail clients do not read as a link.
HEADER_LINE_MAX = 998


class SurveyMail(EmailMultiAlternatives):
    def message(self, *, policy: Policy | None = None) -> EmailMessage:
        chosen = email.policy.default if policy is None else policy
        return super().message(policy=chosen.clone(max_line_length=HEADER_LINE_MAX))


def language_of(code: str) -> str:
    """The contact's language if the mails exist in it, else the installation's default."""
    short = (code or "").split("-")[0].lower()
    return short if short in LANGUAGES else settings.LANGUAGE_CODE


def fill(template: str, values: dict[str, str]) -> str:
    """``{name}`` placeholders replaced by values; unknown or broken braces are left as they are
    (an owner's typo in a template must not stop the mails)."""
    out = template
    for name, value in values.items():
        out = out.replace("{" + name + "}", value)
    return out


def _sender(survey_settings: SurveySettings) -> str:
    address = survey_settings.sender or settings.DEFAULT_FROM_EMAIL
    return (
        formataddr((survey_settings.provider_name, address))
        if survey_settings.provider_name
        else address
    )


def compose(
    invitation: Invitation, survey_settings: SurveySettings, *, reminder: bool = False
) -> EmailMultiAlternatives:
    """The invitation mail (or its reminder) for one invitation."""
    language = language_of(invitation.language)
    contact_name = invitation.contact.name if invitation.contact_id else ""
    subject_text = invitation.ticket.subject if invitation.ticket_id and invitation.ticket else ""
    values = {
        "contact": contact_name,
        "subject": subject_text,
        "provider": survey_settings.provider_name,
        "customer": invitation.customer.name,
    }
    unsubscribe = links.url(invitation, "unsubscribe")
    context: dict[str, Any] = {
        "invitation": invitation,
        "settings": survey_settings,
        "provider": survey_settings.provider_name,
        "contact": contact_name,
        "ticket_subject": subject_text,
        "reminder": reminder,
        "unsubscribe_url": unsubscribe,
    }
    with translation.override(language):
        if invitation.kind == Invitation.Kind.TICKET_CSAT:
            template = (
                survey_settings.subject_de if language == "de" else survey_settings.subject_en
            )
            intro = survey_settings.intro_de if language == "de" else survey_settings.intro_en
            subject = fill(template, values)
            context["intro"] = fill(intro, values)
            context["answers"] = [
                (answer, links.url(invitation, "answer", answer)) for answer in links.CSAT_SCORES
            ]
            name = "invitation"
        else:
            subject = render_to_string("surveys/mail/relationship_subject.txt", context).strip()
            context["survey_url"] = links.url(invitation, "survey")
            name = "relationship"
        text = render_to_string(f"surveys/mail/{name}.txt", context)
        html = render_to_string(f"surveys/mail/{name}.html", context)
    message = SurveyMail(
        subject=" ".join(subject.split())[:SUBJECT_MAX],
        body=text,
        from_email=_sender(survey_settings),
        to=[invitation.email],
        reply_to=[survey_settings.reply_to] if survey_settings.reply_to else None,
        headers={
            # RFC 8058: mail clients offer a real one-click unsubscribe (a POST to this URL).
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def compose_alert(
    answer: SurveyAnswer, survey_settings: SurveySettings, *, to: str
) -> EmailMultiAlternatives:
    """The note to the account manager: who answered what about which ticket, and the comment."""
    customer_url = settings.PUBLIC_URL + reverse("web:customer", args=[answer.customer_id])
    context = {
        "answer": answer,
        "customer": answer.customer,
        "ticket": answer.ticket,
        "contact": answer.contact,
        "customer_url": customer_url,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("surveys/mail/alert_subject.txt", context).strip()
        text = render_to_string("surveys/mail/alert.txt", context)
    return EmailMultiAlternatives(
        subject=" ".join(subject.split())[:SUBJECT_MAX],
        body=text,
        from_email=_sender(survey_settings),
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
