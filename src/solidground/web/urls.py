from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from solidground.web.views import (
    customer,
    findings,
    imports,
    portfolio,
    renewals,
    reports,
    sla,
    surveys,
    team,
    thesis,
    tokens,
)

app_name = "web"
urlpatterns = [
    path("", portfolio.portfolio, name="portfolio"),
    path("portfolio.csv", portfolio.portfolio_csv, name="portfolio_csv"),
    path("portfolio/review.pdf", reports.portfolio_review_pdf, name="portfolio_review"),
    path("customers/<int:customer_id>/", customer.customer, name="customer"),
    path(
        "customers/<int:customer_id>/review.pdf",
        reports.customer_review_pdf,
        name="customer_review",
    ),
    path("sla/", sla.sla, name="sla"),
    path("sla.csv", sla.sla_csv, name="sla_csv"),
    path("findings/", findings.findings, name="findings"),
    path("renewals/", renewals.renewals, name="renewals"),
    path("thesis/", thesis.thesis, name="thesis"),
    path("findings/<int:finding_id>/decide/", findings.decide, name="finding_decide"),
    path("imports/", imports.imports, name="imports"),
    path("imports/upload/", imports.upload, name="import_upload"),
    path("imports/jobs/<int:job_id>/", imports.job, name="import_job"),
    path("imports/runs/<int:run_id>/rejects.csv", imports.rejects, name="import_rejects"),
    path("surveys/", surveys.surveys, name="surveys"),
    path("surveys/campaigns/", surveys.campaign_create, name="survey_campaign_create"),
    path("settings/", team.settings_page, name="settings"),
    path("settings/surveys/", surveys.survey_settings, name="survey_settings"),
    path("settings/password/", team.change_password, name="settings_password"),
    path("settings/users/", team.create_user, name="user_create"),
    path("settings/users/<int:user_id>/role/", team.set_role, name="user_role"),
    path("settings/users/<int:user_id>/active/", team.set_active, name="user_active"),
    path("settings/users/<int:user_id>/customers/", team.user_customers, name="user_customers"),
    path("settings/tokens/", tokens.token_create, name="token_create"),
    path("settings/tokens/new/", tokens.token_created, name="token_created"),
    path("settings/tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path(
        "favicon.ico",
        # Like every other route: read-only methods, anything else is 405.
        RedirectView.as_view(
            url=static("solidground/favicon.svg"),
            permanent=True,
            http_method_names=["get", "head"],
        ),
        name="favicon",
    ),
]
