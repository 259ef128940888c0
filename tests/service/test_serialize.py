"""One serialisation path: flattened CSV components, JSON records, and one number format for
the CLI table and the dashboard."""

from __future__ import annotations

import io
import json

import pandas as pd

from retentionkit.service.serialize import (
    flat_frame,
    flatten_record,
    fmt_delta,
    fmt_value,
    frame_csv,
    frame_records,
)


def _metric_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric": ["crr", "crr"],
            "period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "period_end": pd.to_datetime(["2024-02-01", "2024-03-01"]),
            "segment": ["all", "all"],
            "value": [75.0, float("nan")],
            "components": [{"start": 100, "end": 80, "new": 5}, {"start": 80, "end": 0}],
            "health": ["good", None],
        }
    )


def test_csv_flattens_components_into_columns() -> None:
    text = frame_csv(_metric_frame())
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == [
        "metric",
        "period_start",
        "period_end",
        "segment",
        "value",
        "components.start",
        "components.end",
        "components.new",
        "health",
    ]
    assert back["components.start"].tolist() == [100, 80]
    assert back["period_start"].tolist() == ["2024-01-01", "2024-02-01"]
    assert "{" not in text


def test_json_records_have_iso_days_and_no_nan() -> None:
    records = frame_records(_metric_frame())
    assert records[0]["period_start"] == "2024-01-01"
    assert records[1]["value"] is None
    assert records[0]["components"] == {"start": 100, "end": 80, "new": 5}
    json.dumps(records, allow_nan=False)


def test_flatten_record_nests_and_joins_lists() -> None:
    assert flatten_record({"a": {"b": {"c": 1}}, "r": ["x", "y"]}) == {"a.b.c": 1, "r": "x | y"}
    reasons = pd.DataFrame({"customer_id": ["c1"], "reasons": [["late", "cheap"]]})
    assert flat_frame(reasons)["reasons"].tolist() == ["late | cheap"]


def test_number_formats() -> None:
    assert fmt_value(12.345, "%") == "12.3%"
    assert fmt_value(1234.5, "count") == "1,234"
    assert fmt_value(1234.5, "money", "EUR") == "1,234.50 EUR"
    assert fmt_value(float("nan"), "%") == "–"
    assert fmt_delta(1.25, 10, "%") == "+1.2 pp"


def test_dashboard_and_cli_table_format_with_the_same_function(gen_db, capsys) -> None:
    """The overview card and the CLI metrics table print a percentage with the same
    function, so they read the same."""
    import retentionkit.pages.common as page_common
    import retentionkit.pages.overview as overview
    from retentionkit.cli.app import main
    from retentionkit.pages import Filters
    from retentionkit.service import MetricRequest, serialize
    from retentionkit.web.service import WorkspaceService
    from retentionkit.workspace import Workspace

    assert page_common.fmt_value is serialize.fmt_value
    assert overview.fmt_value is serialize.fmt_value

    ws = Workspace(gen_db)
    try:
        frame = ws.metrics("crr", period="quarter")
        cards = overview.build(WorkspaceService(workspace=ws), Filters(period="quarter"))
    finally:
        ws.con.disconnect()
    last = frame.sort_values("period_start").iloc[-1]["value"]
    expected = serialize.fmt_value(last, "%")
    card = next(c for c in cards["cards"] if c["name"] == "crr")
    assert card["value"] == expected
    assert MetricRequest(metrics=("crr",), period="quarter")  # the request both faces build
    code = main(["--db", str(gen_db), "metrics", "-m", "crr", "--period", "quarter"])
    assert code == 0
    assert expected in capsys.readouterr().out
