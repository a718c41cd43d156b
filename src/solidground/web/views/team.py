"""Settings and users: one's own account and password; the configuration and the thresholds of
the last analysis (owner and manager, read-only); user management (owner).

Every write is a POST to its own URL, checks the viewer, and goes through accounts.actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from solidground.accounts import actions
from solidground.accounts.forms import ActiveForm, NewUserForm, OwnPasswordForm, RoleForm
from solidground.accounts.models import Role
from solidground.accounts.selectors import (
    UserRow,
    Viewer,
    assignable_customers,
    own_account,
    users,
)
from solidground.insights import formatting
from solidground.insights.selectors.common import last_analysis
from solidground.web.access import dashboard_view, require, viewer_of

# A search for customers longer than any name is a mistake, not a search.
MAX_QUERY = 200


@dataclass(frozen=True)
class Setting:
    label: str
    value: str
    variable: str


def _yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def _configuration() -> list[Setting]:
    """The settings an owner asks about, as they are, with the variable that sets each."""
    language = dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)
    engine = str(settings.DATABASES["default"]["ENGINE"])
    database = "PostgreSQL" if "postgresql" in engine else "SQLite"
    # AXES_COOLOFF_TIME is in hours (django-axes); the variable is in minutes.
    lockout_minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    return [
        Setting(gettext("Currency"), settings.CURRENCY, "SOLIDGROUND_CURRENCY"),
        Setting(gettext("Provider time zone"), settings.TIME_ZONE, "SOLIDGROUND_TIME_ZONE"),
        Setting(
            gettext("Default language"),
            f"{language} ({settings.LANGUAGE_CODE})",
            "SOLIDGROUND_LANGUAGE",
        ),
        Setting(
            gettext("Loaded cost per hour"),
            formatting.money(Decimal(settings.LOADED_COST_PER_HOUR), 2),
            "SOLIDGROUND_LOADED_COST_PER_HOUR",
        ),
        Setting(
            gettext("Months on the portfolio page"),
            formatting.count(settings.PORTFOLIO_MONTHS),
            "SOLIDGROUND_PORTFOLIO_MONTHS",
        ),
        Setting(
            gettext("Failed logins before a lockout"),
            formatting.count(settings.AXES_FAILURE_LIMIT),
            "SOLIDGROUND_LOGIN_FAILURE_LIMIT",
        ),
        Setting(
            gettext("Lockout after failed logins"),
            gettext("%(minutes)s minutes") % {"minutes": formatting.count(lockout_minutes)},
            "SOLIDGROUND_LOGIN_LOCKOUT_MINUTES",
        ),
        Setting(
            gettext("Logged out after this long without a request"),
            gettext("%(minutes)s minutes")
            % {"minutes": formatting.count(settings.SESSION_IDLE_MINUTES)},
            "SOLIDGROUND_SESSION_IDLE_MINUTES",
        ),
        Setting(
            gettext("Largest import upload"),
            f"{formatting.count(settings.IMPORT_MAX_UPLOAD_MB)} MB",
            "SOLIDGROUND_IMPORT_MAX_UPLOAD_MB",
        ),
        Setting(gettext("Database"), database, "SOLIDGROUND_DATABASE_URL"),
        Setting(
            gettext("Production mode (secure cookies, explicit secret key)"),
            _yes_no(settings.PRODUCTION),
            "SOLIDGROUND_PRODUCTION",
        ),
    ]


# How each stored threshold reads: label and unit. Keys come from SegmentThresholds and
# FindingThresholds (engine); an unknown key (a newer engine) is shown with its name.
SHARE, RATIO, WHOLE, MONEY, LEVEL = "share", "ratio", "whole", "money", "level"
THRESHOLDS: dict[str, dict[str, tuple[Promise, str]]] = {
    "segments": {
        "window_quarters": (_("Quarters a segment looks back"), WHOLE),
        "sla_target": (_("SLA compliance expected"), SHARE),
        "sla_min_missed": (_("At risk: late tickets, at least"), WHOLE),
        "unhappy_share": (_("At risk: unhappy answers from"), SHARE),
        "unhappy_floor": (_("… and the interval's lower bound above"), SHARE),
        "unhappy_min_answers": (_("… with at least this many unhappy answers"), WHOLE),
        "risk_alpha": (_("At risk: significance level of the reliability and answer tests"), LEVEL),
        "falling_alpha": (_("Falling CSAT: significance level"), LEVEL),
        "noticed_share": (_("At risk: tickets noticed negatively from"), SHARE),
        "noticed_floor": (_("… and the interval's lower bound above"), SHARE),
        "goodwill_share": (_("Service trap: goodwill share of hours from"), SHARE),
        "goodwill_creep_floor": (_("Service trap: rising goodwill share from"), SHARE),
        "contact_high": (_("Service trap: contacts per seat, times the portfolio median"), RATIO),
        "ticket_rise": (_("Service trap: ticket increase from"), SHARE),
        "margin_fall": (_("Service trap: margin fall from (points)"), SHARE),
        "margin_low": (_("Service trap: margin below"), SHARE),
        "margin_negative": (_("Unprofitable: margin below"), SHARE),
        "quiet_contact": (_("Quiet: contacts per seat under, times the portfolio median"), RATIO),
        "min_history_quarters": (_("Quarters needed to compare with the past"), WHOLE),
        "margin_thin": (_("Solid: margin at least"), SHARE),
        "near_sla": (_("Watch: SLA compliance under"), SHARE),
        "near_unhappy": (_("Watch: unhappy answers from"), SHARE),
        "near_noticed": (_("Watch: tickets noticed negatively from"), SHARE),
        "watch_near_misses": (_("Watch: near misses, at least"), WHOLE),
    },
    "findings": {
        "months": (_("Months a finding looks back"), WHOLE),
        "out_of_scope_min_tickets": (_("Free out-of-scope work: tickets from"), WHOLE),
        "out_of_scope_min_value": (_("Free out-of-scope work: value from"), MONEY),
        "price_step": (_("Suggested monthly price rounded up to"), MONEY),
        "reopen_share": (_("Reopens: share from"), SHARE),
        "reopen_floor": (_("… and the interval's lower bound above"), SHARE),
        "ticket_rise": (_("Tickets up: increase from"), SHARE),
    },
}
THRESHOLD_GROUPS: dict[str, Promise] = {
    "segments": _("Segments"),
    "findings": _("Findings"),
}


@dataclass(frozen=True)
class Threshold:
    label: str
    value: str
    key: str


def _threshold_value(value: object, unit: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return str(value)
    try:
        number = float(value)
    except ValueError:
        return str(value)
    if unit == SHARE:
        return formatting.percent(number)
    if unit == RATIO:
        return formatting.number(number, 1)
    if unit == MONEY:
        return formatting.money(number)
    if unit == LEVEL:
        return formatting.number(number, 2)
    return formatting.number(number, 0 if number == int(number) else 2)


def _thresholds(stored: object) -> list[tuple[str, list[Threshold]]]:
    """The last analysis's thresholds as labelled, formatted rows, grouped."""
    if not isinstance(stored, dict):
        return []
    groups = []
    for group, values in stored.items():
        if not isinstance(values, dict):
            continue
        known = THRESHOLDS.get(group, {})
        rows = []
        for key, value in values.items():
            label, unit = known.get(key, (key, WHOLE))
            rows.append(Threshold(str(label), _threshold_value(value, unit), key))
        groups.append((str(THRESHOLD_GROUPS.get(group, group)), rows))
    return groups


