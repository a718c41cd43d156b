"""Import jobs: upload checks, the queued run through `solidground worker`, cancel, orphans."""

from __future__ import annotations

import io
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from solidground.accounts.actions import do_create_user
from solidground.accounts.models import Role
from solidground.customers.models import Customer
from solidground.importers import job_files, jobs, saved_mappings
from solidground.importers.models import ImportJob, ImportRun, SavedMapping

CUSTOMERS_CSV = (
    "customer_id,name,country,seats\n"
    "K-1,Müller Metallbau GmbH,DE,40\n"
    "K-2,Praxis Dr. Schneider,DE,not-a-number\n"
    "K-3,Bäckerei Huber,DE,12\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The sentences these tests read are the English ones (the default language is German)."""
    with translation.override("en"):
        yield


def csv_upload(text: str = CUSTOMERS_CSV, name: str = "Kunden.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def uploads() -> set[str]:
    return {path.name for path in job_files.uploads_dir().iterdir()}


def previewed_job(name: str = "Kunden.csv") -> ImportJob:
    user = do_create_user(
        username=f"manager-{name}", password="a-long-test-password", role=Role.MANAGER
    )
    return jobs.do_upload_file(
        upload=csv_upload(name=name), choice="preset:generic-customers", strict=False, user=user
    )


@pytest.mark.django_db
def test_an_upload_is_stored_under_a_random_name_and_previewed() -> None:
    job = previewed_job()

    assert job.status == ImportJob.Status.PREVIEWED
    assert job.original_name == "Kunden.csv"
    assert job.stored_name != "Kunden.csv"
    assert job_files.upload_path(job).is_file()
    assert [row[1] for row in job.preview["rows"]] == [
        "Müller Metallbau GmbH",
        "Bäckerei Huber",
    ]
    error = job.preview["errors"][0]
    assert (error["row"], error["column"], error["value"]) == (3, "seats", "not-a-number")
    assert not Customer.objects.exists()  # a preview writes nothing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "sentence"),
    [
        ("logo.csv", PNG, "is not a table"),
        ("photo.png", PNG, "is not a table"),
        ("Tickets.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "old Excel file"),
        ("empty.csv", b"", "is empty"),
    ],
)
def test_files_that_are_not_tables_are_refused_and_nothing_is_kept(
    name: str, content: bytes, sentence: str
) -> None:
    before = uploads()

    with pytest.raises(saved_mappings.UploadRefused, match=sentence):
        jobs.do_upload_file(
            upload=SimpleUploadedFile(name, content),
            choice="preset:generic-customers",
            strict=False,
            user=None,
        )

    assert uploads() == before
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_zip_named_xlsx_that_is_no_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(saved_mappings.UploadRefused, match="is not a table"):
        jobs.do_upload_file(
            upload=SimpleUploadedFile("Tickets.xlsx", buffer.getvalue()),
            choice="preset:generic-tickets",
            strict=False,
            user=None,
        )

    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_file_for_another_preset_is_refused_with_its_own_name() -> None:
    before = uploads()

    with pytest.raises(saved_mappings.UploadRefused) as refused:
        jobs.do_upload_file(
            upload=csv_upload(), choice="preset:generic-tickets", strict=False, user=None
        )

    sentence = str(refused.value)
    assert sentence.startswith("“Kunden.csv” does not fit “generic-tickets”")
    assert "customer_id" in sentence  # names the columns the file has
    assert uploads() == before
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
@override_settings(IMPORT_MAX_UPLOAD_MB=1)
def test_an_upload_over_the_limit_is_refused() -> None:
    big = "customer_id,name\n" + "K-1,Firma\n" * 120_000

    with pytest.raises(saved_mappings.UploadRefused, match=r"more than the 1 MB"):
        jobs.do_upload_file(
            upload=csv_upload(big), choice="preset:generic-customers", strict=False, user=None
        )

    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_an_unknown_choice_is_refused() -> None:
    with pytest.raises(saved_mappings.UploadRefused, match="Choose the preset"):
        jobs.do_upload_file(upload=csv_upload(), choice="preset:../../etc", strict=False, user=None)


@pytest.mark.django_db
def test_a_mapping_is_checked_with_the_importers_parser_and_saved() -> None:
    with pytest.raises(saved_mappings.UploadRefused, match="not valid TOML"):
        saved_mappings.do_save_mapping(name="Kaputt", text="source = ", user=None)
    with pytest.raises(saved_mappings.UploadRefused, match="kind 'bananas' is not one of"):
        saved_mappings.do_save_mapping(
            name="Falsch", text='source = "x"\nkind = "bananas"\n', user=None
        )

    text = 'source = "liste"\nkind = "customers"\n[columns]\nexternal_id = "Nr"\nname = "Firma"\n'
    saved = saved_mappings.do_save_mapping(name="Unsere Kundenliste", text=text, user=None)
    again = saved_mappings.do_save_mapping(name="Unsere Kundenliste", text=text + "\n", user=None)

    assert (saved.source, saved.kind) == ("liste", "customers")
    assert again.pk == saved.pk  # the same name replaces the mapping
    assert SavedMapping.objects.count() == 1


@pytest.mark.django_db
def test_an_upload_with_a_saved_mapping_uses_it() -> None:
    saved = saved_mappings.do_save_mapping(
        name="Kundenliste",
        text='source = "liste"\nkind = "customers"\n[columns]\nexternal_id = "Nr"\n'
        'name = "Firma"\n',
        user=None,
    )

    job = jobs.do_upload_file(
        upload=csv_upload("Nr;Firma\n7;Elektro Wagner\n"),
        choice=f"mapping:{saved.pk}",
        strict=False,
        user=None,
    )
    jobs.do_start_job(job=job)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FINISHED
    assert Customer.objects.get().name == "Elektro Wagner"


@pytest.mark.django_db
def test_a_small_file_is_imported_at_once_and_the_history_names_the_users_file() -> None:
    job = previewed_job()

    job = jobs.do_start_job(job=job)

    assert job.status == ImportJob.Status.FINISHED
    assert job.run is not None
    run = job.run
    assert run.file_name == "Kunden.csv"
    assert (run.created, run.rejected) == (2, 1)
    assert all("Kunden.csv" in message for message in run.first_errors)
    rejects = job_files.rejects_file(run)
    assert rejects is not None
    assert "Kunden.csv,3,seats,not-a-number" in rejects.read_text(encoding="utf-8-sig")
    assert not job_files.upload_path(job).exists()  # the upload is gone once imported


@pytest.mark.django_db(transaction=True)
@override_settings(IMPORT_INLINE_MAX_MB=0)
def test_the_worker_runs_queued_imports_and_survives_a_failing_one() -> None:
    broken = previewed_job("Kaputt.csv")
    good = previewed_job("Kunden.csv")
    jobs.do_start_job(job=broken)
    jobs.do_start_job(job=good)
    job_files.upload_path(broken).unlink()  # the file vanished before the worker got to it
    assert ImportJob.objects.get(pk=good.pk).status == ImportJob.Status.QUEUED
    assert not job_files.worker_running()

    call_command("worker", batch=True, verbosity=0)

    broken.refresh_from_db()
    good.refresh_from_db()
    assert broken.status == ImportJob.Status.FAILED
    assert "does not exist" in broken.error
    assert good.status == ImportJob.Status.FINISHED
    assert good.run is not None
    assert good.run.created == 2
    assert good.bytes_done == good.bytes_total == good.size
    assert not job_files.worker_running()  # the heartbeat is gone with the worker


@pytest.mark.django_db
@override_settings(IMPORT_INLINE_MAX_MB=0)
def test_a_job_cancelled_in_the_queue_is_not_imported() -> None:
    job = jobs.do_start_job(job=previewed_job())

    jobs.do_cancel_job(job=job)
    status = jobs.run_job(job_id=job.pk, runner="test")

    assert status == ImportJob.Status.CANCELLED
    assert not Customer.objects.exists()
    assert not job_files.upload_path(job).exists()


@pytest.mark.django_db
@override_settings(IMPORT_INLINE_MAX_MB=0)
def test_cancelling_a_running_import_rolls_it_back() -> None:
    job = jobs.do_start_job(job=previewed_job())
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    job.refresh_from_db()
    jobs.do_cancel_job(job=job)  # leaves a note the running import reads between chunks
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)

    status = jobs.run_job(job_id=job.pk, runner="test")

    assert status == ImportJob.Status.CANCELLED
    assert not Customer.objects.exists()
    job.refresh_from_db()
    assert job.run is not None
    assert job.run.status == ImportRun.Status.FAILED


@pytest.mark.django_db
def test_a_job_left_running_by_a_dead_worker_is_marked_failed() -> None:
    job = previewed_job()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, runner="gone-1")
    job.refresh_from_db()
    state = jobs.job_state(job)
    assert state.orphaned
    assert not state.polling

    with job_files.heartbeat("alive-2"):
        failed = jobs.do_fail_orphaned_jobs()

    job.refresh_from_db()
    assert failed == 1
    assert job.status == ImportJob.Status.FAILED
    assert "nothing of it was written" in job.error


