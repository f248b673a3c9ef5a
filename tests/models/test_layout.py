"""The package's layering: the shared modules every family builds on import no model family.

(Import cycles and module size across all packages: scripts/check_imports.py.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import models

PACKAGE = Path(models.__file__).parent
#: Shared foundation of every family.
SHARED = ("features", "tracking", "registry", "promotion", "writeback")
FAMILIES = ("models.segmentation",)


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_shared_modules_import_no_family():
    for name in SHARED:
        imported = _imported_modules(PACKAGE / f"{name}.py")
        family_imports = {m for m in imported if m.startswith(FAMILIES)}
        assert not family_imports, f"models.{name} imports {family_imports}"
