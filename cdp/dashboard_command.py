"""`cdp dashboard`: serve the segment dashboard on 127.0.0.1, or write it once as a static file.

Argument parsing only; the page is built by the `dashboard` package.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cdp.airflow_ui import port_number
from customer_platform.config import get_settings
from dashboard import DEFAULT_CACHE_SECONDS, DEFAULT_PORT


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard, or with --render-only write the page to a file and exit."""
    # matplotlib and Jinja2 load only for this command, not for every `cdp` invocation.
    from dashboard.page import render
    from dashboard.reader import WarehouseBusy, WarehouseMissing
    from dashboard.server import Dashboard, serve

    settings = get_settings()
    if args.render_only:
        try:
            rendered = render(settings.warehouse_path)
        except (WarehouseBusy, WarehouseMissing) as exc:
            print(f"cdp dashboard: {exc}; nothing written", file=sys.stderr)
            return 1
        args.render_only.parent.mkdir(parents=True, exist_ok=True)
        args.render_only.write_text(rendered.html, encoding="utf-8")
        print(
            f"wrote {args.render_only}: {len(rendered.html.encode()):,} bytes, rendered in "
            f"{1000 * rendered.total_seconds:.0f} ms (queries {1000 * rendered.query_seconds:.0f} ms)"
        )
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    dashboard = Dashboard(settings.warehouse_path, settings.reports_dir / "dashboard", args.cache_seconds)
    serve(dashboard, args.port)
    return 0


def add_dashboard_command(sub: argparse._SubParsersAction) -> None:
    """Register `dashboard` on the `cdp` parser."""
    dashboard = sub.add_parser(
        "dashboard", help="serve the segment, quality and activation dashboard on 127.0.0.1 (read-only)"
    )
    dashboard.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    dashboard.add_argument(
        "--cache-seconds",
        type=float,
        default=DEFAULT_CACHE_SECONDS,
        help=f"re-read the warehouse at most this often (default {DEFAULT_CACHE_SECONDS:g})",
    )
    dashboard.add_argument(
        "--render-only", type=Path, metavar="PATH", help="write the page as static HTML to PATH and exit"
    )
    dashboard.set_defaults(func=cmd_dashboard)
