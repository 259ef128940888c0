"""CLV predictions and at-risk lists name the model used, on every face (docs/cli.md):
``model``/``model_status`` columns, a ``Model: … (status …)`` line, warnings on stderr, and
the API's X-Retentionkit-Model headers; ``auto`` is the default and is accepted everywhere."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.errors import ConfigError
from retentionkit.service import ChurnAtRiskRequest, ClvFitRequest, ClvPredictRequest
from retentionkit.service.options import clv_model_names, purchase_model_choices


def test_auto_is_the_default_and_accepted() -> None:
    assert ClvPredictRequest().model == "auto"
    assert ChurnAtRiskRequest().model == "auto"
    assert ClvFitRequest("AUTO").model == "auto"
    assert ClvFitRequest().time_unit is None  # the kind decides
    for name in clv_model_names():
        assert ClvFitRequest(name).model == name
    assert purchase_model_choices() == ("auto", *clv_model_names("purchase"))


def test_a_wrong_model_lists_the_registry() -> None:
    with pytest.raises(ConfigError, match="--model 'nope' is not one of: auto, bgnbd"):
        ClvPredictRequest(model="nope")
    with pytest.raises(ConfigError, match="--model 'sbg' is not one of"):
        ChurnAtRiskRequest(model="sbg")


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_cli_clv_predict_names_the_model(
    fmt: str, gen_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(gen_db), "clv", "predict", "--horizon", "12", "--format", fmt])
    out = capsys.readouterr().out
    assert code == 0
    if fmt == "table":
        assert "Model: " in out and "(status " in out
    elif fmt == "csv":
        frame = pd.read_csv(io.StringIO(out))
        assert {"model", "model_status"} <= set(frame.columns)
        assert frame["model"].nunique() == 1
    else:
        records = json.loads(out)
        assert isinstance(records, list)
        assert {"model", "model_status"} <= set(records[0])
