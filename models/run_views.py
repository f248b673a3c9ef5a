"""A saved view of an experiment's runs table, stored as an experiment tag the MLflow UI reads.

MLflow 3.17's experiment page lists "Views" saved on the experiment itself: each one is an
experiment tag `mlflow.sharedViewState.<view id>` whose value is a JSON envelope (name,
creation time, and the page state as a JSON string: search facets plus the columns, sort and
chart settings). Writing that tag from the training code gives every experiment a view with
its key metrics as columns, which the UI opens from the Views menu or from
`#/experiments/<id>/runs?viewStateShareKey=<view id>` (`view_link`). The format is read
from the UI bundle shipped with mlflow 3.17 (`mlflow/server/js/build`); a UI that does not
know it ignores the tag.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

VIEW_TAG_PREFIX = "mlflow.sharedViewState."
KEY_METRICS_VIEW = "key-metrics"
#: The URL parameter that opens a saved view.
VIEW_URL_PARAMETER = "viewStateShareKey"
#: Created-at of the view (ms): fixed, so re-writing the tag every run changes nothing.
_CREATED_AT_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def column(kind: str, key: str) -> str:
    """The UI's column id: kind is `metrics`, `params`, `tags` or `attributes`."""
    return f"{kind}.`{key}`"


def runs_view_state(metrics: Sequence[str], params: Sequence[str] = (), tags: Sequence[str] = ()) -> dict:
    """The runs page state of a view showing `metrics`, `params` and `tags` as columns, every run charted."""
    selected = [column("metrics", m) for m in metrics] + [column("params", p) for p in params]
    selected += [column("tags", t) for t in tags] + [column("attributes", "Models")]
    return {
        "searchFilter": "",
        "orderByKey": "attributes.start_time",
        "orderByAsc": False,
        "startTime": "ALL",
        "lifecycleFilter": "Active",
        "datasetsFilter": [],
        "modelVersionFilter": "All Runs",
        "selectedColumns": selected,
        "columnOrder": [],
        "columnWidths": {},
        # the charts otherwise show the first ten runs only and can hide the chosen candidate
        "runsHiddenMode": "SHOW_ALL",
        "viewMaximized": False,
        "runListHidden": False,
        "isAccordionReordered": False,
        "useGroupedValuesInCharts": True,
        "hideEmptyCharts": True,
        "groupBy": None,
        "groupsExpanded": {},
        "globalLineChartConfig": {"xAxisKey": "step", "lineSmoothness": 0, "selectedXAxisMetricKey": ""},
    }


def saved_view_tag(name: str, state: dict, view_id: str = KEY_METRICS_VIEW) -> tuple[str, str]:
    """(tag key, tag value) of a saved runs view called `name` with page state `state`."""
    envelope = {
        "name": name,
        "createdAt": _CREATED_AT_MS,
        "updatedAt": _CREATED_AT_MS,
        "state": json.dumps(state, separators=(",", ":")),
    }
    return f"{VIEW_TAG_PREFIX}{view_id}", json.dumps(envelope, separators=(",", ":"))


def view_link(experiment_id: str, view_id: str = KEY_METRICS_VIEW) -> str:
    """The UI fragment that opens the experiment's runs in saved view `view_id`."""
    return f"#/experiments/{experiment_id}/runs?{VIEW_URL_PARAMETER}={view_id}&workflowType=machine_learning"
