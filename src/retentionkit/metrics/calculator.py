"""``retentionkit calc``: the pure formulas on numbers typed by hand, with input checks."""

from __future__ import annotations

import math
from typing import Any

from retentionkit.errors import ConfigError, UnknownNameError
from retentionkit.metrics import formulas as f

#: metric → (required inputs, optional inputs)
INPUTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "crr": (("start", "end", "new"), ()),
    "churn_rate": (("lost",), ("start", "end")),
    "repeat_purchase_rate": (("returning", "customers"), ()),
    "nps": (("promoters", "passives", "detractors"), ()),
    "csat": (("satisfied", "responses"), ()),
    "mrr": (("customers", "arpc"), ()),
    "cac": (("cost", "new"), ()),
    "renewal_rate": (("renewed", "due"), ()),
    "clv": (("apv", "apf", "acl"), ("margin", "discount_rate")),
}


def calculate(metric: str, given: dict[str, Any]) -> dict[str, Any]:
    """{"metric", "value", "inputs"}; value None where undefined (e.g. S = 0)."""
    if metric not in INPUTS:
        raise UnknownNameError(f"Unknown metric {metric!r} for calc; valid: {', '.join(INPUTS)}.")
    required, optional = INPUTS[metric]
    missing = [name for name in required if name not in given]
    if metric == "churn_rate" and "start" not in given and "end" not in given:
        missing.append("start or end")
    if missing:
        flags = ", ".join("--" + m.replace("_", "-") if " " not in m else m for m in missing)
        raise ConfigError(f"calc {metric} needs {flags}.")
    unexpected = [k for k in given if k not in required + optional]
    if unexpected:
        raise ConfigError(
            f"calc {metric} does not take --{unexpected[0].replace('_', '-')}; "
            f"it takes: {', '.join('--' + n for n in required + optional)}."
        )
    for key, value in given.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not math.isfinite(v) or v < 0:
                raise ConfigError(f"--{key.replace('_', '-')} {v} must be a number ≥ 0.")
    g = given
    if metric == "crr":  # SPEC §3: N ≤ E and 0 ≤ retained = E − N ≤ S
        if g["new"] > g["end"]:
            raise ConfigError(f"--new {g['new']:g} cannot exceed --end {g['end']:g}.")
        if g["end"] - g["new"] > g["start"]:
            raise ConfigError(
                f"--end {g['end']:g} minus --new {g['new']:g} is more than --start "
                f"{g['start']:g}: retained customers cannot outnumber those at the start."
            )
    # a part cannot exceed its whole
    for part, whole in (("satisfied", "responses"), ("returning", "customers"), ("renewed", "due")):
        if part in g and whole in g and g[part] > g[whole]:
            raise ConfigError(f"--{part} {g[part]:g} cannot exceed --{whole} {g[whole]:g}.")
    if metric == "churn_rate" and "start" in g and g["lost"] > g["start"]:
        raise ConfigError(f"--lost {g['lost']:g} cannot exceed --start {g['start']:g}.")
    if metric == "crr":
        value = f.crr(g["start"], g["end"], g["new"])
    elif metric == "churn_rate":
        basis = "start" if "start" in g else "end"
        value = f.churn_rate(g["lost"], g.get("start"), g.get("end"), basis)
    elif metric == "repeat_purchase_rate":
        value = f.repeat_purchase_rate(g["returning"], g["customers"])
    elif metric == "nps":
        value = f.nps(g["promoters"], g["passives"], g["detractors"])
    elif metric == "csat":
        value = f.csat(g["satisfied"], g["responses"])
    elif metric == "mrr":
        value = f.mrr(g["customers"], g["arpc"])
    elif metric == "cac":
        value = f.cac(list(g["cost"]), g["new"])
    elif metric == "renewal_rate":
        value = f.renewal_rate(g["renewed"], g["due"])
    else:
        margin = g.get("margin", 1.0)
        if not 0 < margin <= 1:
            raise ConfigError(f"--margin {margin} must be in (0, 1].")
        rate = g.get("discount_rate", 0.0)
        if rate:
            value = f.clv_discounted(g["apv"] * g["apf"] / 12 * margin, g["acl"] * 12, rate)
        else:
            value = f.clv(g["apv"], g["apf"], g["acl"], margin)
    value = float(value)
    return {"metric": metric, "value": None if math.isnan(value) else value, "inputs": dict(given)}
