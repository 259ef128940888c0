"""Charts mark partial periods (docs/metrics.md, Complete periods): open circles on lines,
hatched bars, "(partial period)" on hover — and nothing for complete periods."""

from __future__ import annotations

from retentionkit.pages import charts

X = ["2011-10-01", "2011-11-01", "2011-12-01"]


def test_line_marks_only_the_partial_point() -> None:
    fig = charts.line("CRR", X, {"CRR": [0.3, 0.31, 0.14]}, "%", partial={"2011-12-01"})
    trace = fig["data"][0]
    assert trace["marker"]["symbol"] == ["circle", "circle", "circle-open"]
    assert trace["customdata"] == ["", "", charts.PARTIAL_NOTE]
    assert "%{customdata}" in trace["hovertemplate"]


def test_line_without_partial_periods_is_unchanged() -> None:
    trace = charts.line("CRR", X, {"CRR": [0.3, 0.31, 0.32]}, "%")["data"][0]
    assert "marker" not in trace and "customdata" not in trace


def test_dense_line_shows_a_marker_only_on_the_partial_point() -> None:
    x = [f"p{i}" for i in range(60)]
    trace = charts.line("t", x, {"a": list(range(60))}, partial={"p59"})["data"][0]
    assert trace["mode"] == "lines+markers"
    assert trace["marker"]["size"][:59] == [0] * 59 and trace["marker"]["size"][59] > 0


def test_bars_hatch_the_partial_period() -> None:
    fig = charts.bars("Revenue", X, {"Revenue": [10, 11, 2]}, partial={"2011-12-01"})
    trace = fig["data"][0]
    assert trace["marker"]["pattern"]["shape"] == ["", "", "/"]
    assert trace["customdata"][-1] == charts.PARTIAL_NOTE


def test_a_chart_without_any_value_says_so_instead_of_empty_axes() -> None:
    # the revenue of orders without amounts: every period null
    fig = charts.bars("Revenue", X, {"Revenue": [None, float("nan"), None]})
    assert fig["layout"]["annotations"][0]["text"] == charts.NO_VALUES_NOTE
    assert fig["layout"]["yaxis"]["visible"] is False
    fig = charts.line("CRR", X, {"CRR": [None, None, None], "Churn": [None, None, None]}, "%")
    assert fig["layout"]["annotations"][0]["text"] == charts.NO_VALUES_NOTE
    side = charts.bars("Top", ["a", "b"], {"n": [None, None]}, horizontal=True)
    assert side["layout"]["xaxis"]["visible"] is False


def test_one_value_is_enough_to_draw_the_chart() -> None:
    for fig in (
        charts.bars("Revenue", X, {"Revenue": [None, 0.0, None]}),
        charts.line("CRR", X, {"CRR": [None, None], "Churn": [None, 0.2, None]}, "%"),
    ):
        assert "annotations" not in fig["layout"]
        assert fig["layout"]["yaxis"].get("visible", True) is True
