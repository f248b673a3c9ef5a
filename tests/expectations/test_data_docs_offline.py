"""Data Docs made offline: every CDN asset GX's templates name has a bundled copy, and pages point at it.

The browser test (tests/browser/test_offline_uis.py) opens a real site with the network unreachable.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import great_expectations

from expectations.data_docs_offline import (
    ASSETS_DIR,
    DROPPED_SCRIPTS,
    LOCAL_COPIES,
    SITE_ASSETS,
    make_offline,
    needs_rewrite,
    offline_html,
)

TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
_ASSET_URL = re.compile(r'<(?:script|link)[^>]*(?:src|href)="(https://[^"]+)"')

PAGE = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-x" crossorigin="anonymous"></script>
<link rel="shortcut icon" href="../../static/images/favicon.ico" type="image/x-icon"/>
</head><body>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&dataContextId=2" />
<a href="https://greatexpectations.io">Great Expectations</a>
</body></html>"""


def test_every_asset_the_gx_templates_load_has_a_bundled_copy_or_is_dropped():
    named = {url for template in TEMPLATES.glob("*.j2") for url in _ASSET_URL.findall(template.read_text())}

    assert named, f"no asset URL found in {TEMPLATES}: GX's templates moved"
    assert named <= set(LOCAL_COPIES) | set(DROPPED_SCRIPTS), sorted(named - set(LOCAL_COPIES))
    assert all((ASSETS_DIR / local).is_file() for local in LOCAL_COPIES.values())


def test_a_page_three_folders_deep_points_at_the_site_root_copies():
    html = offline_html(PAGE, depth=3)

    assert '"../../../static/offline/jquery-3.7.1/jquery.min.js"' in html
    assert '"../../../static/offline/bootstrap-4.3.1/bootstrap.min.css"' in html
    assert 'src="../../../static/images/logo-long.png"' in html
    assert 'href="../../../static/images/favicon.ico"' in html
    assert "vega" not in html and "integrity" not in html and "crossorigin" not in html
    assert 'href="https://greatexpectations.io"' in html  # a plain link stays a link
    assert not needs_rewrite(html)


def _site(root: Path) -> Path:
    (root / "validations" / "a").mkdir(parents=True)
    (root / "index.html").write_text(PAGE)
    (root / "validations" / "a" / "old.html").write_text(PAGE)
    return root


def test_a_build_rewrites_its_own_pages_and_the_first_one_the_whole_site(tmp_path):
    site = _site(tmp_path / "docs")
    old = site / "validations" / "a" / "old.html"

    assert make_offline(site, since=time.time() + 60) == 2  # first time: every page, whatever `since`
    assert (site / SITE_ASSETS / "jquery-3.7.1" / "jquery.min.js").is_file()
    assert '"../../static/offline/jquery-3.7.1/jquery.min.js"' in old.read_text()

    (site / "index.html").write_text(PAGE)  # GX rewrote the index in a later build
    old.write_text(PAGE)
    os.utime(old, (1, 1))  # ... but not this page
    assert make_offline(site, since=time.time() - 5) == 1
    assert not needs_rewrite((site / "index.html").read_text())


def test_no_site_no_work(tmp_path):
    assert make_offline(tmp_path / "missing") == 0
