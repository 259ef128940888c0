"""The other read routes return what the matching CLI command prints with --format json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest


def _same(got: object, want: object) -> None:
    if isinstance(want, float) and isinstance(got, float):
        assert math.isclose(got, want, rel_tol=1e-7, abs_tol=1e-9)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want)
        for key in want:
            _same(got[key], want[key])
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _same(g, w)
    else:
        assert got == want


def _cli(db: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    from retentionkit.cli.app import main

    capsys.readouterr()
    code = main(["--db", str(db), *args, "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def _features() -> set[str]:
    from retentionkit.service.features import available_features

    return available_features()


CASES = [
    (
        "cohorts",
        ["cohorts", "--period", "quarter", "--kind", "revenue"],
        "/api/cohorts?period=quarter&kind=revenue",
    ),
    ("cohorts", ["cohorts", "--segment", "channel"], "/api/cohorts?segment=channel"),
    ("rfm", ["rfm", "--time-unit", "day"], "/api/rfm?time_unit=day"),
    ("segments", ["segments", "--scheme", "rfm"], "/api/segments?scheme=rfm"),
    ("segments", ["segments", "--scheme", "country"], "/api/segments?scheme=country"),
    ("clv", ["clv", "predict", "--horizon", "26"], "/api/clv?horizon=26"),
    (
        "churn",
        ["churn", "at-risk", "--top", "15", "--method", "palive"],
        "/api/churn/at-risk?top=15&method=palive",
    ),
]


@pytest.mark.parametrize(("feature", "args", "url"), CASES, ids=[c[2] for c in CASES])
def test_route_equals_cli(db: Path, make_client, capsys, feature, args, url) -> None:  # type: ignore[no-untyped-def]
    if feature not in _features():
        pytest.skip(f"the {feature} library function is not in this tree")
    expected = _cli(db, args, capsys)
    response = make_client().get(url)
    assert response.status_code == 200, response.text
    _same(response.json(), expected)
    assert len(expected) > 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/cohorts?period=year",
        "/api/cohorts?kind=money",
        "/api/cohorts?from=2024-02-31",
        "/api/rfm?time_unit=hour",
        "/api/clv?horizon=0",
        "/api/clv?margin=1.5",
        "/api/clv?model=magic",
        "/api/segments?scheme=zodiac",
        "/api/churn/at-risk?top=0",
        "/api/churn/at-risk?horizon=soon",
        "/api/churn/at-risk?method=tarot",
    ],
)
def test_bad_parameters_are_422(client, url: str) -> None:  # type: ignore[no-untyped-def]
    route = url.split("?")[0].removeprefix("/api/").split("/")[0]
    if route not in _features():
        pytest.skip(f"the {route} library function is not in this tree")
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str)


def test_at_risk_lists_reasons_and_value(client) -> None:  # type: ignore[no-untyped-def]
    if "churn" not in _features():
        pytest.skip("the churn library function is not in this tree")
    response = client.get("/api/churn/at-risk", params={"top": 10, "method": "palive"})
    assert response.status_code == 200, response.text
    rows = response.json()
    assert 0 < len(rows) <= 10
    assert set(rows[0]) >= {"customer_id", "risk", "value_at_risk", "reasons", "segment"}
    values = [r["value_at_risk"] for r in rows]
    assert values == sorted(values, reverse=True)
