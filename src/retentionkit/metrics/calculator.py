"""``retentionkit calc``: the pure formulas on numbers typed by hand, with input checks.

Which metrics calc offers, their inputs and their calculator formulas are declared in the
registry (``MetricSpec.calc_inputs`` and ``MetricSpec.calc``); this module only checks the
given numbers against those declarations and applies the formula.
"""

from __future__ import annotations

import math
from typing import Any

from retentionkit.errors import ConfigError, UnknownNameError
from retentionkit.metrics.registry import CALC_METRIC_NAMES, REGISTRY, CalcInput


def _flag(name: str) -> str:
    return CalcInput(name=name, help="").flag


def calculate(metric: str, given: dict[str, Any]) -> dict[str, Any]:
    """{"metric", "value", "inputs"}; value None where undefined (e.g. S = 0).

    Checks, each one clear sentence: the metric is offered by calc, every required input is
    given, no other input is given, every number is finite and ≥ 0, and a part does not
    exceed its whole (``CalcInput.at_most``); the metric's own rules are in its formula."""
    spec = REGISTRY.get(metric)
    if spec is None or spec.calc is None:
        raise UnknownNameError(
            f"Unknown metric {metric!r} for calc; valid: {', '.join(CALC_METRIC_NAMES)}."
        )
    inputs = {i.name: i for i in spec.calc_inputs}
    missing = [i.flag for i in spec.calc_inputs if i.required and i.name not in given]
    if missing:
        raise ConfigError(f"calc {metric} needs {', '.join(missing)}.")
    unexpected = [k for k in given if k not in inputs]
    if unexpected:
        raise ConfigError(
            f"calc {metric} does not take {_flag(unexpected[0])}; "
            f"it takes: {', '.join(i.flag for i in spec.calc_inputs)}."
        )
    for key, value in given.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not math.isfinite(v) or v < 0:
                raise ConfigError(f"{_flag(key)} {v} must be a number ≥ 0.")
    for part in spec.calc_inputs:  # a part cannot exceed its whole
        whole = part.at_most
        if whole in given and part.name in given and given[part.name] > given[whole]:
            raise ConfigError(
                f"{part.flag} {given[part.name]:g} cannot exceed {_flag(whole)} {given[whole]:g}."
            )
    value = float(spec.calc(given))
    return {"metric": metric, "value": None if math.isnan(value) else value, "inputs": dict(given)}
