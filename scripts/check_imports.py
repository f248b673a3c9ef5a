"""Architecture checks over the first-party packages: import cycles, layering, module size.

Every module is parsed with `ast` (imports inside functions and `if` blocks included, since an
import moved into a function still ties the two modules together), the module import graph
is built, and three rules are checked:

1. no import cycle between first-party modules (strongly connected components, Tarjan);
2. layers point one way (docs: CONTRIBUTING.md, /work/shared/STYLE.md "Repository"):
   the foundation `customer_platform` imports no other first-party package; the stages
   (`spark_jobs`, `expectations`, `models`, `privacy`) import the foundation only, never the
   roof (`cdp`, `dags`) nor each other unless listed in ALLOWED_STAGE_IMPORTS with a reason;
   the tools `datagen` and `bench`, and the roof, are never imported by a lower layer;
3. no module over MAX_LINES lines, unless listed in SIZE_EXEMPTIONS with a reason.

Usage: `python scripts/check_imports.py` prints every violation and exits 1 if there is any.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

FOUNDATION = "customer_platform"
STAGES = ("spark_jobs", "expectations", "models", "privacy", "activation", "dashboard", "monitoring")
#: Tools beside the pipeline: the synthetic-data generator and the benchmark harness.
TOOLS = ("datagen", "bench")
ROOF = "cdp"
DAGS = "dags"  # Airflow's DAG folder: modules named dags.<file>, no package __init__
PACKAGES = (FOUNDATION, *STAGES, *TOOLS, ROOF, DAGS)

#: Who may import whom, by package: the layer of each package; a module may import packages of
#: a lower layer and its own package. Same-layer imports between different packages are
#: violations unless allowed below.
LAYER = {
    FOUNDATION: 0,
    **dict.fromkeys(STAGES, 1),
    "datagen": 1,  # generates landing files; reads the foundation (config, registry) only
    ROOF: 2,
    "bench": 3,  # drives whole runs (roof and stages) and measures them
    DAGS: 3,  # Airflow wiring over the roof's task bodies
}

#: Documented exceptions to the one-way rule: (importing package, imported package) -> reason.
#: Keep this empty unless a stage truly cannot work without another one.
ALLOWED_STAGE_IMPORTS: dict[tuple[str, str], str] = {}

MAX_LINES = 300
#: Modules allowed over MAX_LINES: module name -> reason. Empty: nothing is exempt.
SIZE_EXEMPTIONS: dict[str, str] = {
    "customer_platform.config": "the one configuration module: every setting, its default and check",
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported first-party module
    line: int
    in_function: bool


@dataclass(frozen=True)
class Violation:
    rule: str  # cycle | layering | size
    module: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.module}: {self.message}"


def module_files(root: Path = REPO_ROOT) -> dict[str, Path]:
    """First-party module name -> file, for every .py file under the packages."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return name in modules and modules[name].name == "__init__.py"


def _resolve_relative(module: str, node: ast.ImportFrom, modules: dict[str, Path]) -> str:
    base = module.split(".") if _is_package(module, modules) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, *([node.module] if node.module else [])])


def _first_party(name: str, modules: dict[str, Path]) -> str | None:
    """The longest first-party module that `name` is or lies in (a.b.func -> a.b)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


class _ImportVisitor(ast.NodeVisitor):
    def __init__(self, module: str, modules: dict[str, Path]):
        self.module, self.modules = module, modules
        self.imports: list[Import] = []
        self._depth = 0

    def _function(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def _add(self, name: str, line: int) -> None:
        target = _first_party(name, self.modules)
        if target and target != self.module:
            self.imports.append(Import(self.module, target, line, self._depth > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve_relative(self.module, node, self.modules) if node.level else (node.module or "")
        for alias in node.names:
            # `from pkg import sub` imports the submodule pkg.sub when there is one, else pkg.
            self._add(f"{base}.{alias.name}" if alias.name != "*" else base, node.lineno)


def import_graph(modules: dict[str, Path]) -> list[Import]:
    """Every first-party import of every first-party module."""
    imports: list[Import] = []
    for module, path in modules.items():
        visitor = _ImportVisitor(module, modules)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        imports += visitor.imports
    return imports


def strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted; only those of 2+ nodes."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def check_cycles(modules: dict[str, Path], imports: list[Import]) -> list[Violation]:
    """One violation per import cycle, naming the imports that close it."""
    edges: dict[str, set[str]] = {}
    for imp in imports:
        edges.setdefault(imp.source, set()).add(imp.target)
    violations = []
    for component in strongly_connected(sorted(modules), edges):
        members = set(component)
        inside = sorted(
            {(i.source, i.target, i.line, i.in_function) for i in imports if {i.source, i.target} <= members}
        )
        links = "; ".join(
            f"{s} -> {t} (line {n}{', inside a function' if f else ''})" for s, t, n, f in inside
        )
        violations.append(
            Violation("cycle", component[0], f"import cycle {' <-> '.join(component)}: {links}")
        )
    return violations


def _package(module: str) -> str:
    return module.split(".", 1)[0]


def layering_problem(source_package: str, target_package: str) -> str | None:
    """Why `source_package` may not import `target_package`, or None if it may."""
    if source_package == target_package:
        return None
    if (source_package, target_package) in ALLOWED_STAGE_IMPORTS:
        return None
    source_layer, target_layer = LAYER[source_package], LAYER[target_package]
    if source_package == FOUNDATION:
        return f"the foundation {FOUNDATION} imports no other first-party package"
    if target_layer > source_layer:
        return f"{source_package} (layer {source_layer}) imports the higher layer {target_package} (layer {target_layer})"
    if target_layer == source_layer:
        return f"{source_package} and {target_package} are both layer {source_layer}: siblings do not import each other"
    return None


def check_layering(imports: list[Import]) -> list[Violation]:
    """One violation per import that points up or sideways between packages."""
    violations = []
    for imp in sorted(imports, key=lambda i: (i.source, i.line, i.target)):
        problem = layering_problem(_package(imp.source), _package(imp.target))
        if problem:
            where = f"line {imp.line}{', inside a function' if imp.in_function else ''}"
            violations.append(Violation("layering", imp.source, f"imports {imp.target} ({where}): {problem}"))
    return violations


def check_sizes(modules: dict[str, Path]) -> list[Violation]:
    """One violation per module over MAX_LINES lines that is not exempt."""
    violations = []
    for module, path in sorted(modules.items()):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and module not in SIZE_EXEMPTIONS:
            violations.append(Violation("size", module, f"{lines} lines (limit {MAX_LINES}): split it"))
    return violations


def check(root: Path = REPO_ROOT) -> list[Violation]:
    """Every violation of the three rules under root."""
    modules = module_files(root)
    imports = import_graph(modules)
    return check_cycles(modules, imports) + check_layering(imports) + check_sizes(modules)


def main(argv: list[str] | None = None) -> int:
    violations = check()
    for violation in violations:
        print(violation)
    modules = len(module_files())
    if violations:
        print(f"{len(violations)} architecture violation(s) in {modules} modules", file=sys.stderr)
        return 1
    print(f"architecture checks passed ({modules} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
