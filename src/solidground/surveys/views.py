"""The public survey pages under /s/ (no login): answer a ticket survey, change the answer,
comment, answer a relationship survey, unsubscribe.

A GET never stores anything: mail scanners and link previews open links too
(docs/decisions/0006-survey-links-and-mail-scanners.md). The page shows the clicked answer
already chosen and one button that sends it (a plain form, no script); the POST stores it.

The forms are exempt from Django's CSRF check on purpose: the signed link in the URL is the
secret that authorises the answer, and a page elsewhere cannot know it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from solidground.common import ratelimit
from solidground.surveys import actions, links
from solidground.surveys.models import Invitation, SurveySettings
from solidground.surveys.tasks import queue_after_answer

METHODS = ["GET", "HEAD", "POST"]


def _address(request: HttpRequest) -> str:
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def _over_limit(request: HttpRequest) -> bool:
    """A fixed one-minute window per address (``common.ratelimit``, as the API's per token)."""
    return ratelimit.count(f"survey:{_address(request)}", settings.SURVEY_RATE_PER_MINUTE).over


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    language: str | None = None,
) -> HttpResponse:
    config = actions.survey_settings()
    full = {"brand": config, **(context or {})}
    with translation.override(language or translation.get_language()):
        response = render(request, f"surveys/{template}.html", full, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _problem(request: HttpRequest, problem: str, status: int) -> HttpResponse:
    return _page(request, "problem", {"problem": problem}, status=status)


def _read(request: HttpRequest, token: str, purpose: links.Purpose) -> links.Link | HttpResponse:
    if _over_limit(request):
        return _problem(request, "too_many", 429)
    try:
        return links.read_token(token, purpose)
    except links.LinkExpired:
        return _problem(request, "expired", 410)
    except links.LinkInvalid:
        return _problem(request, "invalid", 404)


def _store(
    request: HttpRequest, record: Callable[[], actions.Recorded | None]
) -> HttpResponse | str:
    """Store the posted answer: the redirect to the thank-you page (POST, redirect, GET), the
    "link does not work" page if the invitation is gone, or the error the form shows."""
    try:
        recorded = record()
    except actions.CommentTooLong:
        return "too_long"
    if recorded is None:
        return _problem(request, "invalid", 404)
    return HttpResponseRedirect(request.path + "?saved=1", status=303)


def _invitation(link: links.Link, kind: str) -> Invitation | None:
    try:
        return Invitation.objects.select_related("ticket", "answer", "nps_answer", "campaign").get(
            pk=link.invitation_id, key=link.key, kind=kind
        )
    except Invitation.DoesNotExist:
        return None


def _answer_name(score: int | None) -> str:
    return next((name for name, value in links.CSAT_SCORES.items() if value == score), "")


@csrf_exempt
@require_http_methods(METHODS)
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """A ticket survey's answer link: GET shows the choice, POST stores it."""
    link = _read(request, token, "answer")
    if isinstance(link, HttpResponse):
        return link
    chosen = link.answer
    error = ""
    if request.method == "POST":
        # The click the load bench measures: one locked read, the answer, the send log and
        # the follow-up task; the page is read again after the redirect.
        picked = request.POST.get("answer", link.answer)
        chosen = picked if picked in links.CSAT_SCORES else link.answer
        outcome = _store(
            request,
            lambda: actions.do_record_answer(
                link=link,
                answer=chosen,
                comment=request.POST.get("comment"),
                then=queue_after_answer,
            ),
        )
        if isinstance(outcome, HttpResponse):
            return outcome
        error = outcome
    invitation = _invitation(link, Invitation.Kind.TICKET_CSAT)
    if invitation is None:
        return _problem(request, "invalid", 404)
    stored = invitation.answer
    if stored is not None and not error:
        chosen = _answer_name(stored.score) or chosen
    context = {
        "invitation": invitation,
        "subject": invitation.ticket.subject if invitation.ticket else "",
        "chosen": chosen,
        "choices": list(links.CSAT_SCORES),
        "stored": stored,
        "saved": request.GET.get("saved") == "1" and stored is not None,
        "comment": request.POST.get("comment", "") if error else (stored.comment if stored else ""),
        "comment_max": actions.COMMENT_MAX,
        "error": error,
        "unsubscribe_url": _unsubscribe_path(invitation),
    }
    return _page(
        request, "answer", context, status=400 if error else 200, language=invitation.language
    )


def _unsubscribe_path(invitation: Invitation) -> str:
    return reverse("surveys:unsubscribe", args=[links.make_token(invitation, "unsubscribe")])


def _score(raw: str | None, low: int, high: int) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if low <= value <= high else None


@csrf_exempt
@require_http_methods(METHODS)
def relationship(request: HttpRequest, token: str) -> HttpResponse:
    """A relationship survey: overall satisfaction, optionally NPS, two open questions."""
    link = _read(request, token, "survey")
    if isinstance(link, HttpResponse):
        return link
    invitation = _invitation(link, Invitation.Kind.RELATIONSHIP)
    if invitation is None:
        return _problem(request, "invalid", 404)
    ask_nps = bool(invitation.campaign_id and invitation.campaign and invitation.campaign.ask_nps)
    error = ""
    if request.method == "POST":
        score = _score(request.POST.get("score"), *actions.RELATIONSHIP_SCALE)
        nps = _score(request.POST.get("nps"), *actions.NPS_SCALE) if ask_nps else None
        if score is None:
            error = "no_score"
        else:
            outcome = _store(
                request,
                lambda: actions.do_record_relationship(
                    link=link,
                    score=score,
                    nps=nps,
                    keep=request.POST.get("keep", ""),
                    change=request.POST.get("change", ""),
                    then=queue_after_answer,
                ),
            )
            if isinstance(outcome, HttpResponse):
                return outcome
            error = outcome
    stored = invitation.answer
    posted = request.POST if error else None
    context = {
        "invitation": invitation,
        "ask_nps": ask_nps,
        "scores": range(actions.RELATIONSHIP_SCALE[0], actions.RELATIONSHIP_SCALE[1] + 1),
        "nps_scores": range(actions.NPS_SCALE[0], actions.NPS_SCALE[1] + 1),
        "score": str(posted.get("score", "")) if posted else (str(stored.score) if stored else ""),
        "nps": str(posted.get("nps", ""))
        if posted
        else (str(invitation.nps_answer.score) if invitation.nps_answer else ""),
        "keep": posted.get("keep", "") if posted else invitation.keep_text,
        "change": posted.get("change", "") if posted else invitation.change_text,
        "saved": request.GET.get("saved") == "1" and stored is not None,
        "comment_max": actions.COMMENT_MAX,
        "error": error,
        "unsubscribe_url": _unsubscribe_path(invitation),
    }
    return _page(
        request, "relationship", context, status=400 if error else 200, language=invitation.language
    )


@csrf_exempt
@require_http_methods(METHODS)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: one button; POST (that button, or a mail client's RFC 8058 one-click): done."""
    link = _read(request, token, "unsubscribe")
    if isinstance(link, HttpResponse):
        return link
    invitation = Invitation.objects.filter(pk=link.invitation_id, key=link.key).first()
    if invitation is None:
        return _problem(request, "invalid", 404)
    done = False
    if request.method == "POST":
        actions.do_unsubscribe(link=link)
        done = True
    return _page(
        request,
        "unsubscribe",
        {"invitation": invitation, "done": done},
        language=invitation.language,
    )


@require_http_methods(["GET", "HEAD"])
def brand_css(request: HttpRequest) -> HttpResponse:
    """The provider's colours as CSS variables: the CSP allows no inline styles."""
    config: SurveySettings = actions.survey_settings()
    css = f":root{{--brand:{config.brand_colour};--accent:{config.accent_colour};}}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
