"""GET /api/metrics returns exactly what ``retentionkit metrics --format json`` prints."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

CASES = [
    [
        "--metric",
        "crr",
        "--metric",
        "churn_rate",
        "--period",
        "month",
        "--last",
        "3",
        "--compare",
        "previous",
    ],
    [
        "--metric",
        "revenue",
        "--metric",
        "new_customers",
        "--period",
        "quarter",
        "--segment",
        "channel",
        "--from",
        "2023-04-01",
        "--to",
        "2023-12-01",
    ],
    [
        "--metric",
        "nps",
        "--metric",
        "crr",
        "--period",
        "month",
        "--compare",
        "year",
        "--churn-basis",
        "end",
        "--customer-definition",
        "activity",
        "--active-window",
        "90d",
    ],
    ["--period", "quarter"],
]


def assert_same(got: object, want: object, where: str = "") -> None:
    """Equal records; floats to 1e-9 relative (DuckDB's parallel sums are not bit-reproducible
    from one run to the next, CLI or API alike)."""
    if isinstance(want, float) and isinstance(got, float):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), where
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), where
        for key in want:
            assert_same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, f"{where}[{i}]")
    else:
        assert got == want and type(got) is type(want), where


def _query(args: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for flag, value in zip(args[::2], args[1::2], strict=True):
        pairs.append((flag.removeprefix("--").replace("-", "_"), value))
    return pairs


def _cli_json(db: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    from retentionkit.cli.app import main

    capsys.readouterr()
    code = main(["--db", str(db), "metrics", *args, "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


@pytest.mark.parametrize("args", CASES, ids=["rates-last3", "segment-range", "compare-year", "all"])
def test_api_equals_cli(db: Path, make_client, args: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    expected = _cli_json(db, args, capsys)
    client = make_client()
    response = client.get(
        "/api/metrics", params=[("from" if k == "from" else k, v) for k, v in _query(args)]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert_same(response.json(), expected)
    assert len(expected) > 0


def test_second_call_is_served_from_the_cache(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/api/metrics", params={"metric": "crr", "last": 2})
    second = client.get("/api/metrics", params={"metric": "crr", "last": 2})
    assert first.json() == second.json()
    svc = next(iter(client.app.state.services.values()))
    assert len(svc._cache) >= 1


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"period": "fortnight"}, "period"),
        ({"from": "2024-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"last": "0"}, "last"),
        ({"last": "many"}, "last"),
        ({"compare": "lastyear"}, "compare"),
        ({"churn_basis": "middle"}, "churn_basis"),
        ({"customer_definition": "vibes"}, "customer_definition"),
        ({"metric": "happiness"}, "happiness"),
        ({"segment": "shoe_size"}, "shoe_size"),
        ({"active_window": "ninety"}, "ninety"),
    ],
)
def test_bad_parameters_are_422_with_the_reason(client, params, reason) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/metrics", params=params)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and reason in detail


def test_library_errors_map_to_their_http_status(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.settings import WebSettings

    empty = tmp_path / "empty.duckdb"
    with TestClient(create_app(WebSettings(db=empty, warm_cache=False))) as c:
        response = c.get("/api/metrics")
    assert response.status_code == 409  # MissingTableError
    assert "ingest" in response.json()["detail"]


def test_openapi_lists_the_routes(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/openapi.json").json()
    assert "/api/metrics" in schema["paths"]
    assert "/api/ingest/{table}" in schema["paths"]
    assert client.get("/docs").status_code == 200
