"""Import runs and the cursors of incremental syncs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportRun(models.Model):
    """One import of a file or one sync of an API: who, when, from where, and what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        REFUSED = "refused", _("refused (strict, errors found)")
        FAILED = "failed", _("failed (nothing written)")
        DRY_RUN = "dry_run", _("dry run (nothing written)")

    class Kind(models.TextChoices):
        FILE = "file", _("file")
        SYNC = "sync", _("sync")
        API = "api", _("API")

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_runs",
    )
    # Who ran it when there is no user account (the command line): the OS user name.
    started_by = models.CharField(_("started by"), max_length=150, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FILE)
    source = models.CharField(_("source"), max_length=40)
    preset = models.CharField(_("preset or mapping"), max_length=200, blank=True, default="")
    file_name = models.CharField(_("file"), max_length=500, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    strict = models.BooleanField(_("strict"), default=False)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # {"tickets": {"created": 10, "updated": 0, "unchanged": 0, "rejected": 1}, ...}
    counts_by_kind = models.JSONField(_("counts by kind"), default=dict, blank=True)
    # The first errors as text, for the admin; all of them are in the rejects file.
    first_errors = models.JSONField(_("first errors"), default=list, blank=True)
    rejects_path = models.CharField(_("rejects file"), max_length=500, blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    customer_ids = models.JSONField(_("customers affected"), default=list, blank=True)
    seconds = models.FloatField(_("duration (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.source} {self.file_name} {self.status}"


class SyncCursor(models.Model):
    """Where the last successful sync of one kind from one source stopped.

    ``cursor`` is whatever the connector understands (an updated-since instant, a page token,
    a change id). It is saved in the same transaction as the records it covers.
    """

    source = models.CharField(_("source"), max_length=40)
    kind = models.CharField(_("kind"), max_length=40)
    cursor = models.TextField(_("cursor"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")
        ordering = ["source", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["source", "kind"], name="synccursor_source_kind_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.kind}: {self.cursor}"


class SavedMapping(models.Model):
    """A column mapping (TOML) a user saved on the imports page, offered next to the presets."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    text = models.TextField(_("mapping (TOML)"))
    # From the mapping itself, so the page can say what it is for without parsing it again.
    source = models.CharField(_("source"), max_length=40)
    kind = models.CharField(_("kind"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="saved_mappings",
    )
    saved_at = models.DateTimeField(_("saved"))

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """A file uploaded on the imports page: its preview, then its import (in the request for
    small files, by `solidground worker` for the others) and the ImportRun that came of it.

    The upload lives under ``DATA_DIR/uploads/<stored_name>`` (a random name, never the
    user's) until the job ends; ``original_name`` is only ever displayed.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded")
        PREVIEWED = "previewed", _("previewed, waiting for you to run it")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    created_at = models.DateTimeField(_("uploaded"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED
    )
    original_name = models.CharField(_("file"), max_length=500)
    stored_name = models.CharField(_("stored as"), max_length=100, unique=True)
    file_type = models.CharField(_("file type"), max_length=10)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    preset = models.CharField(_("preset"), max_length=100, blank=True, default="")
    saved_mapping = models.ForeignKey(
        SavedMapping,
        verbose_name=_("saved mapping"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    # What the user chose, for display, and the saved mapping's TOML as previewed: the
    # import runs exactly what the preview showed even if the mapping is saved anew meanwhile.
    mapping_name = models.CharField(_("preset or mapping"), max_length=200)
    mapping_text = models.TextField(_("mapping (TOML)"), blank=True, default="")
    strict = models.BooleanField(_("strict"), default=False)
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    bytes_done = models.PositiveBigIntegerField(_("bytes read"), default=0)
    bytes_total = models.PositiveBigIntegerField(_("bytes in all"), default=0)
    run = models.ForeignKey(
        ImportRun,
        verbose_name=_("import run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    task_id = models.CharField(_("task"), max_length=64, blank=True, default="")
    # Who runs it: a worker's id, or "inline-<job id>" for a small file run in the request.
    runner = models.CharField(_("run by"), max_length=100, blank=True, default="")
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="importjob_status_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.original_name} {self.status}"


class AuditEntry(models.Model):
    """Who wrote how many rows when, through which door: every import, sync and API write.

    Written by ``importers.actions`` when a run finishes or fails (one place for files, syncs,
    the REST API and webhooks). The API token is kept by id and label rather than as a foreign
    key: the importers may not depend on the api app, and the entry must outlive the token.
    """

    at = models.DateTimeField(_("when"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    # The OS user name for the command line, the username otherwise.
    actor = models.CharField(_("by"), max_length=150, blank=True, default="")
    token_id = models.PositiveIntegerField(_("API token id"), null=True, blank=True)
    token_label = models.CharField(_("API token"), max_length=200, blank=True, default="")
    action = models.CharField(_("action"), max_length=60)  # api.write.tickets, import.file, ...
    source = models.CharField(_("source"), max_length=40, blank=True, default="")
    status = models.CharField(_("status"), max_length=20, blank=True, default="")
    rows = models.PositiveIntegerField(_("rows received"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    run = models.ForeignKey(
        ImportRun,
        verbose_name=_("import run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.actor}"
