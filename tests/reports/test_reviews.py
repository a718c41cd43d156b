"""Service reviews of the demo provider, read as a customer and as the provider would.

For a service-trap, an at-risk, a quiet and a solid customer, in German and English: the PDF's
text carries the stored goodwill hours and value and the stored SLA shares with their
intervals; the customer version names no margin and no segment; the internal one does. Page 1
of each PDF is rendered to PNG under test-artifacts/reports/ for a person to look at.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.accounts.selectors import Viewer
from solidground.contracts.models import Contract
from solidground.customers.models import Customer
from solidground.insights import formatting
from solidground.insights.charts.customer import rate_text
from solidground.insights.models import CustomerPeriod, PeriodKind
from solidground.insights.selectors.common import Rate
from solidground.reports.periods import parse_period
from solidground.reports.render import customer_file, customer_html
from solidground.reports.selectors import customer_review
from tests.reports.conftest import QUARTER, SEGMENTS, Demo

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
# Words that must never reach a customer: margins, internal costs, segment names.
INTERNAL_WORDS = {
    "en": ["margin", "segment", "service trap", "at risk", "unprofitable", "cost to serve"],
    "de": ["Marge", "Segment", "Servicefalle", "gefährdet", "unrentabel", "Betreuungskosten"],
}


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    # pypdf breaks lines where the PDF does, and a line may break after a dash inside a
    # figure ("70 %–" / "100 %"): whitespace is dropped here and in ``norm``.
    return "".join(text.split())


def norm(text: str) -> str:
    """Text as ``pdf_text`` leaves it: without whitespace (no-break spaces included)."""
    return "".join(text.split())


def page_one_png(data: bytes, name: str) -> Path | None:
    """Page 1 as PNG (pdftoppm from poppler-utils), kept as a test artifact."""
    if shutil.which("pdftoppm") is None:
        return None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(ARTIFACTS / name),
        ],
        check=True,
        timeout=60,
    )
    return ARTIFACTS / f"{name}.png"


def stored_quarter(customer_id: int) -> CustomerPeriod:
    return CustomerPeriod.objects.get(
        customer_id=customer_id,
        period_kind=PeriodKind.QUARTER,
        period_start=parse_period(QUARTER).start,
    )


def stored_rate(row: CustomerPeriod, name: str, successes: str, total: str) -> Rate:
    return Rate.stored(
        getattr(row, successes),
        getattr(row, total),
        getattr(row, f"{name}_share"),
        getattr(row, f"{name}_low"),
        getattr(row, f"{name}_high"),
    )


def render(customer_id: int, language: str, internal: bool = False) -> bytes:
    review = customer_review(
        viewer=Viewer.everyone(),
        customer_id=customer_id,
        period=parse_period(QUARTER),
        internal=internal,
        language=language,
    )
    assert review is not None
    return customer_file(review, language, "pdf")


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("segment", SEGMENTS)
def test_the_customer_version_shows_the_stored_figures_and_nothing_internal(
    demo: Demo, segment: str, language: str
) -> None:
    customer_id = demo.customers[segment]
    row = stored_quarter(customer_id)

    data = render(customer_id, language)

    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    with translation.override(language):
        assert norm(Customer.objects.get(pk=customer_id).name) in text
        # The extra-mile ledger as stored: goodwill hours, free out-of-scope value.
        goodwill = (
            formatting.hours(row.hours_goodwill, 1) if round(row.hours_goodwill, 1) else "0 h"
        )
        assert norm(goodwill) in text
        if row.out_of_scope_free_hours:
            assert norm(formatting.money(row.out_of_scope_free_value)) in text
        # The SLA shares with their stored intervals.
        for name, met, total in (
            ("sla_response", "sla_response_met", "sla_response_total"),
            ("sla_resolution", "sla_resolution_met", "sla_resolution_total"),
        ):
            rate = stored_rate(row, name, met, total)
            if rate.n:
                assert norm(rate_text(rate)) in text, (name, rate_text(rate))
                assert (
                    norm(f"{formatting.percent(rate.low)}–{formatting.percent(rate.high)}") in text
                )
    for word in INTERNAL_WORDS[language]:
        assert norm(word).lower() not in text.lower(), (
            f"{word!r} in the customer's {segment} review"
        )
    page_one_png(data, f"{segment}-{language}-customer")


@pytest.mark.parametrize("segment", SEGMENTS)
def test_the_internal_version_adds_margin_segment_and_agenda(demo: Demo, segment: str) -> None:
    customer_id = demo.customers[segment]
    row = stored_quarter(customer_id)

    text = pdf_text(render(customer_id, "en", internal=True))

    with translation.override("en"):
        assert norm("Internal: not for the customer") in text
        assert norm("Agreement margin") in text
        assert norm(formatting.percent(row.margin_share)) in text
        assert norm("Suggested agenda for the review meeting") in text
        label = {"service_trap": "service trap", "at_risk": "at risk"}.get(segment, segment)
        assert norm(label) in text


def test_the_work_table_adds_up_to_the_stored_ledger(demo: Demo) -> None:
    customer_id = demo.customers["service_trap"]
    row = stored_quarter(customer_id)

    review = customer_review(
        viewer=Viewer.everyone(), customer_id=customer_id, period=parse_period(QUARTER)
    )

    assert review is not None
    total = review.work_total
    assert total.hours_goodwill == pytest.approx(row.hours_goodwill, abs=0.01)
    assert total.hours_included == pytest.approx(row.hours_included, abs=0.01)
    assert total.hours_billed == pytest.approx(row.hours_billed, abs=0.01)


def test_a_customer_without_a_contract_gets_a_review_that_says_so(demo: Demo) -> None:
    customer_id = demo.customers["solid"]
    Contract.objects.filter(customer_id=customer_id).delete()

    with translation.override("en"):
        html = customer_html(
            customer_review(  # type: ignore[arg-type]
                viewer=Viewer.everyone(), customer_id=customer_id, period=parse_period(QUARTER)
            ),
            language="en",
        )

    assert "Parts of this review without data" in html
    assert "No contract is on record for Q1 2026" in html
    assert "Agreed targets" not in html


def test_an_account_manager_downloads_only_their_customers_review(demo: Demo) -> None:
    own, other = demo.customers["service_trap"], demo.customers["solid"]
    user = do_create_user(
        username="anna",
        password="a-long-test-password",
        role=Role.ACCOUNT_MANAGER,
        customer_ids=[own],
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)

    page = client.get(reverse("web:customer", args=[own])).content.decode()
    mine = client.get(reverse("web:customer_review", args=[own]) + f"?period={QUARTER}")
    theirs = client.get(reverse("web:customer_review", args=[other]))

    assert reverse("web:customer_review", args=[own]) in page
    assert "Download the service review (PDF)" in page
    assert mine.status_code == 200
    assert mine["Content-Type"] == "application/pdf"
    assert f"{QUARTER}-" in mine["Content-Disposition"]
    assert "margin" not in pdf_text(mine.content).lower()
    assert theirs.status_code == 404


def test_a_period_in_the_future_sends_the_user_back_with_a_sentence(demo: Demo) -> None:
    user = do_create_user(username="olga", password="a-long-test-password", role=Role.OWNER)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    customer_id = demo.customers["solid"]

    response = client.get(
        reverse("web:customer_review", args=[customer_id]) + "?period=2099Q1", follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("web:customer", args=[customer_id])
    assert "Q1 2099 is in the future" in response.content.decode()


# --------------------------------------------------------------------------------------------
# The command


def run_report(*args: str) -> str:
    out = StringIO()
    call_command("report", *args, "--lang", "en", stdout=out)
    return out.getvalue()


def test_the_command_writes_one_review_and_all_reviews(demo: Demo, tmp_path: Path) -> None:
    customer_id = demo.customers["at_risk"]

    single = run_report(str(customer_id), "--quarter", QUARTER, "--out", str(tmp_path / "one"))
    every = run_report(
        "--all",
        "--quarter",
        QUARTER,
        "--jobs",
        "1",
        "--format",
        "html",
        "--out",
        str(tmp_path / "all"),
    )
    portfolio = run_report("--portfolio", "--out", str(tmp_path / "owner"))

    written = Path(single.strip())
    assert written.suffix == ".pdf"
    assert written.read_bytes().startswith(b"%PDF")
    active = Customer.objects.filter(status=Customer.Status.ACTIVE).count()
    assert len(list((tmp_path / "all").glob("*.html"))) == active
    assert f"{active} reviews in" in every
    owner = pdf_text(Path(portfolio.strip()).read_bytes())
    assert norm("Customers to talk to first") in owner
    assert norm("Whale curve") in owner
    assert norm("Segments and revenue") in owner


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["No Such Customer GmbH", "--quarter", QUARTER], "No customer “No Such Customer GmbH”"),
        (["--all", "--quarter", "2099Q1"], "Q1 2099 is in the future"),
        (["--all", "--quarter", "2026Q5"], "“2026Q5” is not a period"),
        (["--all", "--quarter", "2026-05"], "May 2026 has no analysed figures yet"),
        (["{customer}", "--quarter", "2019Q1"], "has no stored figures for Q1 2019"),
        (["{customer}", "--all"], "Name one customer, or give --all or --portfolio"),
    ],
)
def test_bad_input_is_one_sentence_with_exit_status_2(
    demo: Demo, tmp_path: Path, args: list[str], sentence: str
) -> None:
    args = [a.replace("{customer}", str(demo.customers["solid"])) for a in args]

    with pytest.raises(CommandError) as raised:
        run_report(*args, "--out", str(tmp_path))

    assert sentence in str(raised.value)
    assert raised.value.returncode == 2
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_portfolio_review_downloads_from_the_portfolio_page_for_the_viewers_customers(
    demo: Demo,
) -> None:
    own = demo.customers["service_trap"]
    owner = do_create_user(username="olga", password="a-long-test-password", role=Role.OWNER)
    anna = do_create_user(
        username="anna",
        password="a-long-test-password",
        role=Role.ACCOUNT_MANAGER,
        customer_ids=[own],
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)

    page = client.get(reverse("web:portfolio")).content.decode()
    everything = client.get(reverse("web:portfolio_review"))
    client.force_login(anna)
    hers = client.get(reverse("web:portfolio_review"))

    assert reverse("web:portfolio_review") in page
    assert everything.status_code == 200
    assert everything["Content-Type"] == "application/pdf"
    assert "portfolio.pdf" in everything["Content-Disposition"]
    text = pdf_text(everything.content)
    assert norm("Whale curve") in text
    # the owner's review names other customers; the account manager's names none of them
    names = [norm(n) for n in Customer.objects.exclude(pk=own).values_list("name", flat=True)]
    named = [name for name in names if name in text]
    assert named
    assert hers.status_code == 200
    assert not [name for name in named if name in pdf_text(hers.content)]
