"""Data Docs that open with no internet access: GX's CDN assets served from the site's own folder.

Great Expectations' page templates load jQuery, Bootstrap, bootstrap-table, Font Awesome and
the GX logo from CDNs: offline, the index page shows no results at all. The same releases are
bundled in `expectations/data_docs_assets/` (versions and licences in its README); after every
Data Docs build they are copied to `<site>/static/offline/` and each page's CDN addresses are
rewritten to relative paths. Vega (charts of distribution expectations, which no platform
suite uses) is not bundled: its script tags are dropped.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).with_name("data_docs_assets")
#: Where the bundled assets go inside the Data Docs site.
SITE_ASSETS = "static/offline"

#: CDN address -> bundled file (relative to ASSETS_DIR). The releases GX 1.24's templates name.
LOCAL_COPIES: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1/bootstrap.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css"
    ),
}

#: Scripts not bundled (chart rendering only); their tags are removed.
DROPPED_SCRIPTS = (
    "https://cdn.jsdelivr.net/npm/vega@5",
    "https://cdn.jsdelivr.net/npm/vega-lite@5",
    "https://cdn.jsdelivr.net/npm/vega-embed@6",
)

#: GX's logo comes from its web-assets bucket; the site's own static/images has it.
_LOGO = re.compile(
    r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/[a-z_-]+\.png[^\"']*"
)
#: GX counts one folder too few for a validation page's favicon (a console error on every page).
_FAVICON = re.compile(r'href="[./]*static/images/favicon\.ico"')
#: Subresource-integrity and CORS attributes: a file:// page refuses a `crossorigin` script.
_SRI = re.compile(r'\s+(?:integrity="[^"]*"|crossorigin="[^"]*")')
_DROPPED = re.compile("|".join(rf'<script src="{re.escape(url)}"></script>\n?' for url in DROPPED_SCRIPTS))


def install_assets(docs_dir: Path) -> Path:
    """Copy the bundled assets into the site (files already there with the same size are kept)."""
    target = docs_dir / SITE_ASSETS
    for source in ASSETS_DIR.rglob("*"):
        if source.is_file() and source.suffix in {".js", ".css", ".woff2"}:
            destination = target / source.relative_to(ASSETS_DIR)
            if not destination.is_file() or destination.stat().st_size != source.stat().st_size:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
    return target


def offline_html(html: str, depth: int) -> str:
    """The page with every CDN asset pointing at the site's bundled copy; `depth`: folders below the site root."""
    root = "../" * depth
    for url, local in LOCAL_COPIES.items():
        html = html.replace(f'"{url}"', f'"{root}{SITE_ASSETS}/{local}"')
    html = _LOGO.sub(f"{root}static/images/logo-long.png", html)
    html = _FAVICON.sub(f'href="{root}static/images/favicon.ico"', html)
    html = _DROPPED.sub("", html)
    return _SRI.sub("", html)


def needs_rewrite(html: str) -> bool:
    """Whether a page still loads something from a CDN this module knows."""
    return any(url in html for url in (*LOCAL_COPIES, *DROPPED_SCRIPTS)) or bool(_LOGO.search(html))


def make_offline(docs_dir: Path, since: float | None = None) -> int:
    """Install the assets and rewrite the site's pages that still name a CDN; returns pages rewritten.

    since: only pages written at or after this time (`time.time()`), e.g. those of one build;
    the site keeps every run's pages, so a full scan grows with its history.
    """
    if not (docs_dir / "index.html").is_file():
        return 0
    if not (docs_dir / SITE_ASSETS).is_dir():
        since = None  # first time on this site: its older pages too
    install_assets(docs_dir)
    rewritten = 0
    for page in docs_dir.rglob("*.html"):
        if SITE_ASSETS in page.relative_to(docs_dir).as_posix():
            continue
        if since is not None and page.stat().st_mtime < since:
            continue
        html = page.read_text(encoding="utf-8")
        if not needs_rewrite(html):
            continue
        depth = len(page.relative_to(docs_dir).parts) - 1
        page.write_text(offline_html(html, depth), encoding="utf-8")
        rewritten += 1
    log.info("Data Docs made offline: %d page(s) rewritten under %s", rewritten, docs_dir)
    return rewritten