@pytest.mark.django_db
def test_a_worker_counts_as_running_while_its_heartbeat_is_fresh() -> None:
    with job_files.heartbeat("worker-a") as path:
        assert job_files.worker_running()
        old = time.time() - job_files.HEARTBEAT_STALE - 5
        os.utime(path, (old, old))
        assert not job_files.worker_running()
    with job_files.heartbeat("inline-7"):
        assert not job_files.worker_running()  # a request importing a small file is no worker


@pytest.mark.django_db
def test_uploads_never_run_are_discarded_after_a_day() -> None:
    job = previewed_job()

    discarded = jobs.do_discard_stale_uploads(now=job.created_at + jobs.STALE_UPLOAD * 2)

    job.refresh_from_db()
    assert discarded == 1
    assert job.status == ImportJob.Status.CANCELLED
    assert not job_files.upload_path(job).exists()


@pytest.mark.django_db
def test_a_rejects_path_outside_the_imports_folder_is_never_served(tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("secret", encoding="utf-8")
    inside = job_files.imports_dir() / "ok-rejects.csv"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_text("file,row\n", encoding="utf-8")

    def run(path: str) -> ImportRun:
        return ImportRun(source="x", started_at=jobs.timezone.now(), rejects_path=path)

    assert job_files.rejects_file(run(str(outside))) is None
    assert job_files.rejects_file(run(str(job_files.imports_dir() / ".." / "secret_key"))) is None
    assert job_files.rejects_file(run("/etc/passwd")) is None
    assert job_files.rejects_file(run("")) is None
    assert job_files.rejects_file(run(str(inside))) == inside.resolve()
