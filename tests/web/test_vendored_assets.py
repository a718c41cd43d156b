"""The committed front-end JavaScript is what tools/vendor_assets.py recorded, licences included.

A fresh install serves these files without Node or a network, so a hand-edited, truncated or
unlicensed file would reach every user's browser. No test here touches the network.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "vendor_assets.py"
EXPECTED = {"vega", "vega-lite", "vega-interpreter", "vega-embed", "htmx.org"}


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_assets", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up in sys.modules while the class is being built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tool = load_tool()


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the vendored-assets check must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_every_vendored_file_matches_the_manifest() -> None:
    assert tool.check() == []


def test_the_manifest_lists_the_five_pinned_packages_with_versions_and_licences() -> None:
    manifest = tool.load_manifest()
    packages = {entry["name"]: entry for entry in manifest["packages"]}

    assert set(packages) == EXPECTED
    for pinned in tool.PACKAGES:
        entry = packages[pinned.name]
        assert entry["version"] == pinned.version
        assert entry["license"] == pinned.license
        assert entry["license"] in {"BSD-3-Clause", "0BSD"}
        assert entry["integrity"].startswith("sha512-")


def test_every_listed_file_exists_with_its_recorded_sha256() -> None:
    for entry in tool.load_manifest()["packages"]:
        roles = [item["role"] for item in entry["files"]]
        assert roles.count("script") >= 1, entry["name"]
        for item in entry["files"]:
            path = tool.VENDOR_DIR / item["path"]
            assert path.is_file(), path
            assert tool.sha256_hex(path.read_bytes()) == item["sha256"], path


def test_every_package_has_its_licence_text_and_a_line_in_licenses_md() -> None:
    licenses_md = (tool.VENDOR_DIR / tool.LICENSES_NAME).read_text("utf-8")
    for entry in tool.load_manifest()["packages"]:
        licence_files = [item for item in entry["files"] if item["role"] == "license"]
        assert len(licence_files) == 1, entry["name"]
        text = (tool.VENDOR_DIR / licence_files[0]["path"]).read_text("utf-8")
        assert "Permission" in text or "Redistribution" in text, entry["name"]
        assert f"| {entry['name']} | {entry['version']} | {entry['license']} |" in licenses_md


def test_check_names_the_file_that_differs(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(tool.VENDOR_DIR, copy)
    changed = copy / "vega-embed" / "vega-embed.min.js"
    changed.write_bytes(changed.read_bytes() + b"\n// edited by hand\n")

    problems = tool.check(copy)

    assert len(problems) == 1
    assert str(changed) in problems[0]


def test_check_names_a_missing_licence_and_a_stray_file(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(tool.VENDOR_DIR, copy)
    (copy / "htmx.org" / "LICENSE").unlink()
    (copy / "htmx.org" / "htmx.js").write_text("// not from the registry\n")

    problems = "\n".join(tool.check(copy))

    assert f"{copy / 'htmx.org' / 'LICENSE'} is missing" in problems
    assert f"{copy / 'htmx.org' / 'htmx.js'} is not in the manifest" in problems


def test_the_command_line_check_passes_on_the_committed_files() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
