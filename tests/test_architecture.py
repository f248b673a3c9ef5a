"""Architecture guards: import layering, cycles and module size; docs/sources.md covers the vocabulary."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest
import yaml

from customer_platform import vocabulary
from customer_platform.config import REPO_ROOT
from customer_platform.registry import ContractError, parse_contract

SOURCES_DOC = REPO_ROOT / "docs" / "sources.md"


@pytest.fixture(scope="module")
def check_imports():
    """scripts/check_imports.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("check_imports", REPO_ROOT / "scripts" / "check_imports.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def contract_keys() -> list[str]:
    """The top-level contract keys, as the parser's own error lists them."""
    with pytest.raises(ContractError) as refused:
        parse_contract({"name": "probe", "no_such_key": 1})
    allowed = re.search(r"allowed: (.+)$", refused.value.problems[0])
    assert allowed, f"the parser no longer lists the allowed keys: {refused.value}"
    return allowed.group(1).split(", ")


@pytest.fixture(scope="module")
def sources_doc() -> str:
    return SOURCES_DOC.read_text(encoding="utf-8")


def test_first_party_code_has_no_cycles_no_upward_imports_and_no_oversized_modules(check_imports):
    violations = check_imports.check()
    assert not violations, "\n".join(map(str, violations))


def test_the_checker_sees_imports_inside_functions_and_finds_cycles(check_imports, tmp_path):
    for package in check_imports.PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "customer_platform" / "__init__.py").write_text("")
    (tmp_path / "customer_platform" / "a.py").write_text("def f():\n    from customer_platform import b\n")
    (tmp_path / "customer_platform" / "b.py").write_text("import customer_platform.a\nimport cdp.cli\n")
    (tmp_path / "cdp" / "cli.py").write_text("x = 1\n" * (check_imports.MAX_LINES + 1))

    found = {(v.rule, v.module) for v in check_imports.check(tmp_path)}

    assert found == {
        ("cycle", "customer_platform.a"),
        ("layering", "customer_platform.b"),
        ("size", "cdp.cli"),
    }


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("cdp", "spark_jobs", True),
        ("dags", "cdp", True),
        ("spark_jobs", "customer_platform", True),
        ("customer_platform", "spark_jobs", False),
        ("privacy", "spark_jobs", False),
        ("models", "cdp", False),
        ("expectations", "dags", False),
    ],
)
def test_layering_rule(check_imports, importer, imported, allowed):
    assert (check_imports.layering_problem(importer, imported) is None) is allowed


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("entity", vocabulary.ENTITIES),
        ("identifier type", vocabulary.IDENTIFIER_TYPES),
        ("match kind", vocabulary.MATCH_KINDS),
        ("per_record value", vocabulary.PER_RECORD),
        ("identifier form", vocabulary.IDENTIFIER_FORMS),
        ("PII class", vocabulary.PII_CLASSES),
        ("field type", vocabulary.FIELD_TYPES),
        ("standardizer", vocabulary.STANDARDIZER_NAMES),
        ("format", tuple(vocabulary.FORMATS)),
    ],
)
def test_sources_doc_names_every_word_of_the_vocabulary(sources_doc, kind, words):
    missing = [w for w in words if f"`{w}`" not in sources_doc]
    assert not missing, f"docs/sources.md does not document {kind}(s) {missing}"


def test_sources_doc_names_every_top_level_contract_key(sources_doc):
    keys = contract_keys()
    assert "trust_rank" in keys
    missing = [k for k in keys if f"| `{k}` |" not in sources_doc]
    assert not missing, f"docs/sources.md has no row for top-level key(s) {missing}"


def test_sources_doc_lists_each_entitys_measure_roles_on_its_row(sources_doc):
    for entity, roles in vocabulary.ENTITY_MEASURES.items():
        rows = [line for line in sources_doc.splitlines() if line.startswith(f"| `{entity}` |")]
        assert len(rows) == 1, f"docs/sources.md needs one measure-table row for entity {entity!r}"
        documented = set(re.findall(r"`([a-z_]+)`( \*\*required\*\*)?", rows[0].split("|")[3]))
        assert documented == {
            (role, " **required**" if required else "") for role, required in roles.items()
        }, f"measure roles of {entity!r} in docs/sources.md differ from customer_platform/vocabulary.py"


def test_the_worked_example_in_sources_doc_is_a_valid_contract(sources_doc):
    examples = re.findall(r"```yaml\n(.*?)```", sources_doc, re.DOTALL)
    contract = parse_contract(yaml.safe_load(examples[-1]))
    assert contract.entity == "customer_record" and contract.identifiers
