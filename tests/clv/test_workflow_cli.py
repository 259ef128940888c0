"""CLV on a workspace through the CLI and the Python API, checked against CDNOW's published
fits (Fader, Hardie & Lee 2005) from the raw transactions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retentionkit.cli.app import main
from retentionkit.workspace import Workspace

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"


@pytest.fixture(scope="module")
def cdnow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cdnow") / "cdnow.duckdb"
    rc = main(
        [
            "--db",
            str(db),
            "ingest",
            "orders",
            str(CDNOW),
            "--delimiter",
            "whitespace",
            "--no-header",
            "--columns",
            "customer_id,customer_index,ordered_at,quantity,amount",
            "--generate-id",
        ]
    )
    assert rc == 0
    return db


def _json(capsys: pytest.CaptureFixture[str], args: list[str]) -> object:
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_bgnbd_fit_from_raw_transactions_matches_fader_hardie_lee(cdnow_db, capsys) -> None:
    out = _json(
        capsys,
        [
            "--db",
            str(cdnow_db),
            "clv",
            "fit",
            "--model",
            "bgnbd",
            "--time-unit",
            "week",
            "--observation-end",
            "1997-09-30",
            "--format",
            "json",
        ],
    )
    assert set(out) == {
        "model",
        "kind",
        "status",
        "warnings",
        "limit",
        "params",
        "standard_errors",
        "log_likelihood",
        "n_customers",
        "converged",
    }
    assert (out["kind"], out["status"], out["warnings"], out["limit"]) == (
        "purchase",
        "ok",
        [],
        None,
    )
    p = out["params"]
    assert p["r"] == pytest.approx(0.243, abs=1e-3)
    assert p["alpha"] == pytest.approx(4.414, abs=1e-3)
    assert p["a"] == pytest.approx(0.793, abs=1e-3)
    assert p["b"] == pytest.approx(2.426, abs=1e-3)
    assert out["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert out["n_customers"] == 2357 and out["converged"] is True


def test_paretonbd_and_gamma_gamma_from_raw_transactions(cdnow_db, capsys) -> None:
    pnbd = _json(
        capsys,
        [
            "--db",
            str(cdnow_db),
            "clv",
            "fit",
            "--model",
            "paretonbd",
            "--observation-end",
            "1997-09-30",
            "--format",
            "json",
        ],
    )
    assert pnbd["params"]["r"] == pytest.approx(0.553, abs=2e-3)
    assert pnbd["params"]["s"] == pytest.approx(0.606, abs=2e-3)
    assert pnbd["log_likelihood"] == pytest.approx(-9595.0, abs=0.1)
    gg = _json(
        capsys,
        [
            "--db",
            str(cdnow_db),
            "clv",
            "fit",
            "--model",
            "gamma-gamma",
            "--observation-end",
            "1997-09-30",
            "--format",
            "json",
        ],
    )
    assert gg["params"]["p"] == pytest.approx(6.25, abs=0.01)
    assert gg["params"]["q"] == pytest.approx(3.74, abs=0.01)
    assert gg["params"]["gamma"] == pytest.approx(15.44, abs=0.01)


def test_predict_columns_and_published_conditional_expectation(cdnow_db, capsys) -> None:
    rows = _json(
        capsys,
        [
            "--db",
            str(cdnow_db),
            "clv",
            "predict",
            "--model",
            "bgnbd",
            "--horizon",
            "39",
            "--observation-end",
            "1997-09-30",
            "--format",
            "json",
        ],
    )
    assert len(rows) == 2357
    assert list(rows[0]) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "expected_purchases",
        "p_alive",
        "expected_avg_spend",
        "clv",
    ]
    # customer 00004: x=2, t_x=30.43, T=38.86 → E[Y(39)] = 1.226 (FHL 2005)
    first = next(r for r in rows if r["customer_id"] == "00004")
    assert first["frequency"] == 2
    assert first["expected_purchases"] == pytest.approx(1.226, abs=1e-3)
    assert all(0.0 <= r["p_alive"] <= 1.0 and r["clv"] >= 0 for r in rows)


def test_saved_model_predicts_the_same(cdnow_db, tmp_path, capsys) -> None:
    model = tmp_path / "bgnbd.json"
    assert (
        main(
            [
                "--db",
                str(cdnow_db),
                "clv",
                "fit",
                "--observation-end",
                "1997-09-30",
                "--model-out",
                str(model),
                "--format",
                "json",
            ]
        )
        == 0
    )
    a = _json(
        capsys,
        [
            "--db",
            str(cdnow_db),
            "clv",
            "predict",
            "--horizon",
            "10",
            "--observation-end",
            "1997-09-30",
            "--format",
            "json",
        ],
    )
    b = _json(
        capsys,
        [
            "--db",
            str(cdnow_db),
            "clv",
            "predict",
            "--horizon",
            "10",
            "--observation-end",
            "1997-09-30",
            "--model-file",
            str(model),
            "--format",
            "json",
        ],
    )
    assert [r["clv"] for r in a] == pytest.approx([r["clv"] for r in b], rel=1e-9)


def test_evaluate_chooses_a_model_by_holdout_error(cdnow_db, capsys) -> None:
    out = _json(
        capsys,
        [
            "--db",
            str(cdnow_db),
            "clv",
            "evaluate",
            "--calibration-end",
            "1997-09-30",
            "--observation-end",
            "1998-06-30",
            "--format",
            "json",
        ],
    )
    maes = {c["model"]: c["mae"] for c in out["candidates"]}
    assert out["model"] == min(maes, key=maes.get)
    assert out["total_actual"] == sum(
        b["actual_mean"] * b["n_customers"] for b in out["by_frequency"]
    )
    cumulative = out["cumulative"]
    assert cumulative[-1]["actual"] >= cumulative[0]["actual"]
    assert cumulative[-1]["predicted"] == pytest.approx(cumulative[-1]["actual"], rel=0.15)


def test_python_api(cdnow_db) -> None:
    ws = Workspace(cdnow_db)
    frame = ws.clv(39, model="auto", observation_end="1997-09-30")
    assert len(frame) == 2357 and frame["clv"].notna().all()
    assert frame.attrs["model"] in ("bgnbd", "mbgnbd", "paretonbd")
    assert frame.attrs["status"] in ("ok", "boundary")
    assert {c["model"] for c in frame.attrs["candidates"]} == {"bgnbd", "mbgnbd", "paretonbd"}
    model = ws.clv_fit("bgnbd", observation_end="1997-09-30")
    assert model.params_["r"] == pytest.approx(0.243, abs=1e-3)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["clv", "fit", "--model", "nope"], "--model 'nope' is not one of"),
        (["clv", "fit", "--time-unit", "year"], "year"),
        (["clv", "predict", "--horizon", "0"], "--horizon"),
        (["clv", "predict", "--horizon", "5", "--margin", "2"], "--margin"),
        (
            [
                "clv",
                "evaluate",
                "--calibration-end",
                "1998-07-01",
                "--observation-end",
                "1998-06-30",
            ],
            "must be before",
        ),
        (["clv", "predict", "--horizon", "5", "--model-file", "/no/such.json"], "not found"),
    ],
)
def test_bad_input_is_one_sentence(cdnow_db, capsys, args, needle) -> None:
    capsys.readouterr()
    rc = main(["--db", str(cdnow_db), *args])
    err = capsys.readouterr().err
    assert rc != 0
    assert needle in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
