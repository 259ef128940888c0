"""Requests, results and errors survive the local route's JSON (service/wire.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retentionkit.errors as errors
from retentionkit.schema.ingest import IngestReport
from retentionkit.schema.store import WriteStats
from retentionkit.service import (
    ChurnAtRiskRequest,
    ClvPredictRequest,
    CohortRequest,
    IngestRequest,
    LoadDirRequest,
    MetricRequest,
    Result,
    RfmRequest,
    SegmentRequest,
)
from retentionkit.service.wire import (
    error_from_json,
    error_to_json,
    request_from_json,
    request_to_json,
    result_from_json,
    result_to_json,
)


@pytest.mark.parametrize(
    "request_",
    [
        MetricRequest(metrics=("crr", "revenue"), period="quarter", start="2024-01-01", last=3),
        CohortRequest(period="month", kind="revenue", segment="country"),
        RfmRequest("day", observation_end="2024-06-30"),
        SegmentRequest("rfm", as_of="2024-05-01", per_customer=True),
        ClvPredictRequest(horizon=12, time_unit="month", margin=0.4),
        ChurnAtRiskRequest(horizon="60d", top=5, min_risk="0.3"),
        IngestRequest("orders", Path("x.csv"), mapping=(("A", "order_id"),), columns=("A", "b")),
    ],
)
def test_request_round_trip(request_: object) -> None:
    back = request_from_json(request_to_json(request_))  # type: ignore[arg-type]
    if isinstance(request_, IngestRequest):  # compares by identity: compare the fields
        assert back.source == Path("x.csv").absolute()  # type: ignore[attr-defined]
        assert back.mapping == request_.mapping  # type: ignore[attr-defined]
        assert back.columns == request_.columns  # type: ignore[attr-defined]
    else:
        assert back == request_


def test_paths_travel_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    data = request_to_json(LoadDirRequest(Path("d")))
    assert data["fields"]["directory"] == {"__path__": str(tmp_path / "d")}
    as_text = request_to_json(IngestRequest("orders", "orders.csv"))
    assert as_text["fields"]["source"] == {"__path__": str(tmp_path / "orders.csv")}


def test_an_ingested_frame_travels_as_parquet() -> None:
    frame = pd.DataFrame({"customer_id": ["a", "b"], "signed_up_at": ["2024-01-01", None]})
    back = request_from_json(request_to_json(IngestRequest("customers", frame)))
    pd.testing.assert_frame_equal(back.source, frame)  # type: ignore[attr-defined]


def test_a_bad_request_is_one_sentence() -> None:
    with pytest.raises(errors.InputError, match="Not a retentionkit request"):
        request_from_json({"type": "DropEverything", "fields": {}})
    with pytest.raises(errors.UnknownNameError):  # validated again on arrival
        request_from_json({"type": "MetricRequest", "fields": {"metrics": ["nope"]}})


def test_frame_dtypes_index_and_nested_columns_survive() -> None:
    frame = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "at": pd.to_datetime(["2024-01-01 10:00", None]).tz_localize("Europe/Warsaw"),
            "segment": pd.Categorical(["a", "b"]),
            "value": [1.5, math.nan],
            "n": pd.array([1, None], dtype="Int64"),
            "components": [{"start": 1, "nested": {"x": 2.0}}, {"end": None}],
            "reasons": [["recency", "frequency"], []],
            "label": ["x", None],
        },
        index=pd.Index(["c1", "c2"], name="customer_id"),
    )
    req = RfmRequest()
    back = result_from_json(req, result_to_json(Result(req, frame=frame, title="t")))
    pd.testing.assert_frame_equal(back.frame, frame)
    assert back.title == "t" and back.request is req


def test_reports_models_and_nan() -> None:
    report = IngestReport("o.csv", tables=[WriteStats("orders", 2, 1, 0)], notes=["n"])
    req = LoadDirRequest(Path("."))
    back = result_from_json(req, result_to_json(Result(req, report=[report])))
    assert back.report[0].summary() == report.summary()
    plain = {"score": math.nan, "folds": [1.0, math.inf], "name": "x"}
    got = result_from_json(req, result_to_json(Result(req, report=plain))).report
    assert math.isnan(got["score"]) and got["folds"] == [1.0, math.inf] and got["name"] == "x"


ERRORS = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.RetentionkitError)
]


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(ERRORS), st.text(min_size=1, max_size=80))
def test_errors_keep_class_message_and_exit_code(cls: type, message: str) -> None:
    exc = cls(message)
    back = error_from_json(error_to_json(exc))
    assert type(back) is cls
    assert str(back) == message
    assert back.exit_code == exc.exit_code and back.http_status == exc.http_status


def test_an_unknown_error_keeps_its_exit_code() -> None:
    back = error_from_json({"type": "FutureError", "message": "m", "exit_code": 9})
    assert isinstance(back, errors.RetentionkitError)
    assert str(back) == "m" and back.exit_code == 9


@pytest.mark.parametrize("name", ["ValueError", "LinAlgError", "UnicodeDecodeError"])
def test_a_server_bug_keeps_its_exception_name(name: str) -> None:
    back = error_from_json({"type": "InternalError", "exception": name, "message": "m"})
    assert type(back).__name__ == name and str(back) == "m"
    assert not isinstance(back, errors.RetentionkitError)


# -- every family's requests and answers (goals, surveys, automations) ----------------------
def _feature_requests() -> list[object]:
    import datetime as dt

    from retentionkit.automations import service as automations
    from retentionkit.goals.model import (
        GoalAddRequest,
        GoalEvaluateRequest,
        GoalUpdateRequest,
        build_request,
    )
    from retentionkit.service import ExplainRequest, ReportRequest, SqlRequest, TablesRequest
    from retentionkit.surveys import service as surveys

    return [
        build_request(GoalAddRequest, name="g", target="80", by="2027-01-01", metric="crr"),
        build_request(GoalUpdateRequest, name="g", current="yes"),
        build_request(GoalEvaluateRequest, as_of="2024-03-01", names=("a", "b")),
        surveys.CreateSurvey("fb", "csat", translations=(("pl", "Jak?"),), mapping=()),
        surveys.SurveyLinks("fb", customers=("c1", "c2"), expires="12w"),
        surveys.ReceiveWebhook("fb", (("webhook-id", "x"),), b"{\x00\xff}"),
        automations.AddRule("win", "win_back", channel="log", since="2023-01-01"),
        automations.RunAutomations(as_of="2024-06-01", lease=dt.timedelta(minutes=5), limit=3),
        automations.Backtest("win", "2023-01-01", "2024-01-01"),
        TablesRequest(counts=True),
        SqlRequest("select 1"),
        ExplainRequest("crr", (("period", "quarter"), ("options", {"clv_model": "bgnbd"}))),
        ReportRequest(period="quarter", start="2024-01-01"),
    ]


@pytest.mark.parametrize("request_", _feature_requests(), ids=lambda r: type(r).__name__)
def test_every_family_round_trips(request_: object) -> None:
    import json

    data = json.loads(json.dumps(request_to_json(request_)))  # through real JSON
    back = request_from_json(data)
    assert type(back) is type(request_)
    if type(request_).__name__ == "ExplainRequest":  # compares by identity
        assert back.arguments == request_.arguments  # type: ignore[attr-defined]
    else:
        assert back == request_


def test_writes_are_declared_by_the_request_classes() -> None:
    from retentionkit.service.wire import request_types

    declared = {name for name, (cls, _) in request_types().items() if cls.writes}
    assert {"IngestRequest", "LoadDirRequest", "GoalAddRequest", "GoalDeleteRequest"} <= declared
    assert {"CreateSurvey", "AddRule", "RunAutomations", "SetStatus"} <= declared
    assert not declared & {"MetricRequest", "GoalListRequest", "ListSurveys", "DryRun", "Log"}


def test_only_registered_types_travel() -> None:
    with pytest.raises(errors.InputError, match="Not a retentionkit request"):
        request_from_json({"type": "Path", "fields": {}})  # a real class, not a request
    with pytest.raises(TypeError):
        request_to_json(Path("x"))  # type: ignore[arg-type]
    from retentionkit.service.wire import decode

    with pytest.raises(errors.InputError, match="Not a retentionkit value"):
        decode({"__dataclass__": "Settings", "fields": {}})


def test_feature_answers_round_trip() -> None:
    import datetime as dt
    import json

    from retentionkit.service.wire import answer_from_json, answer_to_json
    from retentionkit.surveys.definitions import Survey
    from retentionkit.surveys.links import SurveyLink

    survey = Survey("fb", "csat", 1, 5, translations={"pl": "Jak?"}, created_at="2024-01-01")
    value = {
        "survey": survey,
        "links": [SurveyLink("c1", "http://x/s/t", dt.datetime(2026, 1, 2, 3, 4, 5))],
        "pair": ("a", 1),
        "when": dt.date(2024, 1, 31),
        "spans": [dt.timedelta(minutes=1, microseconds=3)],
        "keys": {1: "int key", ("a", 2): "tuple key"},
        "body": b"\x00\xff",
        "nan": math.nan,
        "frame": pd.DataFrame({"n": pd.Series([1, None], dtype=object), "x": [1.5, math.inf]}),
        "__frame__": "a key that looks like a tag",
    }
    back = answer_from_json(None, json.loads(json.dumps(answer_to_json(value, 7))))
    frame = back.pop("frame")
    pd.testing.assert_frame_equal(frame, value.pop("frame"))
    assert math.isnan(back.pop("nan")) and math.isnan(value.pop("nan"))
    assert back == value
