"""The segment dashboard: one page rendered from the warehouse, served on 127.0.0.1 (`cdp dashboard`).

Segments (sizes over time, personas, revenue share, order value, churn risk and value), movement
between segments and lifecycle stages, data-quality gates and drift, identity statistics, and
audiences with campaign lift — each section only once its tables exist. It reads the warehouse
read-only and never shows personal data (aggregates only; the `pii` schema is never read).

Design: the standard library's `http.server`, Jinja2 templates and matplotlib charts inlined
as SVG. No new dependency (both were already installed), no JavaScript, nothing fetched from the
network, so it works offline and a page saved with `--render-only` is one self-contained file.

Measured on the demo warehouse after `make run` (5,000 generated customers: 7,059 unified
customers, 54,884 source records; 11 charts) on the 2-core reference machine while other jobs
kept its load average at 3: a render took 1.44–1.72 s over seven renders (median 1.49 s), of
which the read-only queries 89–214 ms (median 95 ms) and matplotlib's drawing the rest; at load
average 5 renders took 2.5–3.0 s. The page is 201 KB (20 KB gzipped) and Chromium loads it with
no further request; a cached page came back in 0.1 s. So the warehouse is held for
about a tenth of a second per render, at most once per cache period (30 s by default), and a
cached page is served without touching it. Streamlit or Dash would add a server framework and
its dependency tree to the environment (not installed or measured here) and push charts to the
browser as JavaScript; neither is needed for one page of aggregates that changes once a night.
"""

#: Seconds a rendered page is served from memory before the warehouse is read again.
DEFAULT_CACHE_SECONDS = 30.0
#: Port the page is served on (127.0.0.1 only); `cdp dashboard --port` overrides it.
DEFAULT_PORT = 8765
