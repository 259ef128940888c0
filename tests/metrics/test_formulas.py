"""Every SPEC §4 worked example, through the pure formulas and through ``retentionkit calc``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from retentionkit.cli.app import main
from retentionkit.metrics import formulas as f


def calc(capsys, *args: str) -> dict:
    rc = main(["calc", *args, "--format", "json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    result = json.loads(out.out)
    assert set(result) == {"metric", "value", "inputs"}
    return result


def calc_error(capsys, *args: str) -> str:
    rc = main(["calc", *args])
    out = capsys.readouterr()
    assert rc != 0
    assert "Traceback" not in out.err
    message = out.err.strip()
    assert message.count("\n") == 0, message  # one line
    assert message.endswith("."), message  # one sentence
    return message


# -- the worked examples, formula by formula ----------------------------------------------
WORKED = [
    # (formula call, expected rounded to 2 decimals, calc arguments)
    (
        lambda: f.crr(3375, 3500, 200),
        97.78,
        ["crr", "--start", "3375", "--end", "3500", "--new", "200"],
    ),
    (lambda: f.crr(100, 95, 20), 75.00, ["crr", "--start", "100", "--new", "20", "--end", "95"]),
    (lambda: f.crr(100, 80, 0), 80.00, ["crr", "--start", "100", "--end", "80", "--new", "0"]),
    (lambda: f.churn_rate(50, start=1000), 5.00, ["churn_rate", "--lost", "50", "--start", "1000"]),
    (
        lambda: f.churn_rate(50, end=3000, basis="end"),
        1.67,
        ["churn_rate", "--lost", "50", "--end", "3000"],
    ),
    (
        lambda: f.repeat_purchase_rate(200, 1000),
        20.00,
        ["repeat_purchase_rate", "--returning", "200", "--customers", "1000"],
    ),
    (
        lambda: f.nps(1700, 350, 150),
        70.45,
        ["nps", "--promoters", "1700", "--passives", "350", "--detractors", "150"],
    ),
    (
        lambda: f.nps(70, 20, 10),
        60.00,
        ["nps", "--promoters", "70", "--passives", "20", "--detractors", "10"],
    ),
    (lambda: f.csat(400, 500), 80.00, ["csat", "--satisfied", "400", "--responses", "500"]),
    (lambda: f.mrr(100, 50), 5000.00, ["mrr", "--customers", "100", "--arpc", "50"]),
    (
        lambda: f.cac([1500, 1000, 175, 125, 50], 700),
        4.07,
        [
            "cac",
            "--cost",
            "1500",
            "--cost",
            "1000",
            "--cost",
            "175",
            "--cost",
            "125",
            "--cost",
            "50",
            "--new",
            "700",
        ],
    ),
    (
        lambda: f.renewal_rate(16000, 18400),
        86.96,
        ["renewal_rate", "--renewed", "16000", "--due", "18400"],
    ),
    (lambda: f.clv(50, 4, 5), 1000.00, ["clv", "--apv", "50", "--apf", "4", "--acl", "5"]),
    (lambda: f.clv(150, 1, 2), 300.00, ["clv", "--apv", "150", "--apf", "1", "--acl", "2"]),
    # subscription form: 50 EUR a month × 24 months = 12 payments a year × 2 years
    (lambda: f.clv(50, 1, 24), 1200.00, ["clv", "--apv", "50", "--apf", "12", "--acl", "2"]),
]


@pytest.mark.parametrize(
    "formula, expected, args", WORKED, ids=[w[2][0] + "-" + "-".join(w[2][2::2]) for w in WORKED]
)
def test_worked_example_formula(formula, expected, args):
    value = formula()
    assert round(float(value), 2) == expected


@pytest.mark.parametrize(
    "formula, expected, args", WORKED, ids=[w[2][0] + "-" + "-".join(w[2][2::2]) for w in WORKED]
)
def test_worked_example_calc(capsys, formula, expected, args):
    result = calc(capsys, *args)
    assert result["metric"] == args[0]
    assert round(result["value"], 2) == expected
    assert result["value"] == pytest.approx(float(formula()), rel=1e-12)


def test_calc_table_output(capsys):
    assert main(["calc", "crr", "--start", "3375", "--end", "3500", "--new", "200"]) == 0
    assert capsys.readouterr().out.strip() == "crr = 97.78"


def test_calc_inputs_are_echoed(capsys):
    result = calc(capsys, "cac", "--cost", "1500", "--cost", "1000", "--new", "700")
    assert result["inputs"] == {"cost": [1500.0, 1000.0], "new": 700.0}


# -- undefined values are null, never NaN ---------------------------------------------------
def test_undefined_is_nan_in_formulas():
    assert math.isnan(f.crr(0, 5, 5))
    assert math.isnan(f.churn_rate(0, start=0))
    assert math.isnan(f.nps(0, 0, 0))
    assert math.isnan(f.nrr(0, 0, 0, 0))
    assert math.isnan(f.average_customer_lifespan(0))
    out = f.crr(np.array([0, 100]), np.array([5, 95]), np.array([5, 20]))
    assert math.isnan(out[0]) and out[1] == 75.0


def test_undefined_is_null_in_calc(capsys):
    rc = main(["calc", "crr", "--start", "0", "--end", "5", "--new", "5", "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "NaN" not in out
    assert json.loads(out)["value"] is None
    assert main(["calc", "crr", "--start", "0", "--end", "5", "--new", "5"]) == 0
    assert capsys.readouterr().out.strip() == "crr = undefined"


# -- the other formulas ------------------------------------------------------------------
def test_revenue_retention_and_the_rest():
    assert f.nrr(1000, 100, 50, 150) == pytest.approx(90.0)
    assert f.grr(1000, 50, 150) == pytest.approx(80.0)
    assert f.arpc(5000, 100) == 50
    assert f.purchase_frequency(150, 100) == 1.5
    assert f.average_order_value(5000, 100) == 50
    assert f.revenue(1000, 120) == 880
    assert f.revenue(1000, float("nan")) == 1000  # no returns table: nothing returned
    assert f.return_rate(5, 100) == 5
    assert f.average_customer_lifespan(5) == 20  # 5 % a month → 20 months
    assert f.ltv_cac(300, 100) == 3
    assert f.cac_payback_months(120, 50, 0.8) == pytest.approx(3.0)


def test_discounted_clv():
    assert f.clv_discounted(50, 24, 0.0) == pytest.approx(1200)
    monthly = 1.1 ** (1 / 12) - 1
    want = sum(50 / (1 + monthly) ** t for t in range(1, 13))
    assert f.clv_discounted(50, 12, 0.10) == pytest.approx(want)
    assert f.clv_discounted(50, 12, 0.10) < 600
    assert f.clv_discounted(50, 0, 0.10) == 0
    assert math.isnan(f.clv_discounted(50, float("inf"), 0.10))


def test_calc_clv_with_margin_and_discount_rate(capsys):
    result = calc(capsys, "clv", "--apv", "50", "--apf", "4", "--acl", "5", "--margin", "0.5")
    assert result["value"] == pytest.approx(500)
    result = calc(
        capsys, "clv", "--apv", "50", "--apf", "12", "--acl", "2", "--discount-rate", "0.1"
    )
    assert result["value"] == pytest.approx(f.clv_discounted(50, 24, 0.1))
    assert result["value"] < 1200


# -- bad calc input: one sentence, exit ≠ 0 ------------------------------------------------
@pytest.mark.parametrize(
    "args, fragment",
    [
        (["crr", "--start", "100", "--end", "95"], "needs --new"),
        (["churn_rate", "--lost", "5"], "needs --start or --end"),
        (["crr", "--start", "1", "--end", "1", "--new", "0", "--lost", "2"], "does not take"),
        (["nps_score", "--start", "1"], "Unknown metric"),
        (["crr", "--start", "-1", "--end", "1", "--new", "0"], "must be a number"),
        (["crr", "--start", "10", "--end", "5", "--new", "-3"], "must be a number"),
        (["crr", "--start", "100", "--end", "80", "--new", "90"], "cannot exceed"),
        (["crr", "--start", "10", "--end", "80", "--new", "5"], "more than"),
        (["clv", "--apv", "50", "--apf", "4", "--acl", "5", "--margin", "1.5"], "--margin"),
        (["crr", "--start", "nan", "--end", "1", "--new", "0"], "must be a number"),
        (["crr", "--start", "1", "--end", "1", "--new", "0", "--format", "xml"], "--format"),
    ],
)
def test_bad_calc_options(capsys, args, fragment):
    message = calc_error(capsys, *args)
    assert fragment in message


def test_calc_non_number_is_a_usage_error(capsys):
    rc = main(["calc", "crr", "--start", "ten", "--end", "1", "--new", "0"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err  # a usage error
    assert "internal error" not in err and "--start" in err
