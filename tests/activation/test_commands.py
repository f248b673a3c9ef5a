"""`cdp audiences` and `cdp campaigns`: what a user types, and one line when a file is wrong."""

from __future__ import annotations

import json

from cdp.cli import main
from tests.activation.conftest import DAY, WIN_BACK, write_audience


def test_list_validate_run_and_campaigns(activation_env, capsys):
    settings, _, _ = activation_env
    assert main(["audiences", "validate"]) == 0
    assert "ok: 1 audience file(s)" in capsys.readouterr().out
    assert main(["audiences", "run", "--date", DAY.isoformat()]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["audiences"]["win_back"]["members"] > 0
    assert main(["audiences", "list", "--date", DAY.isoformat(), "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "win_back" and listed["members"] == run["audiences"]["win_back"]["members"]
    assert main(["campaigns", "--date", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "win_back" in out and "pending" in out and f"report: {settings.reports_dir / 'campaigns'}" in out


def test_a_bad_file_is_one_line_and_exit_2(activation_env, capsys):
    _, _, audiences = activation_env
    write_audience(audiences, "win_back", WIN_BACK.replace("clv_decile: {gte: 5}", "clv_decile: {gte: high}"))
    assert main(["audiences", "validate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: win_back.yml: rule.all[1].clv_decile.gte: 'high' is not a number value"
