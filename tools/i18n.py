"""Add German translations to the catalogue safely, even while others edit it.

    .venv/bin/python tools/i18n.py FILE.json [FILE.json ...]

Each FILE maps an English msgid to its German text; a plural entry maps the msgid to
``{"plural": "<msgid_plural>", "de": ["<one>", "<many>"]}``, and a string with a context is
keyed ``"<context>\\u0004<msgid>"`` (gettext's own separator). Under an exclusive lock the tool
runs ``makemessages`` (so the catalogue holds every string in the code), writes the given
translations (clearing their fuzzy mark), and compiles the catalogue. Strings in the code that
still lack a translation are listed at the end, so nothing untranslated goes unnoticed.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "solidground"
CATALOGUE = PACKAGE / "locale" / "de" / "LC_MESSAGES" / "django.po"
SOLIDGROUND = ROOT / ".venv" / "bin" / "solidground"
LOCK = ROOT / ".venv" / "i18n.lock"


def _entry_key(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid


def _apply(catalogue: polib.POFile, translations: dict[str, object]) -> list[str]:
    entries = {_entry_key(entry): entry for entry in catalogue}
    missing = []
    for key, german in translations.items():
        entry = entries.get(key)
        if entry is None:
            missing.append(key)
            continue
        if isinstance(german, dict):
            forms = german["de"]
            entry.msgstr_plural = dict(enumerate(forms))
        else:
            entry.msgstr = str(german)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
        entry.previous_msgid_plural = None
    return missing


def _untranslated(catalogue: polib.POFile) -> list[str]:
    return [
        _entry_key(entry)
        for entry in catalogue
        if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)
    ]


def main(paths: list[str]) -> int:
    translations: dict[str, object] = {}
    for path in paths:
        translations.update(json.loads(Path(path).read_text(encoding="utf-8")))
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(  # noqa: S603 (our own venv and gettext, fixed arguments)
            [str(SOLIDGROUND), "makemessages", "-l", "de", "--no-obsolete"],
            cwd=PACKAGE,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        catalogue = polib.pofile(str(CATALOGUE), wrapwidth=79)
        missing = _apply(catalogue, translations)
        catalogue.save(str(CATALOGUE))
        # gettext's own wrapping, so the catalogue's diff shows only what changed.
        subprocess.run(  # noqa: S603 (gettext, fixed arguments)
            ["/usr/bin/msgcat", "-o", str(CATALOGUE), str(CATALOGUE)], check=True
        )
        subprocess.run(  # noqa: S603 (our own venv and gettext, fixed arguments)
            [str(SOLIDGROUND), "compilemessages", "-l", "de"],
            cwd=PACKAGE,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    for key in missing:
        print(f"not in the code (check the spelling): {key!r}")
    left = _untranslated(catalogue)
    for key in left:
        print(f"untranslated: {key!r}")
    written = len(translations) - len(missing)
    print(f"{written} translations written; {len(left)} strings untranslated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
