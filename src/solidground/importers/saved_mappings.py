"""The mappings a user can choose on the imports page: the presets, and mappings saved by name."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, cast

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from solidground.importers.mapping import (
    PRESETS_DIR,
    Mapping,
    MappingError,
    list_presets,
    load_preset,
    parse_mapping,
)
from solidground.importers.models import ImportJob, SavedMapping

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

    from solidground.accounts.selectors import Viewer

MAX_MAPPING_BYTES = 256 * 1024


class UploadRefused(Exception):
    """An upload or a mapping that cannot be used; the message is one sentence for the user."""


def account_of(user: AbstractBaseUser | AnonymousUser | None) -> User | None:
    """The user row to record, or None for the command line and anonymous callers."""
    if user is None or not user.is_authenticated or not user.pk:
        return None
    return cast("User", user)


# The tool part of a preset's name ("connectwise-tickets") and how people call the tool.
TOOLS = {
    "connectwise": "ConnectWise PSA",
    "autotask": "Autotask PSA",
    "halopsa": "HaloPSA",
    "zammad": "Zammad",
    "freshdesk": "Freshdesk",
    "zendesk": "Zendesk",
}


@dataclass(frozen=True)
class PresetChoice:
    value: str  # "preset:<name>" or "mapping:<id>"
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[PresetChoice]


@cache
def _preset_titles() -> dict[str, str]:
    """Preset name -> its title (the mapping's ``name``), read once per process."""
    titles: dict[str, str] = {}
    for name in list_presets():
        try:
            data = tomllib.loads((PRESETS_DIR / f"{name}.toml").read_text(encoding="utf-8"))
            titles[name] = str(data.get("name") or name)
        except (OSError, tomllib.TOMLDecodeError):
            titles[name] = name
    return titles


def preset_names() -> list[str]:
    return list(_preset_titles())


def preset_text(name: str) -> str | None:
    """A preset's TOML text, or None for a name that is not a preset (never a path)."""
    if name not in _preset_titles():
        return None
    return (PRESETS_DIR / f"{name}.toml").read_text(encoding="utf-8")


def mapping_choices(*, viewer: Viewer) -> list[ChoiceGroup]:
    """The upload form's choices: saved mappings first, then the presets grouped by tool."""
    if not viewer.can_import:
        return []
    groups: list[ChoiceGroup] = []
    saved = [
        PresetChoice(value=f"mapping:{m.pk}", label=f"{m.name} ({m.source}, {m.kind})")
        for m in SavedMapping.objects.order_by("name")
    ]
    if saved:
        groups.append(ChoiceGroup(label=_("Saved mappings"), choices=saved))
    by_tool: dict[str, list[PresetChoice]] = {}
    for name, title in _preset_titles().items():
        tool = name.split("-", 1)[0]
        by_tool.setdefault(tool, []).append(
            PresetChoice(value=f"preset:{name}", label=f"{title} ({name})")
        )
    for tool, label in TOOLS.items():
        if tool in by_tool:
            groups.append(ChoiceGroup(label=label, choices=by_tool.pop(tool)))
    rest = [choice for tool in sorted(by_tool) for choice in by_tool[tool]]
    if rest:
        groups.append(ChoiceGroup(label=_("Any spreadsheet"), choices=rest))
    return groups


def saved_mappings(*, viewer: Viewer) -> QuerySet[SavedMapping]:
    if not viewer.can_import:
        return SavedMapping.objects.none()
    return SavedMapping.objects.select_related("user").order_by("name")


def parse_mapping_text(text: str, *, name: str) -> Mapping:
    """A mapping from TOML text; MappingError names what to change."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{name}: not valid TOML: {exc}") from None
    return parse_mapping(data, origin=name)


def do_save_mapping(
    *, name: str, text: str, user: AbstractBaseUser | AnonymousUser | None
) -> SavedMapping:
    """Check a mapping with the importer's own parser and keep it; the same name replaces it.

    Raises UploadRefused with one sentence when the text is not a usable mapping.
    """
    text = text.strip()
    if not text:
        raise UploadRefused(_("Upload a mapping file or paste its TOML text."))
    if len(text.encode("utf-8")) > MAX_MAPPING_BYTES:
        raise UploadRefused(_("A mapping is a small text file; this one is over 256 KB."))
    label = name.strip() or "mapping"
    try:
        mapping = parse_mapping_text(text, name=label)
    except MappingError as exc:
        raise UploadRefused(
            _("This mapping cannot be used: %(reason)s") % {"reason": exc}
        ) from None
    final_name = (name.strip() or mapping.name)[:200]
    saved, _created = SavedMapping.objects.update_or_create(
        name=final_name,
        defaults={
            "text": text,
            "source": mapping.source,
            "kind": mapping.kind,
            "user": account_of(user),
            "saved_at": timezone.now(),
        },
    )
    return saved


def resolve_choice(choice: str) -> tuple[str, SavedMapping | None, Mapping]:
    """("preset name" or "", the saved mapping or None, the Mapping) for a form value."""
    kind, _sep, value = choice.partition(":")
    if kind == "preset" and value in _preset_titles():
        return value, None, load_preset(value)
    if kind == "mapping" and value.isdigit():
        saved = SavedMapping.objects.filter(pk=int(value)).first()
        if saved is not None:
            try:
                return "", saved, parse_mapping_text(saved.text, name=saved.name)
            except MappingError as exc:
                raise UploadRefused(
                    _("The saved mapping “%(name)s” cannot be used: %(reason)s")
                    % {"name": saved.name, "reason": exc}
                ) from None
    raise UploadRefused(_("Choose the preset of the tool the file comes from, or a saved mapping."))


def job_mapping(job: ImportJob) -> Mapping:
    if job.preset:
        return load_preset(job.preset)
    return parse_mapping_text(job.mapping_text, name=job.mapping_name)
