"""API tokens on the settings page: a user creates and revokes their own tokens.

A new token's secret exists in the clear only between the POST that makes it and the next
page, which shows it once (it travels in the session, is removed as it is shown, and only
its hash is stored).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidground.api.models import ApiToken
from solidground.api.tokens import do_create_token, do_revoke_token, tokens_of
from solidground.web.access import dashboard_view

SESSION_KEY = "solidground:new-api-token"


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiToken.Scope.choices)


def _settings_tokens() -> str:
    return reverse("web:settings") + "#tokens"


@dashboard_view(methods=("POST",))
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the token a name and a scope."))
        return HttpResponseRedirect(_settings_tokens())
    new = do_create_token(
        user=request.user,  # type: ignore[arg-type]  # dashboard views are behind login
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
    )
    request.session[SESSION_KEY] = {"id": new.token.pk, "plain": new.plain}
    return HttpResponseRedirect(reverse("web:token_created"))


@dashboard_view
def token_created(request: HttpRequest) -> HttpResponse:
    shown = request.session.pop(SESSION_KEY, None)
    if not shown:
        # Shown once: a reload or a second tab finds nothing any more.
        return HttpResponseRedirect(_settings_tokens())
    token = tokens_of(user=request.user).filter(pk=shown["id"]).first()
    if token is None:
        return HttpResponseRedirect(_settings_tokens())
    return render(
        request,
        "web/settings/token_created.html",
        {"nav": "settings", "token": token, "plain": shown["plain"]},
    )


@dashboard_view(methods=("POST",))
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    # Only one's own tokens: another user's token id is a 404, as is an unknown one.
    token = tokens_of(user=request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    do_revoke_token(token=token)
    messages.success(request, gettext("The token %(name)s is revoked.") % {"name": token.name})
    return HttpResponseRedirect(_settings_tokens())
