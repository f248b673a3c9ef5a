"""Same seed and arguments give byte-identical files; the seed matters."""

from __future__ import annotations

from datetime import date

from datagen.generator import generate
from tests.datagen.landing import tree_digest

START, END = date(2026, 6, 1), date(2026, 6, 4)


def test_same_seed_gives_identical_bytes(tmp_path):
    generate(tmp_path / "a", 200, START, END, seed=3)
    generate(tmp_path / "b", 200, START, END, seed=3)
    first, second = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert len(first) > 20
    assert "_truth/future.csv" in first
    assert first == second


def test_different_seed_changes_every_source(tmp_path):
    generate(tmp_path / "a", 200, START, END, seed=3)
    generate(tmp_path / "b", 200, START, END, seed=4)
    first, second = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    assert first.keys() == second.keys()
    changed = {path.split("/")[0] for path in first if first[path] != second[path]}
    assert {
        "crm_customers",
        "web_orders",
        "pos_orders",
        "web_events",
        "email_engagement",
        "demographics",
        "_truth",
    } <= changed


def test_rerun_into_same_folder_replaces_previous_output(tmp_path):
    generate(tmp_path, 200, START, date(2026, 6, 10), seed=3)
    generate(tmp_path, 200, START, END, seed=3)
    days = sorted(p.name for p in (tmp_path / "web_orders").iterdir())
    assert days == ["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"]


def test_source_filter_leaves_other_sources_bytes_unchanged(tmp_path):
    generate(tmp_path / "all", 150, START, END, seed=5)
    report = generate(tmp_path / "some", 150, START, END, seed=5, sources=["web_events", "demographics"])
    full, subset = tree_digest(tmp_path / "all"), tree_digest(tmp_path / "some")
    written = {p for p in subset if not p.startswith("_truth")}
    assert {p.split("/")[0] for p in written} == {"web_events", "demographics"}
    assert all(subset[p] == full[p] for p in written)
    assert report.sources == ("web_events", "demographics")
