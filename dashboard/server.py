"""`cdp dashboard`: the page served on 127.0.0.1 by the standard library's HTTP server.

A request renders the page from the warehouse unless one younger than `cache_seconds` is in
memory. While a run holds the warehouse's write lock the last successfully rendered page is
served with a banner saying so (from memory, else from `<reports>/dashboard/last.html`, kept
across restarts), or a plain message page when there is none. Any other failure to render also
serves that stored page or a message: a visitor never sees a traceback (the log has it).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dashboard import DEFAULT_CACHE_SECONDS
from dashboard.page import message_page, render, with_banner
from dashboard.reader import WarehouseBusy, WarehouseMissing

log = logging.getLogger(__name__)

LAST_PAGE = "last.html"
BUSY = "A run is writing the warehouse right now, so it cannot be read."


@dataclass
class Page:
    """What one request gets: status, HTML and whether it is fresh."""

    status: int
    html: str
    fresh: bool


class Dashboard:
    """Renders, caches and keeps the last good page; one render at a time (matplotlib's rc is global)."""

    def __init__(self, warehouse: Path, store_dir: Path, cache_seconds: float = DEFAULT_CACHE_SECONDS):
        self.warehouse, self.store_dir, self.cache_seconds = warehouse, store_dir, cache_seconds
        self._lock = threading.Lock()
        self._last: tuple[float, str, str] | None = None  # (monotonic time, rendered at, html)

    def _stored(self) -> tuple[str, str] | None:
        """(rendered at, html) of the last good page: memory first, then disk."""
        if self._last is not None:
            return self._last[1], self._last[2]
        path = self.store_dir / LAST_PAGE
        if path.is_file():
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(path.stat().st_mtime))
            return stamp, path.read_text(encoding="utf-8")
        return None

    def _keep(self, rendered_at: str, html: str) -> None:
        self._last = (time.monotonic(), rendered_at, html)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.store_dir / f"{LAST_PAGE}.tmp"
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(self.store_dir / LAST_PAGE)

    def _fallback(self, reason: str) -> Page:
        stored = self._stored()
        if stored is None:
            return Page(
                503, message_page("Warehouse not readable", f"{reason} No page has been rendered yet."), False
            )
        rendered_at, html = stored
        return Page(
            200, with_banner(html, f"{reason} Showing the page last rendered at {rendered_at}."), False
        )

    def page(self) -> Page:
        """The page for one request (fresh, cached, stored with a banner, or a message)."""
        with self._lock:
            if self._last is not None and time.monotonic() - self._last[0] < self.cache_seconds:
                return Page(200, self._last[2], True)
            try:
                rendered = render(self.warehouse)
            except WarehouseBusy:
                return self._fallback(BUSY)
            except WarehouseMissing as exc:
                return Page(503, message_page("No warehouse yet", str(exc)), False)
            except Exception:  # a page, never a traceback: the log keeps the details
                log.exception("dashboard: rendering from %s failed", self.warehouse)
                return self._fallback("The warehouse could not be read (see the dashboard's log).")
            self._keep(rendered.rendered_at, rendered.html)
            log.info(
                "dashboard rendered in %.0f ms (queries %.0f ms), %d bytes",
                1000 * rendered.total_seconds,
                1000 * rendered.query_seconds,
                len(rendered.html.encode()),
            )
            return Page(200, rendered.html, True)


def _handler(dashboard: Dashboard) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "cdp-dashboard"

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                page = dashboard.page()
                self._send(page.status, page.html.encode("utf-8"), "text/html; charset=utf-8")
            elif path == "/healthz":
                self._send(200, b"ok\n", "text/plain; charset=utf-8")
            else:
                self._send(404, b"not found\n", "text/plain; charset=utf-8")

        do_HEAD = do_GET

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - the standard library's signature
            log.info("%s %s", self.address_string(), format % args)

    return Handler


def make_server(dashboard: Dashboard, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A threading HTTP server bound to host:port (port 0 picks a free one)."""
    server = ThreadingHTTPServer((host, port), _handler(dashboard))
    server.daemon_threads = True
    return server


def serve(dashboard: Dashboard, port: int, host: str = "127.0.0.1") -> None:
    """Serve until interrupted (Ctrl-C), printing the address first."""
    server = make_server(dashboard, port, host)
    print(
        f"dashboard on http://{host}:{server.server_address[1]}/ (reads {dashboard.warehouse} read-only)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
