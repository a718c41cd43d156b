"""The imports pages as a service manager uses them: upload, preview, run, history, rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.customers.models import Customer
from solidground.importers import job_files
from solidground.importers.models import ImportJob, ImportRun, SavedMapping
from solidground.service.models import Ticket

TICKETS_CSV = (
    "Ticket-Nr.;Betreff;Kunde;Erstellt am;Status;Priorität\n"
    "T-1;Drucker druckt nicht;K-1001;03.03.2025 09:15;gelöst;mittel\n"
    "T-2;Neuer Arbeitsplatz;K-1002;31.02.2025 08:02;offen;hoch\n"
    "T-3;VPN bricht ab;K-1001;05.03.2025 11:40;offen;niedrig\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def user_client(client: Client, role: Role, name: str) -> Client:
    user = do_create_user(username=name, password="a-long-test-password", role=role)
    client.force_login(user)
    # Every request in English, POSTs too: a message made while answering a POST is read in
    # the language of that request.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def manager(client: Client) -> Client:
    return user_client(client, Role.MANAGER, "servicemanager")


def upload(client: Client, content: bytes, name: str, preset: str, **extra: str) -> Any:
    return client.post(
        "/imports/upload/",
        {"file": SimpleUploadedFile(name, content), "mapping": f"preset:{preset}", **extra},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def page(client: Client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def uploads() -> set[str]:
    return {path.name for path in job_files.uploads_dir().iterdir()}


@pytest.mark.django_db
def test_upload_preview_run_history_and_rejects(manager: Client) -> None:
    response = upload(manager, TICKETS_CSV.encode("utf-8"), "Tickets März.csv", "generic-tickets")

    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    preview = page(manager, f"/imports/jobs/{job.pk}/")
    assert "Tickets März.csv" in preview
    assert "Drucker druckt nicht" in preview  # the first rows as they will be imported
    assert "Betreff" in preview  # the column each field comes from
    assert "31.02.2025 08:02" in preview  # the bad value, by row and column
    assert '<td class="num">3</td><td>Erstellt am</td>' in preview
    assert "Run the import" in preview
    assert not Ticket.objects.exists()

    manager.post(f"/imports/jobs/{job.pk}/", {"action": "run"})

    done = page(manager, f"/imports/jobs/{job.pk}/")
    assert "Imported" in done
    assert "3 rows read" in done
    # One customer (named by the tickets) and two tickets; the third row is rejected.
    assert "3 created" in done
    assert "1 rejected" in done
    assert Ticket.objects.count() == 2
    history = page(manager, "/imports/")
    assert "Tickets März.csv" in history
    run = ImportRun.objects.get()
    assert f"/imports/runs/{run.pk}/rejects.csv" in history
    download = manager.get(f"/imports/runs/{run.pk}/rejects.csv")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    rejects = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "Tickets März.csv,3,Erstellt am,31.02.2025 08:02" in rejects


@pytest.mark.django_db(transaction=True)
@override_settings(IMPORT_INLINE_MAX_MB=0)
def test_a_large_file_waits_for_the_worker_and_the_page_follows_it(client: Client) -> None:
    manager = user_client(client, Role.MANAGER, "servicemanager")
    upload(manager, TICKETS_CSV.encode("utf-8"), "Tickets.csv", "generic-tickets")
    job = ImportJob.objects.get()

    manager.post(f"/imports/jobs/{job.pk}/", {"action": "run"})

    queued = page(manager, f"/imports/jobs/{job.pk}/")
    assert "no worker is running" in queued
    assert "solidground worker" in queued
    assert 'hx-trigger="every 2s"' in queued  # the status polls while queued
    assert "no worker is running" in page(manager, "/imports/")

    call_command("worker", batch=True, verbosity=0)

    status = page(manager, f"/imports/jobs/{job.pk}/?part=status")
    assert "3 created" in status
    assert "hx-trigger" not in status  # finished: the polling stops
    assert "<html" not in status  # only the fragment


@pytest.mark.django_db
def test_a_file_that_is_not_a_table_is_refused_in_one_sentence(manager: Client) -> None:
    before = uploads()

    response = upload(manager, PNG, "Tickets.csv", "generic-tickets")

    assert response.status_code == 302
    shown = page(manager, "/imports/")
    assert "“Tickets.csv” is not a table: upload a CSV or an Excel (.xlsx) file." in shown
    assert not ImportJob.objects.exists()
    assert uploads() == before


@pytest.mark.django_db
@override_settings(IMPORT_MAX_UPLOAD_MB=1)
def test_a_file_over_the_limit_is_refused_and_not_kept(manager: Client) -> None:
    before = uploads()
    big = ("customer_id,name\n" + "K-1,Firma\n" * 150_000).encode()

    upload(manager, big, "Kunden.csv", "generic-customers")

    shown = page(manager, "/imports/")
    assert "“Kunden.csv” is" in shown
    assert "more than the 1 MB this installation accepts" in shown
    assert not ImportJob.objects.exists()
    assert uploads() == before


@pytest.mark.django_db
def test_a_file_for_another_preset_is_refused_and_not_kept(manager: Client) -> None:
    before = uploads()

    upload(manager, TICKETS_CSV.encode(), "Tickets.csv", "generic-customers")

    shown = page(manager, "/imports/")
    assert "“Tickets.csv” does not fit “generic-customers”" in shown
    assert not ImportJob.objects.exists()
    assert uploads() == before


@pytest.mark.django_db
def test_a_saved_mapping_is_checked_then_offered_next_to_the_presets(manager: Client) -> None:
    manager.post("/imports/", {"name": "Kaputt", "text": 'kind = "tickets"'})
    assert "This mapping cannot be used" in page(manager, "/imports/")
    assert not SavedMapping.objects.exists()

    toml = 'source = "liste"\nkind = "customers"\n[columns]\nexternal_id = "Nr"\nname = "Firma"\n'
    manager.post(
        "/imports/",
        {"name": "", "file": SimpleUploadedFile("kunden.toml", toml.encode()), "text": ""},
    )

    saved = SavedMapping.objects.get()
    shown = page(manager, "/imports/")
    assert f'value="mapping:{saved.pk}" selected' in shown
    manager.post(
        "/imports/upload/",
        {
            "file": SimpleUploadedFile("k.csv", b"Nr;Firma\n1;Elektro Wagner\n"),
            "mapping": f"mapping:{saved.pk}",
        },
    )
    job = ImportJob.objects.get()
    manager.post(f"/imports/jobs/{job.pk}/", {"action": "run"})
    assert Customer.objects.get().name == "Elektro Wagner"


@pytest.mark.django_db
def test_names_from_the_data_are_escaped(manager: Client) -> None:
    upload(
        manager,
        b"customer_id,name\nK-1,<b>Firma</b>\n",
        "<img src=x onerror=alert(1)>.csv",
        "generic-customers",
    )
    job = ImportJob.objects.get()

    shown = page(manager, f"/imports/jobs/{job.pk}/")

    assert "<img src=x" not in shown
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in shown
    assert "&lt;b&gt;Firma&lt;/b&gt;" in shown


@pytest.mark.django_db
def test_a_discarded_upload_is_deleted(manager: Client) -> None:
    upload(manager, TICKETS_CSV.encode(), "Tickets.csv", "generic-tickets")
    job = ImportJob.objects.get()

    manager.post(f"/imports/jobs/{job.pk}/", {"action": "cancel"})

    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    assert not job_files.upload_path(job).exists()
    assert "Nothing of this file was imported." in page(manager, f"/imports/jobs/{job.pk}/")


@pytest.mark.django_db
def test_bad_input_answers_404_or_falls_back(manager: Client) -> None:
    assert manager.get("/imports/jobs/999999/").status_code == 404
    assert manager.get("/imports/runs/999999/rejects.csv").status_code == 404
    assert "Import history" in page(manager, "/imports/?page=99999")
    assert "Import history" in page(manager, "/imports/?page=abc")
    manager.post(
        "/imports/upload/",
        {"file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n"), "mapping": "preset:nonsense"},
    )
    assert "Choose the preset of the tool the file comes from" in page(manager, "/imports/")
    manager.post("/imports/upload/", {"mapping": "preset:generic-tickets"})
    assert "Choose a CSV or Excel file to upload." in page(manager, "/imports/")
    upload(manager, TICKETS_CSV.encode(), "Tickets.csv", "generic-tickets")
    job = ImportJob.objects.get()
    manager.post(f"/imports/jobs/{job.pk}/", {"action": "explode"})
    assert "Unknown action; nothing was changed." in page(manager, f"/imports/jobs/{job.pk}/")


@pytest.mark.django_db
def test_rejects_are_only_served_from_the_imports_folder(manager: Client, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("do not serve", encoding="utf-8")
    outside = ImportRun.objects.create(
        source="x", started_at=timezone.now(), rejects_path=str(secret)
    )
    climbing = ImportRun.objects.create(
        source="x",
        started_at=timezone.now(),
        rejects_path=str(job_files.imports_dir() / ".." / "secret_key"),
    )

    assert manager.get(f"/imports/runs/{outside.pk}/rejects.csv").status_code == 404
    assert manager.get(f"/imports/runs/{climbing.pk}/rejects.csv").status_code == 404
    assert f"/imports/runs/{outside.pk}/rejects.csv" not in page(manager, "/imports/")


@pytest.mark.django_db
def test_an_account_manager_gets_403_on_every_imports_route(client: Client) -> None:
    owner = User.objects.create_superuser("owner", password="a-long-test-password")
    job = ImportJob.objects.create(
        created_at=timezone.now(),
        user=owner,
        original_name="x.csv",
        stored_name="0123.csv",
        file_type="csv",
        size=1,
        mapping_name="generic-tickets",
    )
    run = ImportRun.objects.create(source="x", started_at=timezone.now())
    account_manager = user_client(client, Role.ACCOUNT_MANAGER, "am")

    for method, url in [
        ("get", "/imports/"),
        ("post", "/imports/"),
        ("post", "/imports/upload/"),  # POST only: a GET is 405 for everyone
        ("get", f"/imports/jobs/{job.pk}/"),
        ("get", f"/imports/jobs/{job.pk}/?part=status"),
        ("post", f"/imports/jobs/{job.pk}/"),
        ("get", f"/imports/runs/{run.pk}/rejects.csv"),
    ]:
        response = getattr(account_manager, method)(url)
        assert response.status_code == 403, (method, url)
    assert "/imports/" not in page(account_manager, "/settings/")  # no menu item either


@pytest.mark.django_db
def test_visitors_who_are_not_logged_in_are_sent_to_the_login(client: Client) -> None:
    response = client.get("/imports/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_a_preset_can_be_downloaded_as_the_start_of_a_mapping(manager: Client) -> None:
    response = manager.get("/imports/?template=generic-tickets")

    assert response.status_code == 200
    assert 'filename="generic-tickets.toml"' in response["Content-Disposition"]
    assert b'kind = "tickets"' in response.content
    refused = manager.get("/imports/?template=../../config/settings", follow=True)
    assert "There is no preset of that name" in refused.content.decode()


@pytest.mark.django_db
def test_an_upload_without_the_csrf_token_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        do_create_user(username="m", password="a-long-test-password", role=Role.MANAGER)
    )

    response = client.post(
        "/imports/upload/",
        {
            "file": SimpleUploadedFile("t.csv", TICKETS_CSV.encode()),
            "mapping": "preset:generic-tickets",
        },
    )

    assert response.status_code == 403
    assert not ImportJob.objects.exists()