def _settings_context(
    request: HttpRequest,
    viewer: Viewer,
    *,
    password_form: OwnPasswordForm | None = None,
    new_user_form: NewUserForm | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "nav": "settings",
        "account": own_account(viewer=viewer),
        "password_form": password_form or OwnPasswordForm(user=request.user),
    }
    if viewer.sees_all_customers:
        run = last_analysis()
        context.update(
            {
                "configuration": _configuration(),
                "analysis": run,
                "thresholds": _thresholds(run.thresholds) if run is not None else [],
                "users": users(viewer=viewer),
                "roles": Role.choices,
            }
        )
    if viewer.can_manage_users:
        context["new_user_form"] = new_user_form or NewUserForm()
    return context


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # dashboard views are behind login
    return user


@dashboard_view
def settings_page(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    return render(request, "web/settings.html", _settings_context(request, viewer))


@dashboard_view(methods=("POST",))
def change_password(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    user = _user(request)
    form = OwnPasswordForm(user=user, data=request.POST)
    if not form.is_valid():
        context = _settings_context(request, viewer, password_form=form)
        return render(request, "web/settings.html", context, status=400)
    actions.do_change_password(user_id=int(user.pk), password=form.cleaned_data["new_password1"])
    user.refresh_from_db()
    # Keeps this session logged in; the user's other sessions end with the old password.
    update_session_auth_hash(request, user)
    messages.success(request, gettext("Your password was changed."))
    return HttpResponseRedirect(reverse("web:settings"))


def _managed_user(viewer: Viewer, user_id: int) -> UserRow:
    rows = users(viewer=viewer, user_id=user_id)
    if not rows:
        raise Http404
    return rows[0]


@require(lambda viewer: viewer.can_manage_users, methods=("POST",))
def create_user(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    form = NewUserForm(data=request.POST)
    if not form.is_valid():
        context = _settings_context(request, viewer, new_user_form=form)
        return render(request, "web/settings.html", context, status=400)
    role = Role(form.cleaned_data["role"])
    user = actions.do_create_user(
        username=form.cleaned_data["username"],
        password=form.cleaned_data["password1"],
        role=role,
        email=form.cleaned_data["email"],
    )
    messages.success(
        request,
        gettext(
            "Created %(name)s (%(role)s). Give them the initial password; they can change it "
            "under Settings."
        )
        % {"name": user.get_username(), "role": role.label},
    )
    if role == Role.ACCOUNT_MANAGER:
        # An account manager without customers sees an empty portfolio: assign them next.
        return HttpResponseRedirect(reverse("web:user_customers", args=[user.pk]))
    return HttpResponseRedirect(reverse("web:settings"))


@require(lambda viewer: viewer.can_manage_users, methods=("POST",))
def set_role(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    target = _managed_user(viewer, user_id)
    form = RoleForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of the roles."))
    else:
        role = Role(form.cleaned_data["role"])
        try:
            actions.do_set_role(user_id=target.id, role=role)
        except actions.LastOwnerError as exc:
            messages.error(request, str(exc))
        else:
            if role != target.role:
                messages.success(
                    request,
                    gettext("%(name)s is now %(role)s.")
                    % {"name": target.username, "role": role.label},
                )
    return HttpResponseRedirect(reverse("web:settings"))


@require(lambda viewer: viewer.can_manage_users, methods=("POST",))
def set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = viewer_of(request)
    target = _managed_user(viewer, user_id)
    form = ActiveForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Nothing was changed: the form was incomplete."))
        return HttpResponseRedirect(reverse("web:settings"))
    active: bool = form.cleaned_data["active"]
    try:
        actions.do_set_active(user_id=target.id, active=active)
    except actions.LastOwnerError as exc:
        messages.error(request, str(exc))
    else:
        text = (
            gettext("%(name)s can log in again.")
            if active
            else gettext("%(name)s is deactivated and can no longer log in.")
        )
        messages.success(request, text % {"name": target.username})
    return HttpResponseRedirect(reverse("web:settings"))


def _ids(values: list[str]) -> set[int]:
    """Customer ids from a form; anything that is not a whole number is ignored."""
    found = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part.isdigit() and len(part) < 19:
                found.add(int(part))
    return found


@require(lambda viewer: viewer.can_manage_users, methods=("GET", "HEAD", "POST"))
def user_customers(request: HttpRequest, user_id: int) -> HttpResponse:
    """The customers of one account manager: a searchable checkbox list (usable with
    hundreds of customers: the search narrows the list, and saving changes only the
    customers shown)."""
    viewer = viewer_of(request)
    target = _managed_user(viewer, user_id)
    query = (request.POST if request.method == "POST" else request.GET).get("q", "")
    query = query.strip()[:MAX_QUERY]
    back = reverse("web:user_customers", args=[target.id])
    if query:
        back += "?" + urlencode({"q": query})
    if request.method == "POST":
        try:
            result = actions.do_set_customers(
                user_id=target.id,
                customer_ids=_ids(request.POST.getlist("customer")),
                among=_ids(request.POST.getlist("shown")),
            )
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                gettext("Saved: %(added)s customers assigned to %(name)s, %(removed)s taken away.")
                % {"added": result.added, "removed": result.removed, "name": target.username},
            )
        return HttpResponseRedirect(back)
    customers = assignable_customers(viewer=viewer, user_id=target.id, query=query)
    context = {
        "nav": "settings",
        "target": target,
        "is_account_manager": target.role == Role.ACCOUNT_MANAGER,
        "customers": customers,
        "shown": ",".join(str(c.id) for c in customers),
        "assigned": sum(1 for c in customers if c.assigned),
        "query": query,
    }
    return render(request, "web/settings.html", context)
