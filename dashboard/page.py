"""One dashboard page from the warehouse: query (read-only, briefly), draw, render with Jinja2.

The queries run first and hand plain aggregates to Python; the connection is closed before
matplotlib draws anything, so the file is held only for the query phase (`Rendered.query_seconds`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from dashboard import activation, identity, movement, quality, segments
from dashboard.model import Section
from dashboard.reader import read_catalog, read_only, scalar

#: Where the banner goes when a stored page is served while a run writes the warehouse.
BANNER_MARK = "<!-- cdp:banner -->"
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("dashboard", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Rendered:
    """A rendered page and what it cost."""

    html: str
    rendered_at: str
    query_seconds: float
    total_seconds: float


def collect(path: Path) -> dict[str, Any]:
    """Every section's aggregates, read in one short read-only session."""
    with read_only(path) as con:
        catalog = read_catalog(con)
        latest = None
        if catalog.has(segments.SEGMENTS, "logical_date"):
            latest = scalar(con, f"select cast(max(logical_date) as varchar) from {segments.SEGMENTS}")
        return {
            "latest_date": latest,
            "segments": segments.collect(con, catalog),
            "movement": movement.collect(con, catalog),
            "quality": quality.collect(con, catalog),
            "identity": identity.collect(con, catalog),
            "activation": activation.collect(con, catalog),
        }


def build_sections(data: dict[str, Any]) -> list[Section]:
    """The page's sections, in reading order."""
    order = [s["segment_name"] for s in data["segments"]["sizes"]] if data["segments"] else []
    return [
        segments.build(data["segments"]),
        movement.build(data["movement"], order),
        quality.build(data["quality"]),
        identity.build(data["identity"]),
        activation.build(data["activation"]),
    ]


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(path: Path) -> Rendered:
    """The dashboard page for the warehouse at `path`.

    Raises reader.WarehouseBusy while a run writes the file and reader.WarehouseMissing before the
    first run.
    """
    started = time.perf_counter()
    data = collect(path)
    queried = time.perf_counter()
    sections = build_sections(data)
    rendered_at = _now()
    page = _ENV.get_template("page.html").render(
        sections=sections,
        warehouse=str(path),
        latest_date=data["latest_date"],
        rendered_at=rendered_at,
        query_ms=round(1000 * (queried - started)),
        draw_ms=round(1000 * (time.perf_counter() - queried)),
        banner_mark=Markup(BANNER_MARK),
    )
    return Rendered(page, rendered_at, queried - started, time.perf_counter() - started)


def message_page(title: str, message: str) -> str:
    """A plain page with one message (no warehouse data): before the first run, or while one writes."""
    return _ENV.get_template("message.html").render(title=title, message=message, rendered_at=_now())


def with_banner(page: str, message: str) -> str:
    """`page` with a banner at its top saying why it is not fresh."""
    banner = _ENV.get_template("banner.html").render(message=message)
    return page.replace(BANNER_MARK, banner, 1)
