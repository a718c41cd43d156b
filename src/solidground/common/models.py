"""Pieces every domain model shares."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SourceRecord(models.Model):
    """A record that may come from an import source.

    ``(source, external_id)`` is unique per model (when an external id is given), so a second
    import of the same export updates the record instead of duplicating it.
    """

    source = models.CharField(_("source"), max_length=40, default="manual")
    # NULL (not "") for records without one: NULLs never collide in a unique index, and a
    # full (not partial) unique index is what INSERT ... ON CONFLICT (source, external_id)
    # needs on PostgreSQL and SQLite for bulk upserts.
    external_id = models.CharField(  # noqa: DJ001
        _("external ID"), max_length=120, null=True, blank=True, default=None
    )

    class Meta:
        abstract = True


def source_unique(model_name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["source", "external_id"],
        name=f"{model_name}_source_external_id_uniq",
    )
