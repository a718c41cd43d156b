"""Settings: one's own account and password for everyone; configuration and thresholds for
owner and manager; user management for the owner only."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role, UserRole
from solidground.customers.models import Customer
from solidground.insights.actions import analyze
from tests.factories import CustomerFactory
from tests.portfolio_fixtures import SmallPortfolio

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 4, 15, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The default hasher takes a noticeable fraction of a second per user on purpose; these
    # tests create many users and check permissions, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SETTINGS = "/settings/"


def make_user(name: str, role: Role, customers: list[Customer] | None = None) -> AbstractUser:
    return do_create_user(
        username=name,
        password=PASSWORD,
        role=role,
        customer_ids=[c.pk for c in customers or []],
    )


def client_of(user: AbstractUser, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def page(client: Client, url: str = SETTINGS) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


# -- everyone: their own account and password


def test_account_manager_sees_their_role_and_customers_but_not_the_configuration(
    small_portfolio: SmallPortfolio,
) -> None:
    anna = make_user("anna", Role.ACCOUNT_MANAGER, [small_portfolio.busy])

    text = page(client_of(anna))

    assert "anna" in text
    assert "account manager" in text
    assert "Müller Metallbau GmbH" in text
    assert "Praxis Dr. Schneider" not in text
    assert "SOLIDGROUND_CURRENCY" not in text
    assert "Create user" not in text


def test_account_manager_without_customers_is_told_to_ask_the_owner() -> None:
    anna = make_user("anna", Role.ACCOUNT_MANAGER)

    text = page(client_of(anna))

    assert "No customer is assigned to you yet" in text


def test_user_without_a_role_can_open_settings_and_sees_no_user_list() -> None:
    nobody = get_user_model().objects.create_user("nobody", password=PASSWORD)
    make_user("boss", Role.OWNER)

    text = page(client_of(nobody))

    assert "no role yet" in text
    assert "boss" not in text


def test_password_change_keeps_the_session_and_the_new_password_works() -> None:
    anna = make_user("anna", Role.ACCOUNT_MANAGER)
    client = client_of(anna)

    response = client.post(
        reverse("web:settings_password"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-password",
            "new_password2": "another-long-password",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "Your password was changed." in messages_of(response)
    assert client.get(SETTINGS).status_code == 200  # still logged in
    anna.refresh_from_db()
    assert anna.check_password("another-long-password")


def test_password_change_with_a_wrong_current_password_changes_nothing() -> None:
    anna = make_user("anna", Role.ACCOUNT_MANAGER)

    response = client_of(anna).post(
        reverse("web:settings_password"),
        {
            "old_password": "not-my-password",
            "new_password1": "another-long-password",
            "new_password2": "another-long-password",
        },
    )

    assert response.status_code == 400
    assert "Your old password was entered incorrectly" in response.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)


def test_weak_new_password_is_refused_with_the_validators_sentence() -> None:
    anna = make_user("anna", Role.ACCOUNT_MANAGER)

    response = client_of(anna).post(
        reverse("web:settings_password"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )

    assert response.status_code == 400
    assert "This password is too short." in response.content.decode()
    anna.refresh_from_db()
    assert anna.check_password(PASSWORD)


# -- owner and manager: configuration and thresholds


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owner_and_manager_see_the_configuration_with_variable_names(role: Role) -> None:
    user = make_user("someone", role)

    text = page(client_of(user))

    for variable, value in [
        ("SOLIDGROUND_CURRENCY", "EUR"),
        ("SOLIDGROUND_TIME_ZONE", "Europe/Berlin"),
        ("SOLIDGROUND_LANGUAGE", "Deutsch (de)"),
        ("SOLIDGROUND_LOADED_COST_PER_HOUR", "62.00 EUR"),
        ("SOLIDGROUND_PORTFOLIO_MONTHS", "12"),
        ("SOLIDGROUND_LOGIN_FAILURE_LIMIT", "5"),
        ("SOLIDGROUND_LOGIN_LOCKOUT_MINUTES", "15 minutes"),
        ("SOLIDGROUND_IMPORT_MAX_UPLOAD_MB", "50 MB"),
        ("SOLIDGROUND_PRODUCTION", "no"),
    ]:
        assert variable in text
        assert value in text, variable


def test_configuration_speaks_german_with_german_numbers() -> None:
    owner = make_user("owner", Role.OWNER)

    text = page(client_of(owner, "de"))

    assert 'lang="de"' in text
    assert "62,00 EUR" in text


def test_thresholds_of_the_last_analysis_are_a_readable_table(
    small_portfolio: SmallPortfolio,
) -> None:
    analyze(now=NOW)
    manager = make_user("manager", Role.MANAGER)

    text = page(client_of(manager))

    assert "SLA compliance expected" in text
    assert "90%" in text  # sla_target 0.9, as a share
    assert "Reopens: share from" in text
    assert "250 EUR" in text  # out_of_scope_min_value, as money
    assert '"sla_target"' not in text  # not raw JSON


def test_before_any_analysis_the_thresholds_say_what_to_run() -> None:
    owner = make_user("owner", Role.OWNER)

    text = page(client_of(owner))

    assert "No analysis has finished yet" in text


# -- the user list


def test_owner_sees_every_user_with_role_state_and_customer_count(
    small_portfolio: SmallPortfolio,
) -> None:
    owner = make_user("owner", Role.OWNER)
    make_user("anna", Role.ACCOUNT_MANAGER, [small_portfolio.busy, small_portfolio.silent])
    bert = make_user("bert", Role.MANAGER)
    bert.is_active = False
    bert.save()

    response = client_of(owner).get(SETTINGS)

    rows = {row.username: row for row in response.context["users"]}
    assert set(rows) == {"owner", "anna", "bert"}
    assert rows["anna"].customers == 2
    assert rows["anna"].role == Role.ACCOUNT_MANAGER
    assert not rows["bert"].is_active
    text = response.content.decode()
    assert "deactivated" in text
    assert "never" in text  # nobody but the owner has logged in
    assert "Assign customers" in text


def test_manager_sees_the_user_list_read_only() -> None:
    make_user("owner", Role.OWNER)
    manager = make_user("manager", Role.MANAGER)

    text = page(client_of(manager))

    assert "owner" in text
    assert "Only the owner manages users" in text
    assert "Set role" not in text
    assert "Deactivate" not in text
    assert "Create user" not in text


# -- creating users


def test_owner_creates_an_account_manager_and_goes_on_to_assign_customers() -> None:
    owner = make_user("owner", Role.OWNER)

    response = client_of(owner).post(
        reverse("web:user_create"),
        {
            "username": "carla",
            "email": "carla@example.com",
            "role": "account_manager",
            "password1": "carla-initial-password",
            "password2": "carla-initial-password",
        },
    )

    carla = get_user_model().objects.get(username="carla")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:user_customers", args=[carla.pk])
    assert carla.email == "carla@example.com"
    assert carla.check_password("carla-initial-password")
    assert UserRole.objects.get(user=carla).role == Role.ACCOUNT_MANAGER
    assert not carla.is_staff


def test_a_new_owner_gets_the_admin() -> None:
    owner = make_user("owner", Role.OWNER)

    client_of(owner).post(
        reverse("web:user_create"),
        {
            "username": "dora",
            "role": "owner",
            "password1": "dora-initial-password",
            "password2": "dora-initial-password",
        },
    )

    dora = get_user_model().objects.get(username="dora")
    assert dora.is_staff
    assert dora.is_superuser


@pytest.mark.parametrize(
    ("data", "field", "sentence"),
    [
        ({"username": "OWNER"}, "username", "A user with that username already exists."),
        ({"username": "bad name!"}, "username", "Enter a valid username."),
        (
            {"password1": "short", "password2": "short"},
            "password2",
            "This password is too short.",
        ),
        (
            {"password1": "password123", "password2": "password123"},
            "password2",
            "This password is too common.",
        ),
        (
            {"password2": "a-different-password"},
            "password2",
            "The two password fields didn’t match.",
        ),
        ({"role": "superuser"}, "role", "Select a valid choice."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ],
)
def test_user_creation_errors_are_shown_at_their_field_and_nothing_is_created(
    data: dict[str, str], field: str, sentence: str
) -> None:
    owner = make_user("owner", Role.OWNER)
    form = {
        "username": "erik",
        "role": "manager",
        "password1": "erik-initial-password",
        "password2": "erik-initial-password",
        **data,
    }

    response = client_of(owner).post(reverse("web:user_create"), form)

    assert response.status_code == 400
    errors = response.context["new_user_form"].errors
    assert any(sentence in error for error in errors[field]), errors
    assert sentence in html.unescape(response.content.decode())
    assert get_user_model().objects.count() == 1


# -- roles and active flag


def test_owner_changes_a_role_and_the_admin_follows() -> None:
    owner = make_user("owner", Role.OWNER)
    bert = make_user("bert", Role.MANAGER)
    client = client_of(owner)

    client.post(reverse("web:user_role", args=[bert.pk]), {"role": "owner"})
    bert.refresh_from_db()
    assert UserRole.objects.get(user=bert).role == Role.OWNER
    assert bert.is_superuser

    client.post(reverse("web:user_role", args=[bert.pk]), {"role": "account_manager"})
    bert.refresh_from_db()
    assert UserRole.objects.get(user=bert).role == Role.ACCOUNT_MANAGER
    assert not bert.is_superuser
    assert not bert.is_staff


def test_last_active_owner_cannot_demote_or_deactivate_themselves() -> None:
    owner = make_user("owner", Role.OWNER)
    client = client_of(owner)

    demote = client.post(
        reverse("web:user_role", args=[owner.pk]), {"role": "manager"}, follow=True
    )
    deactivate = client.post(
        reverse("web:user_active", args=[owner.pk]), {"active": "false"}, follow=True
    )

    sentence = (
        "owner is the last active owner: make another user owner first, so that someone can "
        "still manage users."
    )
    assert sentence in messages_of(demote)
    assert sentence in messages_of(deactivate)
    owner.refresh_from_db()
    assert owner.is_active
    assert UserRole.objects.get(user=owner).role == Role.OWNER


def test_with_a_second_owner_an_owner_may_step_down() -> None:
    owner = make_user("owner", Role.OWNER)
    make_user("second", Role.OWNER)

    client_of(owner).post(reverse("web:user_role", args=[owner.pk]), {"role": "manager"})

    assert UserRole.objects.get(user=owner).role == Role.MANAGER


def test_an_inactive_owner_does_not_count_as_the_remaining_owner() -> None:
    owner = make_user("owner", Role.OWNER)
    second = make_user("second", Role.OWNER)
    second.is_active = False
    second.save()

    client_of(owner).post(reverse("web:user_active", args=[owner.pk]), {"active": "false"})

    owner.refresh_from_db()
    assert owner.is_active


def test_a_deactivated_user_is_logged_out_and_cannot_log_in_until_reactivated() -> None:
    owner = make_user("owner", Role.OWNER)
    anna = make_user("anna", Role.ACCOUNT_MANAGER)
    annas_browser = client_of(anna)

    client_of(owner).post(reverse("web:user_active", args=[anna.pk]), {"active": "false"})

    assert annas_browser.get(SETTINGS).status_code == 302
    refused = Client().post("/login/", {"username": "anna", "password": PASSWORD})
    assert refused.status_code == 200  # the login form again, with its error

    client_of(owner).post(reverse("web:user_active", args=[anna.pk]), {"active": "true"})
    again = Client().post("/login/", {"username": "anna", "password": PASSWORD})
    assert again.status_code == 302


@pytest.mark.parametrize(
    ("url_name", "data"),
    [("user_role", {"role": "superuser"}), ("user_active", {"active": "maybe"})],
)
def test_malformed_changes_say_so_and_change_nothing(url_name: str, data: dict[str, str]) -> None:
    owner = make_user("owner", Role.OWNER)
    bert = make_user("bert", Role.MANAGER)

    response = client_of(owner).post(reverse(f"web:{url_name}", args=[bert.pk]), data, follow=True)

    assert response.status_code == 200
    assert messages_of(response)
    bert.refresh_from_db()
    assert bert.is_active
    assert UserRole.objects.get(user=bert).role == Role.MANAGER


def test_changing_an_unknown_user_is_not_found() -> None:
    owner = make_user("owner", Role.OWNER)
    client = client_of(owner)

    assert (
        client.post(reverse("web:user_role", args=[999999]), {"role": "owner"}).status_code == 404
    )
    assert client.get(reverse("web:user_customers", args=[999999])).status_code == 404
    assert client.get("/settings/users/99999999999999999999999/customers/").status_code == 404


def test_user_management_is_post_only() -> None:
    owner = make_user("owner", Role.OWNER)

    assert client_of(owner).get(reverse("web:user_create")).status_code == 405


# -- assigning customers


def test_owner_assigns_customers_and_the_account_manager_then_sees_them(
    small_portfolio: SmallPortfolio,
) -> None:
    owner = make_user("owner", Role.OWNER)
    anna = make_user("anna", Role.ACCOUNT_MANAGER)
    url = reverse("web:user_customers", args=[anna.pk])
    busy, silent = small_portfolio.busy, small_portfolio.silent

    response = client_of(owner).post(
        url, {"shown": f"{busy.pk},{silent.pk}", "customer": [str(busy.pk)]}, follow=True
    )

    assert "Saved: 1 customers assigned to anna, 0 taken away." in messages_of(response)
    text = page(client_of(anna))
    assert "Müller Metallbau GmbH" in text
    assert "Praxis Dr. Schneider" not in text


def test_unticking_takes_a_customer_away(small_portfolio: SmallPortfolio) -> None:
    owner = make_user("owner", Role.OWNER)
    anna = make_user("anna", Role.ACCOUNT_MANAGER, [small_portfolio.busy])

    client_of(owner).post(
        reverse("web:user_customers", args=[anna.pk]), {"shown": str(small_portfolio.busy.pk)}
    )

    small_portfolio.busy.refresh_from_db()
    assert small_portfolio.busy.account_manager_id is None


def test_saving_a_search_changes_only_the_customers_shown() -> None:
    owner = make_user("owner", Role.OWNER)
    anna = make_user("anna", Role.ACCOUNT_MANAGER)
    kept = CustomerFactory(name="Bäckerei Huber")
    found = CustomerFactory(name="Müller Metallbau GmbH")
    Customer.objects.filter(pk=kept.pk).update(account_manager=anna)
    url = reverse("web:user_customers", args=[anna.pk])
    client = client_of(owner)

    listing = client.get(url, {"q": "müller"})  # a lower-case umlaut finds "Müller"
    shown = listing.context["shown"]
    client.post(url, {"q": "müller", "shown": shown, "customer": [str(found.pk)]})

    assert shown == str(found.pk)
    assert set(Customer.objects.filter(account_manager=anna).values_list("name", flat=True)) == {
        "Bäckerei Huber",
        "Müller Metallbau GmbH",
    }


def test_assigning_moves_a_customer_from_its_previous_account_manager(
    small_portfolio: SmallPortfolio,
) -> None:
    owner = make_user("owner", Role.OWNER)
    make_user("anna", Role.ACCOUNT_MANAGER, [small_portfolio.busy])
    bert = make_user("bert", Role.ACCOUNT_MANAGER)
    url = reverse("web:user_customers", args=[bert.pk])

    listing = page(client_of(owner), url)
    client_of(owner).post(
        url, {"shown": str(small_portfolio.busy.pk), "customer": [str(small_portfolio.busy.pk)]}
    )

    assert "now anna" in listing
    small_portfolio.busy.refresh_from_db()
    assert small_portfolio.busy.account_manager_id == bert.pk


def test_unknown_or_malformed_customer_ids_change_nothing(
    small_portfolio: SmallPortfolio,
) -> None:
    owner = make_user("owner", Role.OWNER)
    anna = make_user("anna", Role.ACCOUNT_MANAGER)
    url = reverse("web:user_customers", args=[anna.pk])
    busy = small_portfolio.busy

    unknown = client_of(owner).post(
        url, {"shown": f"{busy.pk},999999", "customer": [str(busy.pk), "999999"]}, follow=True
    )
    malformed = client_of(owner).post(
        url, {"shown": "x,;--", "customer": ["abc", str(busy.pk)]}, follow=True
    )

    assert "No customer with id 999999." in messages_of(unknown)
    assert malformed.status_code == 200
    assert not Customer.objects.filter(account_manager=anna).exists()


def test_customers_are_not_assigned_to_a_manager(small_portfolio: SmallPortfolio) -> None:
    owner = make_user("owner", Role.OWNER)
    bert = make_user("bert", Role.MANAGER)
    url = reverse("web:user_customers", args=[bert.pk])
    busy = small_portfolio.busy

    text = page(client_of(owner), url)
    response = client_of(owner).post(
        url, {"shown": str(busy.pk), "customer": [str(busy.pk)]}, follow=True
    )

    assert "is not an account manager" in text
    assert any("Only account managers are given customers" in m for m in messages_of(response))
    busy.refresh_from_db()
    assert busy.account_manager_id is None


def test_five_hundred_customers_fit_one_page_with_few_queries(
    django_assert_max_num_queries: object,
) -> None:
    owner = make_user("owner", Role.OWNER)
    anna = make_user("anna", Role.ACCOUNT_MANAGER)
    Customer.objects.bulk_create(Customer(name=f"Kunde {i:03d} GmbH") for i in range(500))
    ids = list(Customer.objects.values_list("pk", flat=True))
    url = reverse("web:user_customers", args=[anna.pk])
    client = client_of(owner)

    with django_assert_max_num_queries(12):  # type: ignore[operator]
        listing = client.get(url)
    client.post(url, {"shown": listing.context["shown"], "customer": [str(i) for i in ids]})

    assert listing.content.decode().count('name="customer"') == 500
    assert Customer.objects.filter(account_manager=anna).count() == 500


def test_customer_names_are_escaped() -> None:
    owner = make_user("owner", Role.OWNER)
    anna = make_user("anna", Role.ACCOUNT_MANAGER)
    evil = CustomerFactory(name='<script>alert("x")</script> GmbH')
    Customer.objects.filter(pk=evil.pk).update(account_manager=anna)

    owners_view = page(client_of(owner), reverse("web:user_customers", args=[anna.pk]))
    annas_view = page(client_of(anna))

    for text in (owners_view, annas_view):
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert" in text


# -- who may write


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ACCOUNT_MANAGER, None])
def test_only_the_owner_may_change_users(
    role: Role | None, small_portfolio: SmallPortfolio
) -> None:
    make_user("owner", Role.OWNER)
    target = make_user("target", Role.ACCOUNT_MANAGER)
    if role is None:
        actor = get_user_model().objects.create_user("actor", password=PASSWORD)
    else:
        actor = make_user("actor", role)
    client = client_of(actor)
    busy = str(small_portfolio.busy.pk)

    answers = [
        client.post(
            reverse("web:user_create"),
            {"username": "x", "role": "owner", "password1": PASSWORD, "password2": PASSWORD},
        ),
        client.post(reverse("web:user_role", args=[target.pk]), {"role": "owner"}),
        client.post(reverse("web:user_active", args=[target.pk]), {"active": "false"}),
        client.post(
            reverse("web:user_customers", args=[target.pk]), {"shown": busy, "customer": busy}
        ),
        client.get(reverse("web:user_customers", args=[target.pk])),
    ]

    assert [a.status_code for a in answers] == [403] * 5
    target.refresh_from_db()
    assert target.is_active
    assert UserRole.objects.get(user=target).role == Role.ACCOUNT_MANAGER
    assert not get_user_model().objects.filter(username="x").exists()
    assert not Customer.objects.filter(account_manager=target).exists()
