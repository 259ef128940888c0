"""Large workspaces: purchase models are fitted on a stable customer sample
(:mod:`retentionkit.clv.sample`) and predict for every customer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.clv import sample, workflow
from retentionkit.workspace import Workspace


def _summary(ids: list[str]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "frequency": np.arange(n) % 4,
            "recency": np.arange(n) % 7,
            "T": np.full(n, 10.0),
        }
    )


def _expected(ids: list[str], size: int) -> set[str]:
    """The definition, computed another way: sort by (hash, id) and take the first ``size``."""
    keys = [int(k) for k in pd.util.hash_pandas_object(pd.Series(ids), index=False)]
    return {i for _, i in sorted(zip(keys, ids, strict=True))[:size]}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=80, unique=True),
    st.integers(1, 90),
    st.randoms(use_true_random=False),
)
def test_the_sample_is_the_smallest_hashes_whatever_the_row_order(
    ids: list[str], size: int, rnd: object
) -> None:
    frame = _summary(ids)
    rows, note = sample.fit_sample(frame, size)
    if len(ids) <= size:
        assert rows is frame and note is None
        return
    assert set(rows["customer_id"]) == _expected(ids, size) and len(rows) == size
    assert note is not None and f"{size:,} of the {len(ids):,} customers" in note
    shuffled = frame.sample(frac=1.0, random_state=rnd.randint(0, 2**31))  # type: ignore[attr-defined]
    again, _ = sample.fit_sample(shuffled, size)
    assert set(again["customer_id"]) == set(rows["customer_id"])
    # rows keep their order (the fit's data are the summary's rows, not a reordering)
    assert list(rows.index) == sorted(rows.index)


def test_a_large_workspace_is_fitted_on_the_sample_and_predicted_for_everyone(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(gen_db)
    everyone = workflow.predict(ws, model="bgnbd", horizon=26)
    n = len(everyone)
    monkeypatch.setattr(sample, "FIT_SAMPLE_CUSTOMERS", n // 2)
    fitted = workflow.fit(ws, model="bgnbd")
    assert fitted.model.n_customers_ == n // 2
    frame = workflow.predict(ws, model="bgnbd", horizon=26)
    assert len(frame) == n and frame["p_alive"].notna().all()
    assert any(f"sample of {n // 2:,} of the {n:,} customers" in w for w in frame.attrs["warnings"])
    # the sample's fit predicts close to the full fit (the same population)
    assert np.corrcoef(frame["p_alive"], everyone["p_alive"])[0, 1] > 0.95
    auto = workflow.predict(ws, horizon=26)
    assert len(auto) == n
    assert any("sample of" in w for w in auto.attrs["warnings"])


def test_a_workspace_under_the_threshold_is_fitted_on_everyone(gen_db: Path) -> None:
    ws = Workspace(gen_db)
    fitted = workflow.fit(ws, model="bgnbd")
    assert fitted.model.n_customers_ == len(fitted.summary)
    assert not any("sample of" in w for w in fitted.model.warnings_)


def test_no_credible_model_on_the_sample_says_it_was_a_sample(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retentionkit.clv import choice, memo
    from retentionkit.clv.choice import NoCredibleModelError

    def none_credible(*args: object, **kwargs: object) -> None:
        raise NoCredibleModelError("No purchase model is credible on this data (all degenerate).")

    memo.clear()
    monkeypatch.setattr(choice, "choose_purchase_model", none_credible)
    monkeypatch.setattr(sample, "FIT_SAMPLE_CUSTOMERS", 100)
    frame = workflow.predict(Workspace(gen_db), horizon=26)
    assert frame.attrs["model"] == "recency-ratio"
    assert any(
        "(all degenerate). Fitted on a sample of 100 of the" in w for w in frame.attrs["warnings"]
    )


def test_the_holdout_comparison_summarises_only_its_sample_and_chooses_the_same(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the sample size, ``model="auto"`` summarises the calibration window for the
    customers its holdout fits use (``workflow._calibration_sample``), not for everyone: the
    same rows, so the same candidates, holdout errors, warnings and choice as sampling the
    whole calibration summary; and a sample that does not match the rows it gets falls back
    to the whole summary."""
    from retentionkit.clv import memo, rfm

    ws = Workspace(gen_db)
    summary = rfm.rfm_summary(ws, "week")
    monkeypatch.setattr(sample, "FIT_SAMPLE_CUSTOMERS", len(summary) // 3)
    asked: list[tuple[int | None, int]] = []
    real = rfm.rfm_summary

    def recorded(*args: object, **kwargs: object) -> pd.DataFrame:
        frame = real(*args, **kwargs)  # type: ignore[arg-type]
        customers = args[4] if len(args) > 4 else kwargs.get("customers")
        if (args[3] if len(args) > 3 else kwargs.get("calibration_end")) is not None:
            asked.append((None if customers is None else len(customers), len(frame)))  # type: ignore[arg-type]
        return frame

    monkeypatch.setattr(rfm, "rfm_summary", recorded)

    def choose() -> object:
        memo.clear()
        return workflow.choose_purchase(ws, summary, "week", None, 0.0)

    restricted = choose()
    assert asked == [(len(summary) // 3, len(summary) // 3)]
    asked.clear()
    sampled_whole = workflow._calibration_sample
    monkeypatch.setattr(workflow, "_calibration_sample", lambda *a: None)
    whole = choose()
    assert asked[0][0] is None and asked[0][1] > len(summary) // 3
    asked.clear()
    # a customer without a calibration row (here: unknown) in the sample: the whole summary
    monkeypatch.setattr(
        workflow,
        "_calibration_sample",
        lambda *a: pd.concat([sampled_whole(*a).iloc[1:], pd.Series(["no such customer"])]),
    )
    mismatched = choose()
    assert [n for n, _ in asked] == [len(summary) // 3, None]
    for other in (whole, mismatched):
        assert restricted.name == other.name  # type: ignore[attr-defined]
        assert restricted.candidates == other.candidates  # type: ignore[attr-defined]
        assert restricted.warnings == other.warnings  # type: ignore[attr-defined]
        assert restricted.model.params_ == other.model.params_  # type: ignore[attr-defined]
    assert any("holdout_mae" in row for row in restricted.candidates)  # type: ignore[attr-defined]


def test_the_summarys_id_hashes_are_computed_once_and_a_kept_choice_needs_none(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both samples of a choice (the summary's and the holdout's) use one hashing of the
    summary's ids; a kept choice re-checks its holdout summary for the customers kept with
    it, hashing no id, and is used."""
    from retentionkit.clv import memo, rfm

    ws = Workspace(gen_db)
    summary = rfm.rfm_summary(ws, "week")
    monkeypatch.setattr(sample, "FIT_SAMPLE_CUSTOMERS", len(summary) // 3)
    hashed: list[int] = []
    real = sample.id_hashes

    def counted(ids: pd.Series) -> np.ndarray:
        hashed.append(len(ids))
        return real(ids)

    monkeypatch.setattr(sample, "id_hashes", counted)
    memo.clear()
    first = workflow.choose_purchase(ws, summary, "week", None, 0.0)
    assert hashed == [len(summary)]
    hashed.clear()
    asked: list[object] = []
    real_summary = rfm.rfm_summary

    def recorded(*args: object, **kwargs: object) -> pd.DataFrame:
        asked.append(args[4] if len(args) > 4 else kwargs.get("customers"))
        return real_summary(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rfm, "rfm_summary", recorded)
    again = workflow.choose_purchase(ws, summary, "week", None, 0.0)
    assert hashed == []
    assert len(asked) == 1 and len(asked[0]) == len(summary) // 3  # type: ignore[arg-type]
    assert again.candidates == first.candidates and again.warnings == first.warnings
    assert again.model.params_ == first.model.params_


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=60))
def test_id_hashes_are_pandas_default_hashes(ids: list[str]) -> None:
    """``sample.id_hashes`` skips pandas' factorising step, which changes no hash."""
    series = pd.Series(ids, dtype=object)
    expected = pd.util.hash_pandas_object(series.astype(str), index=False).to_numpy()
    assert np.array_equal(sample.id_hashes(series), expected)
