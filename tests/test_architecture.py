"""The import direction of ARCHITECTURE.md, checked on the source with ``ast``.

Data flows one way (ARCHITECTURE.md, "Import direction")::

    engine  <-  common, accounts, customers, contracts, service, surveys
            <-  insights, renewals, importers, demo  <-  web, api, reports, CLI

Every module under ``src/solidground`` is parsed (never imported) and every import in it is
read, including the ones inside functions (``ast.walk``) and under ``if TYPE_CHECKING:``. The
rules:

1. The engine imports neither Django nor any other part of solidground.
2. Nothing imports a module on a higher floor.
3. On the analysis floor (insights, renewals, importers, demo) an app imports another only
   where ARCHITECTURE.md says so: ``importers`` calls ``insights``, ``insights`` calls
   ``renewals.actions``, ``renewals`` reads ``insights`` but never ``insights.actions``.
4. In ``surveys`` only the interfaces ``surveys.tasks`` and ``surveys.selectors`` sit above
   insights and may import it; the rest of ``surveys`` is a domain app, below insights and
   below those two interfaces.
5. No import cycle between solidground modules at module level (imports that run when the
   module is imported: not those inside functions or under ``if TYPE_CHECKING:``).

A rule the code breaks on purpose is in ``ALLOWED`` with its reason; a new violation, or an
entry of ``ALLOWED`` that the code no longer needs, fails the test with the file, the line and
the rule.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

PACKAGE = "solidground"
SOURCE = Path(__file__).resolve().parent.parent / "src"
ROOT = SOURCE / PACKAGE

# Floors from the bottom; a module may import its own floor or lower ones (rules 2 to 4).
ENGINE, DOMAIN, ANALYSIS, SURVEY_INTERFACES, INTERFACES = range(5)
FLOOR_NAMES = {
    ENGINE: "engine",
    DOMAIN: "domain apps (common, accounts, customers, contracts, service, surveys)",
    ANALYSIS: "analysis (insights, renewals, importers, demo)",
    SURVEY_INTERFACES: "survey interfaces above insights (surveys.tasks, surveys.selectors)",
    INTERFACES: "interfaces (web, api, reports, config, management commands, the CLI)",
}
APP_FLOORS = {
    "engine": ENGINE,
    "common": DOMAIN,
    "accounts": DOMAIN,
    "customers": DOMAIN,
    "contracts": DOMAIN,
    "service": DOMAIN,
    "surveys": DOMAIN,
    "insights": ANALYSIS,
    "renewals": ANALYSIS,
    "importers": ANALYSIS,
    "demo": ANALYSIS,
    "web": INTERFACES,
    "api": INTERFACES,
    "reports": INTERFACES,
    "config": INTERFACES,
    "__main__": INTERFACES,
}
SURVEY_INTERFACE_MODULES = ("solidground.surveys.tasks", "solidground.surveys.selectors")

# Rule 3: the imports between apps of the analysis floor that ARCHITECTURE.md names, as
# (importing app, imported module prefix, modules under that prefix that stay forbidden).
ANALYSIS_CROSSINGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("importers", "solidground.insights", ()),
    ("insights", "solidground.renewals.actions", ()),
    ("renewals", "solidground.insights", ("solidground.insights.actions",)),
)

# Imports that break a rule on purpose: (importing module, imported module) -> reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("solidground.importers.actions", "solidground.surveys.tasks"): (
        "after_import queues the survey invitations an import made due, next to the "
        "re-analysis through insights that ARCHITECTURE.md allows importers"
    ),
    ("solidground.surveys.views", "solidground.surveys.tasks"): (
        "the public answer page (/s/) is a view: it queues the follow-up analysis of an answer "
        "(queue_after_answer) on the task queue"
    ),
}


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is, and whether it runs at import time."""

    importer: str
    target: str
    path: Path
    line: int
    top_level: bool

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(SOURCE.parent)}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_at_import(tree: ast.Module) -> set[int]:
    """The ids of the import nodes that run when the module is imported: in the module body
    (also inside try, if and with blocks), not in functions, nor under ``if TYPE_CHECKING:``."""
    found: set[int] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.add(id(node))
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                pending += node.body
            pending += node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                pending += handler.body
        elif isinstance(node, ast.With):
            pending += node.body
    return found


