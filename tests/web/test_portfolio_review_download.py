"""The portfolio review button before any analysis: one sentence, no empty PDF."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_without_an_analysis_the_portfolio_review_sends_the_user_back_with_a_sentence() -> None:
    owner = do_create_user(username="olga", password="a-long-test-password", role=Role.OWNER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)

    response = client.get(reverse("web:portfolio_review"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("web:portfolio")
    assert "There is no analysis yet to write a portfolio review of." in response.content.decode()
