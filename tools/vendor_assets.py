#!/usr/bin/env python3
"""Vendor the dashboard's browser JavaScript from the npm registry, at pinned versions.

    python tools/vendor_assets.py            download, verify and write the files (`make vendor`)
    python tools/vendor_assets.py --check    compare the files on disk with the manifest (offline)

A fresh install needs neither Node nor a network: the minified browser bundles and each
package's LICENSE are committed under src/solidground/web/static/vendor/, with a manifest
(versions, licences, sha256 of every file) and LICENSES.md. To update a package, change its
version in PACKAGES, run `make vendor`, and review the diff
(docs/decisions/0005-vendored-front-end-assets.md).

Only the npm registry is contacted, and only over HTTPS; every tarball is checked against the
sha512 `dist.integrity` the registry publishes for that version before anything is written.
Standard library only, so that the script runs before (and without) the project's virtualenv.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "src" / "solidground" / "web" / "static" / "vendor"
MANIFEST_NAME = "manifest.json"
LICENSES_NAME = "LICENSES.md"
DEFAULT_REGISTRY = "https://registry.npmjs.org/"
TIMEOUT_SECONDS = 60
# The largest tarball here (vega-lite) is about 1.1 MB; refuse anything absurd.
MAX_TARBALL_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Package:
    """One npm package: which files to take from its tarball and where they go."""

    name: str
    version: str
    license: str  # SPDX id; the registry's `license` field must say the same
    # tarball path (below `package/`) -> file name in vendor/<name>/
    files: dict[str, str]
    # the browser global the script defines (checked in the vendored file)
    global_name: str
    # turns the upstream file into the vendored one (None: copied byte for byte)
    transform: Callable[[Package, str], str] | None = field(default=None, compare=False)


def wrap_esm_as_global(package: Package, source: str) -> str:
    """Turn vega-interpreter's ES module into a classic script that sets `vegaInterpreter`.

    vega-interpreter 2.x ships only an ES module (`build/vega-interpreter.js`) that imports three
    helpers from vega-util; it has no UMD/IIFE build and defines no global. vega's own bundle
    re-exports all of vega-util on the `vega` global, so the module's single import line becomes
    a lookup on that global and its single export becomes `globalThis.vegaInterpreter`. Anything
    else in the module (another import or export) stops the script: a new upstream layout must
    be looked at by a person, not wrapped blindly.
    """
    import_pattern = re.compile(r"^import \{ ([\w, ]+) \} from 'vega-util';$", re.MULTILINE)
    export_pattern = re.compile(r"^export \{ (\w+) as expressionInterpreter \};$", re.MULTILINE)
    imports = import_pattern.findall(source)
    exports = export_pattern.findall(source)
    if len(imports) != 1 or len(exports) != 1:
        raise VendorError(
            f"{package.name} {package.version}: expected one `import {{...}} from 'vega-util'` "
            f"and one `export {{ ... as expressionInterpreter }}` line, found {len(imports)} "
            f"and {len(exports)}; look at the new build and adjust wrap_esm_as_global"
        )
    body = import_pattern.sub("", source)
    body = export_pattern.sub("", body)
    body = re.sub(r"^//# sourceMappingURL=.*$", "", body, flags=re.MULTILINE).strip("\n")
    if re.search(r"^\s*(import|export)\b", body, flags=re.MULTILINE):
        raise VendorError(
            f"{package.name} {package.version}: the module has imports or exports besides the "
            "expected two; look at the new build and adjust wrap_esm_as_global"
        )
    names = [name.strip() for name in imports[0].split(",") if name.strip()]
    missing_check = " || ".join(f'!("{name}" in vega)' for name in names)
    return (
        f"/*! {package.name} {package.version} ({package.license}), "
        "https://github.com/vega/vega/tree/main/packages/vega-interpreter\n"
        " * Wrapped by tools/vendor_assets.py: the package ships only an ES module, so its import\n"
        " * from vega-util reads the `vega` global and its export sets `vegaInterpreter`.\n"
        " * Load it after vega.min.js. */\n"
        "(function (vega) {\n"
        '"use strict";\n'
        f"if (!vega || {missing_check}) {{\n"
        '  throw new Error("vega-interpreter: load vega.min.js before this file");\n'
        "}\n"
        f"const {{ {', '.join(names)} }} = vega;\n"
        f"{body}\n"
        f"globalThis.{package.global_name} = {{ expressionInterpreter: {exports[0]} }};\n"
        "})(globalThis.vega);\n"
    )


# In the order a page loads them with plain <script src> tags.
PACKAGES: tuple[Package, ...] = (
    Package(
        name="vega",
        version="6.4.0",
        license="BSD-3-Clause",
        files={"build/vega.min.js": "vega.min.js"},
        global_name="vega",
    ),
    Package(
        name="vega-lite",
        version="6.5.0",
        license="BSD-3-Clause",
        files={"build/vega-lite.min.js": "vega-lite.min.js"},
        global_name="vegaLite",
    ),
    Package(
        name="vega-interpreter",
        version="2.3.2",
        license="BSD-3-Clause",
        files={"build/vega-interpreter.js": "vega-interpreter.js"},
        global_name="vegaInterpreter",
        transform=wrap_esm_as_global,
    ),
    Package(
        name="vega-embed",
        version="7.3.0",
        license="BSD-3-Clause",
        files={"build/vega-embed.min.js": "vega-embed.min.js"},
        global_name="vegaEmbed",
    ),
    Package(
        name="htmx.org",
        version="2.0.11",
        license="0BSD",
        files={"dist/htmx.min.js": "htmx.min.js"},
        global_name="htmx",
    ),
)
LICENSE_CANDIDATES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE")


class VendorError(Exception):
    """Something a person has to look at; the message says what and where."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str, registry: str, *, limit: int = MAX_TARBALL_BYTES) -> bytes:
    """GET a URL below the registry; nothing else is ever contacted."""
    if not url.startswith(registry) or urllib.parse.urlsplit(url).scheme != "https":
        raise VendorError(f"refusing to download {url}: it is not an HTTPS URL below {registry}")
    request = urllib.request.Request(url, headers={"Accept": "application/json, */*"})  # noqa: S310  (https below the registry, checked above)
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  (same URL)
        data: bytes = response.read(limit + 1)
    if len(data) > limit:
        raise VendorError(f"{url} is larger than {limit} bytes")
    return data


