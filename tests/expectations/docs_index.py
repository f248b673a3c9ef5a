"""Read the Data Docs front page: its index tables are JavaScript data inside <script> tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

_ROW_FIELD = re.compile(r"'(_expectation_suite_name_sort|run_name|_table_row_link_path)': '([^']*)'")


@dataclass(frozen=True)
class IndexRow:
    """One row of a Data Docs index table."""

    suite: str
    run_name: str | None
    link: str | None


class _ScriptCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self._in_script = False
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def parse_index(path: Path) -> list[IndexRow]:
    """Rows of the index's validation-result and expectation-suite tables, in page order."""
    collector = _ScriptCollector()
    collector.feed(path.read_text(encoding="utf-8"))
    rows: list[IndexRow] = []
    current: dict[str, str] = {}
    for field, value in _ROW_FIELD.findall("\n".join(collector.scripts)):
        current[field] = value
        if field == "_table_row_link_path":  # the last of the fields we read in every row
            suite = current.get("_expectation_suite_name_sort")
            if suite:
                rows.append(IndexRow(suite, current.get("run_name"), value))
            current = {}
    return rows
