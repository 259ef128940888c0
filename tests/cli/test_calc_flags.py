"""``retentionkit calc``'s flags are exactly the registry's calc inputs (cli/metrics_cmd.py
writes them out to keep the CLI start-up light; this test keeps them equal)."""

from __future__ import annotations

from typing import Any

import typer

from retentionkit.cli.app import app
from retentionkit.metrics.registry import CALC_METRIC_NAMES, get_metric


def _calc_options() -> list[Any]:
    calc = typer.main.get_command(app).commands["calc"]  # type: ignore[attr-defined]
    return [p for p in calc.params if p.param_type_name == "option" and p.opts != ["--format"]]


def test_calc_flags_equal_the_registry_calc_inputs() -> None:
    flags = {opt for param in _calc_options() for opt in param.opts}
    declared = {i.flag for name in CALC_METRIC_NAMES for i in get_metric(name).calc_inputs}
    assert flags == declared


def test_repeatable_inputs_are_repeatable_flags() -> None:
    multiple = {p.opts[0] for p in _calc_options() if p.multiple}
    declared = {
        i.flag for name in CALC_METRIC_NAMES for i in get_metric(name).calc_inputs if i.repeatable
    }
    assert multiple == declared
