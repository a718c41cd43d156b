"""The surveys page (invitations, response rate, answers and comments by customer and
technician, campaign results), starting a relationship campaign, and the survey settings.

Reads go through ``surveys.selectors`` with the viewer; writes through ``surveys.actions``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext

from solidground.insights.selectors.sla import visible_customers
from solidground.surveys import actions
from solidground.surveys.forms import CampaignForm, SurveySettingsForm
from solidground.surveys.selectors import segment_customer_ids, surveys_page
from solidground.web.access import dashboard_view, require, viewer_of
from solidground.web.params import int_or_none

DAYS_CHOICES = (30, 90, 365)


def _page(
    request: HttpRequest, form: CampaignForm | None = None, status: int = 200
) -> HttpResponse:
    viewer = viewer_of(request)
    days = int_or_none(request.GET.get("days", "")) or 90
    if days not in DAYS_CHOICES:
        days = 90
    customers = visible_customers(viewer=viewer)
    if form is None and viewer.sees_all_customers:
        form = CampaignForm(customers=customers)
    context = {
        "nav": "surveys",
        "page": surveys_page(viewer=viewer, days=days),
        "days_choices": DAYS_CHOICES,
        "campaign_form": form if viewer.sees_all_customers else None,
        "settings": actions.survey_settings(),
    }
    return render(request, "web/surveys.html", context, status=status)


@dashboard_view
def surveys(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require(lambda viewer: viewer.sees_all_customers, methods=("POST",))
def campaign_create(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = CampaignForm(request.POST, customers=visible_customers(viewer=viewer))
    if not form.is_valid():
        return _page(request, form, status=400)
    customer_id = form.cleaned_data["customer"]
    segment = form.cleaned_data["segment"] or ""
    customer_ids = [customer_id] if customer_id else segment_customer_ids(segment)
    campaign, report = actions.do_start_campaign(
        name=form.cleaned_data["name"],
        customer_ids=customer_ids,
        customer_id=customer_id,
        segment="" if customer_id else segment,
        ask_nps=form.cleaned_data["ask_nps"],
        user=request.user if request.user.is_authenticated else None,
    )
    if report.queued:
        from solidground.surveys.tasks import send_invitations

        send_invitations.enqueue()
    messages.success(
        request,
        gettext("Campaign “%(name)s” started: %(count)s decision makers invited.")
        % {"name": campaign.name, "count": report.queued},
    )
    return HttpResponseRedirect(reverse("web:surveys"))


@require(lambda viewer: viewer.is_owner, methods=("GET", "HEAD", "POST"))
def survey_settings(request: HttpRequest) -> HttpResponse:
    current = actions.survey_settings()
    if request.method == "POST":
        form = SurveySettingsForm(request.POST, instance=current)
        if form.is_valid():
            form.save()
            messages.success(request, gettext("The survey settings were saved."))
            return HttpResponseRedirect(reverse("web:survey_settings"))
        status = 400
    else:
        form = SurveySettingsForm(instance=current)
        status = 200
    context = {"nav": "settings", "form": form}
    return render(request, "web/surveys_settings.html", context, status=status)
