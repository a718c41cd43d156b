"""``{% own_api_tokens as tokens %}``: the settings page's list of the user's API tokens,
read here so that the settings view need not know about the api app."""

from __future__ import annotations

from typing import Any

from django import template

from solidground.api.models import ApiToken
from solidground.api.tokens import tokens_of

register = template.Library()


@register.simple_tag(takes_context=True)
def own_api_tokens(context: dict[str, Any]) -> list[ApiToken]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(tokens_of(user=user))