def registry_metadata(package: Package, registry: str) -> dict[str, Any]:
    url = f"{registry}{urllib.parse.quote(package.name, safe='@')}/{package.version}"
    metadata: dict[str, Any] = json.loads(fetch(url, registry, limit=5 * 1024 * 1024))
    if metadata.get("version") != package.version:
        raise VendorError(f"{url} answered version {metadata.get('version')!r}")
    return metadata


def verify_integrity(package: Package, tarball: bytes, integrity: str) -> None:
    """Compare the tarball with the registry's Subresource-Integrity string (sha512)."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or not expected:
        raise VendorError(f"{package.name} {package.version}: no sha512 integrity ({integrity!r})")
    actual = base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")
    if actual != expected:
        raise VendorError(
            f"{package.name} {package.version}: tarball sha512 {actual} does not match "
            f"the registry's dist.integrity {expected}; nothing was written"
        )


def read_member(archive: tarfile.TarFile, package: Package, path: str) -> bytes | None:
    try:
        member = archive.getmember(f"package/{path}")
    except KeyError:
        return None
    if not member.isfile():
        raise VendorError(f"{package.name} {package.version}: package/{path} is not a file")
    extracted = archive.extractfile(member)
    if extracted is None:
        raise VendorError(f"{package.name} {package.version}: cannot read package/{path}")
    return extracted.read()


def copyright_line(license_text: str) -> str:
    for line in license_text.splitlines():
        if line.strip().lower().startswith("copyright"):
            return line.strip()
    return ""


def vendor_package(package: Package, registry: str, target: Path) -> dict[str, Any]:
    """Download, verify and write one package into target/<name>/; return its manifest entry."""
    metadata = registry_metadata(package, registry)
    if metadata.get("license") != package.license:
        raise VendorError(
            f"{package.name} {package.version}: the registry says licence "
            f"{metadata.get('license')!r}, PACKAGES says {package.license!r}; "
            "check the new licence before vendoring"
        )
    dist = metadata.get("dist") or {}
    tarball_url = str(dist.get("tarball", ""))
    integrity = str(dist.get("integrity", ""))
    tarball = fetch(tarball_url, registry)
    verify_integrity(package, tarball, integrity)

    package_dir = target / package.name
    package_dir.mkdir(parents=True)
    files: list[dict[str, str]] = []
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for source, name in package.files.items():
            upstream = read_member(archive, package, source)
            if upstream is None:
                raise VendorError(f"{package.name} {package.version}: no package/{source}")
            data = upstream
            if package.transform is not None:
                data = package.transform(package, upstream.decode("utf-8")).encode("utf-8")
            if package.global_name.encode("ascii") not in data:
                raise VendorError(
                    f"{package.name} {package.version}: {source} never mentions the global "
                    f"{package.global_name!r}; is it still a browser bundle?"
                )
            (package_dir / name).write_bytes(data)
            entry = {
                "path": f"{package.name}/{name}",
                "role": "script",
                "source": f"package/{source}",
                "sha256": sha256_hex(data),
            }
            if package.transform is not None:
                entry["source_sha256"] = sha256_hex(upstream)
                entry["transform"] = package.transform.__name__
            files.append(entry)

        license_text = ""
        for candidate in LICENSE_CANDIDATES:
            license_data = read_member(archive, package, candidate)
            if license_data is not None:
                (package_dir / "LICENSE").write_bytes(license_data)
                license_text = license_data.decode("utf-8")
                files.append(
                    {
                        "path": f"{package.name}/LICENSE",
                        "role": "license",
                        "source": f"package/{candidate}",
                        "sha256": sha256_hex(license_data),
                    }
                )
                break
        else:
            raise VendorError(f"{package.name} {package.version}: the tarball has no LICENSE")

    return {
        "name": package.name,
        "version": package.version,
        "license": package.license,
        "copyright": copyright_line(license_text),
        "global": package.global_name,
        "tarball": tarball_url,
        "integrity": integrity,
        "files": files,
    }


def licenses_markdown(entries: Sequence[dict[str, Any]]) -> str:
    lines = [
        "# Third-party front-end code",
        "",
        "Vendored by `tools/vendor_assets.py` (`make vendor`) from the npm registry; do not edit",
        "these files by hand. Each package's full licence text is in its folder as `LICENSE`.",
        "",
        "| package | version | licence | copyright |",
        "|---|---|---|---|",
    ]
    for entry in entries:
        notice = entry["copyright"] or "no copyright line in the licence text"
        lines.append(f"| {entry['name']} | {entry['version']} | {entry['license']} | {notice} |")
    lines += [
        "",
        "vega-interpreter ships only an ES module; `vega-interpreter/vega-interpreter.js` is that",
        "module wrapped into a classic script (its import reads the `vega` global, its export sets",
        "`vegaInterpreter`). The manifest records the upstream file's sha256 as `source_sha256`.",
        "",
    ]
    return "\n".join(lines)


def vendor(registry: str = DEFAULT_REGISTRY, vendor_dir: Path = VENDOR_DIR) -> None:
    """Build the whole vendor folder next to the old one, then swap, so a failure leaves no mix."""
    vendor_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=vendor_dir.parent, prefix=".vendor-") as scratch:
        staged = Path(scratch) / "vendor"
        staged.mkdir()
        entries = []
        for package in PACKAGES:
            print(f"{package.name} {package.version}", file=sys.stderr)
            entries.append(vendor_package(package, registry, staged))
        manifest = {
            "generated_by": "tools/vendor_assets.py",
            "registry": registry,
            "packages": entries,
        }
        (staged / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        (staged / LICENSES_NAME).write_text(licenses_markdown(entries), "utf-8")
        old = Path(scratch) / "old"
        if vendor_dir.exists():
            vendor_dir.rename(old)
        try:
            staged.rename(vendor_dir)
        except OSError:
            if old.exists():
                old.rename(vendor_dir)
            raise
    print(f"wrote {vendor_dir.relative_to(ROOT)}", file=sys.stderr)


def load_manifest(vendor_dir: Path = VENDOR_DIR) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((vendor_dir / MANIFEST_NAME).read_text("utf-8"))
    return manifest


def check(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Problems with the files on disk, one sentence each; empty when all is as recorded."""
    manifest_path = vendor_dir / MANIFEST_NAME
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing: run `make vendor`"]
    problems = []
    manifest = load_manifest(vendor_dir)
    listed = {(entry["name"], entry["version"]) for entry in manifest["packages"]}
    pinned = {(package.name, package.version) for package in PACKAGES}
    for name, version in sorted(pinned - listed):
        problems.append(f"{name} {version} is pinned in PACKAGES but not vendored: run make vendor")
    for name, version in sorted(listed - pinned):
        problems.append(f"{name} {version} is vendored but not pinned in PACKAGES: run make vendor")
    recorded = {MANIFEST_NAME, LICENSES_NAME}
    for entry in manifest["packages"]:
        if not any(item["role"] == "license" for item in entry["files"]):
            problems.append(f"{entry['name']}: the manifest lists no licence file")
        for item in entry["files"]:
            recorded.add(item["path"])
            path = vendor_dir / item["path"]
            if not path.is_file():
                problems.append(f"{path} is missing")
            elif (actual := sha256_hex(path.read_bytes())) != item["sha256"]:
                problems.append(
                    f"{path} differs from the manifest: sha256 {actual}, recorded {item['sha256']}"
                )
    if not (vendor_dir / LICENSES_NAME).is_file():
        problems.append(f"{vendor_dir / LICENSES_NAME} is missing")
    for path in sorted(vendor_dir.rglob("*")):
        relative = path.relative_to(vendor_dir).as_posix()
        if path.is_file() and relative not in recorded:
            problems.append(f"{path} is not in the manifest (the folder is generated)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify the vendored files against the manifest, without the network",
    )
    parser.add_argument(
        "--registry",
        default=DEFAULT_REGISTRY,
        help=f"npm registry or a mirror of it (default: {DEFAULT_REGISTRY})",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print(f"{VENDOR_DIR.relative_to(ROOT)} matches its manifest", file=sys.stderr)
        return 1 if problems else 0
    registry = args.registry if args.registry.endswith("/") else args.registry + "/"
    try:
        vendor(registry)
    except (VendorError, OSError, tarfile.TarError, json.JSONDecodeError) as error:
        print(f"vendor_assets: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