def _targets(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> list[str]:
    """The modules an import names; ``from package import submodule`` names the submodule."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - (node.level - 1)])
        source = f"{base}.{node.module}" if node.module else base
    else:
        source = node.module or ""
    modules = _modules()
    submodules = [f"{source}.{alias.name}" for alias in node.names]
    named = [name for name in submodules if name in modules]
    return named if len(named) == len(submodules) else [source, *named]


@functools.cache
def _imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        at_import = _run_at_import(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, module, path):
                    found.append(Import(module, target, path, node.lineno, id(node) in at_import))
    return tuple(found)


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _floor(module: str) -> int | None:
    """The module's floor; None for the package itself (``solidground.__version__``)."""
    if module.startswith(SURVEY_INTERFACE_MODULES):
        return SURVEY_INTERFACES
    if ".management." in f"{module}.":
        return INTERFACES
    app = _app(module)
    if not app:
        return None
    assert app in APP_FLOORS, (
        f"{module}: the app {app!r} has no floor in tests/test_architecture.py; add it where "
        "ARCHITECTURE.md puts it"
    )
    return APP_FLOORS[app]


def _ours(target: str) -> bool:
    return target == PACKAGE or target.startswith(f"{PACKAGE}.")


def _broken_rule(item: Import) -> str | None:
    """The rule an import breaks, in words; None when it breaks none."""
    importer, target = item.importer, item.target
    if _app(importer) == "engine":
        top = target.split(".")[0]
        if top == "django":
            return "rule 1: the engine never imports Django"
        if _ours(target) and _app(target) != "engine":
            return "rule 1: the engine imports no other part of solidground"
        return None
    if not _ours(target):
        return None
    low, high = _floor(target), _floor(importer)
    if low is None or high is None:
        return None
    if low > high:
        rule = 4 if SURVEY_INTERFACES in (low, high) else 2
        return (
            f"rule {rule}: nothing imports upward ({importer} is on the floor "
            f"'{FLOOR_NAMES[high]}', {target} on '{FLOOR_NAMES[low]}')"
        )
    if low == high == ANALYSIS and _app(importer) != _app(target):
        for app, prefix, forbidden in ANALYSIS_CROSSINGS:
            allowed = _app(importer) == app and f"{target}.".startswith(f"{prefix}.")
            if allowed and not any(f"{target}.".startswith(f"{f}.") for f in forbidden):
                return None
        return (
            f"rule 3: {_app(importer)} may not import {target} (the analysis floor's apps "
            "import each other only where ARCHITECTURE.md says so)"
        )
    return None


def _violations() -> list[tuple[Import, str]]:
    found = []
    for item in _imports():
        rule = _broken_rule(item)
        if rule is not None:
            found.append((item, rule))
    return found


def test_every_app_has_a_floor() -> None:
    apps = {_app(module) for module in _modules()} - {""}
    # locale and var hold no Python; anything else needs a floor to be checked at all.
    assert apps <= set(APP_FLOORS), f"apps without a floor: {sorted(apps - set(APP_FLOORS))}"


def test_imports_follow_the_floors() -> None:
    new = [
        f"{item.where}: {item.importer} imports {item.target}: {rule}"
        for item, rule in _violations()
        if (item.importer, item.target) not in ALLOWED
    ]
    assert not new, "imports against ARCHITECTURE.md's import direction:\n" + "\n".join(new)


def test_allowed_exceptions_are_still_needed() -> None:
    used = {(item.importer, item.target) for item, _ in _violations()}
    stale = [f"{a} -> {b}" for a, b in ALLOWED if (a, b) not in used]
    assert not stale, (
        "ALLOWED in tests/test_architecture.py lists imports the code no longer makes or that "
        "break no rule; remove them:\n" + "\n".join(stale)
    )


def test_the_engine_is_checked() -> None:
    engine = [item for item in _imports() if _app(item.importer) == "engine"]
    assert len({item.importer for item in engine}) > 10
    assert any(item.target == "polars" for item in engine)


def _module_graph() -> dict[str, dict[str, Import]]:
    """Module -> the solidground modules it imports at module level (rule 5), with where."""
    modules = _modules()
    graph: dict[str, dict[str, Import]] = {module: {} for module in modules}
    for item in _imports():
        if item.top_level and item.target in modules and item.target != item.importer:
            graph[item.importer].setdefault(item.target, item)
    return graph


def _cycles(graph: dict[str, dict[str, Import]]) -> list[str]:
    """Every cycle a depth-first search meets (one back edge each), with the imports' places."""
    cycles: list[str] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in graph[module]:
            if state.get(target) == 1:
                ring = [*path[path.index(target) :], target]
                steps = [graph[a][b].where for a, b in pairwise(ring)]
                cycles.append(" -> ".join(ring) + " (imports at " + ", ".join(steps) + ")")
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return cycles


def test_no_import_cycle_at_module_level() -> None:
    cycles = _cycles(_module_graph())
    assert not cycles, "rule 5: import cycles at module level:\n" + "\n".join(cycles)


def test_a_cycle_is_found() -> None:
    graph = _module_graph()
    first, second = "solidground.engine.stats", "solidground.engine.stats_trends"
    assert second in graph[first]
    back = Import(second, first, ROOT / "engine" / "stats_trends.py", 1, top_level=True)
    graph = {**graph, second: {**graph[second], first: back}}
    assert any(cycle.startswith(first) for cycle in _cycles(graph))
