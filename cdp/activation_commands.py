"""`cdp audiences` and `cdp campaigns`: audiences as code, their exports, and campaign lift.

Argument parsing only; the work is in `activation`. A bad audience file or a failed
destination prints one line naming it and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from customer_platform.config import Settings


def _one_line_errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapped(args: argparse.Namespace) -> int:
        from activation.audiences import AudienceError
        from activation.webhook import DestinationError

        try:
            return func(args)
        except (AudienceError, DestinationError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return wrapped


@_one_line_errors
def cmd_audiences_list(args: argparse.Namespace) -> int:
    """Print every audience file: channel, dates, holdout share, destinations, and today's members."""
    from activation.commands import describe_audiences

    rows = describe_audiences(args.date)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        print(
            f"{row['name']:<32} {row['channel']:<6} {'active' if row['active'] else 'inactive':<9} "
            f"holdout {row['holdout_share']:.0%}  members {row['members']}  -> {', '.join(row['destinations'])}"
        )
    return 0


@_one_line_errors
def cmd_audiences_validate(args: argparse.Namespace) -> int:
    """Check every audience file (and its rule against the warehouse's columns when there is one)."""
    from activation.commands import validate_audiences

    print(validate_audiences())
    return 0


@_one_line_errors
def cmd_audiences_run(args: argparse.Namespace) -> int:
    """Materialise, export and sync the active audiences for a date (what the nightly stage does)."""
    from activation.run import activate_audiences

    print(json.dumps(activate_audiences(args.date), indent=2, default=str))
    return 0


@_one_line_errors
def cmd_campaigns(args: argparse.Namespace) -> int:
    """Measure every campaign for a date, write marts.campaign_results and the HTML report."""
    from activation.run import measure_campaigns

    result: dict[str, Any] = measure_campaigns(args.date)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    for name, c in result["campaigns"].items():
        lift = "pending" if c["treatment"] == 0 else (
            f"lift {100 * c['conversion_lift_abs']:+.1f} points "
            f"[{100 * c['interval'][0]:+.1f}, {100 * c['interval'][1]:+.1f}], p = {c['p_value']:.3f}"
        )  # fmt: skip
        print(
            f"{name:<32} {c['source']:<12} treatment {c['treatment']:>6} holdout {c['holdout']:>6}  {lift}  {c['warning']}"
        )
    print(f"report: {result['report']}")
    return 0


def add_activation_commands(sub: argparse._SubParsersAction, settings: Settings, date_type: Callable) -> None:
    """Register `audiences` and `campaigns` on the `cdp` parser."""
    audiences = sub.add_parser("audiences", help="audiences as code: list, validate, run")
    commands = audiences.add_subparsers(dest="audiences_command", required=True)
    listing = commands.add_parser("list", help="every audience file and its members on a date")
    listing.add_argument("--date", type=date_type, default=settings.default_logical_date)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_audiences_list)
    validate = commands.add_parser(
        "validate", help="check the audience files against the warehouse's columns"
    )
    validate.set_defaults(func=cmd_audiences_validate)
    run = commands.add_parser("run", help="materialise, export and sync the active audiences for a date")
    run.add_argument("--date", type=date_type, default=settings.default_logical_date)
    run.set_defaults(func=cmd_audiences_run)

    campaigns = sub.add_parser(
        "campaigns", help="measure campaign lift (treatment against holdout) and report"
    )
    campaigns.add_argument("--date", type=date_type, default=settings.default_logical_date)
    campaigns.add_argument("--json", action="store_true")
    campaigns.set_defaults(func=cmd_campaigns)
