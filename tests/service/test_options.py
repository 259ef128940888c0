"""The option vocabularies are declared once (retentionkit.vocabulary, service.options)."""

from __future__ import annotations

from typing import get_args

from retentionkit.service import options


def test_core_modules_use_the_one_vocabulary() -> None:
    """One definition (retentionkit.vocabulary): the core names are the same objects."""
    from retentionkit import vocabulary
    from retentionkit.churn.pipeline import METHODS
    from retentionkit.clv.rfm import TIME_UNITS
    from retentionkit.cohorts import table
    from retentionkit.metrics.periods import PERIODS

    assert PERIODS is vocabulary.PERIODS is options.PERIODS
    assert METHODS is vocabulary.CHURN_METHODS is options.CHURN_METHODS
    assert TIME_UNITS is vocabulary.TIME_UNITS is options.TIME_UNITS
    assert table.COHORT_KINDS is options.COHORT_KINDS


def test_literals_are_built_from_the_tuples() -> None:
    assert get_args(options.Period) == options.PERIODS
    assert get_args(options.CohortKind) == options.COHORT_KINDS
    assert get_args(options.OutputFormat) == options.FORMATS


def test_clv_model_names_come_from_the_registry() -> None:
    from retentionkit.clv.models import MODELS

    assert set(options.clv_model_names()) == set(MODELS)
    assert "bgnbd" in options.clv_model_names("purchase")
    assert options.clv_model_names("spend") == ("gamma-gamma",)


def test_api_enums_use_the_vocabularies(tmp_path) -> None:
    from retentionkit.server import create_app
    from retentionkit.web.settings import WebSettings

    app = create_app(WebSettings(db=tmp_path / "none.duckdb", warm_cache=False))
    spec = app.openapi()
    params = {p["name"]: p for p in spec["paths"]["/api/metrics"]["get"]["parameters"]}
    assert tuple(params["period"]["schema"]["enum"]) == options.PERIODS
