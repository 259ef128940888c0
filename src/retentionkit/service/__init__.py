"""The service layer under every face (CLI, Python API, REST API, dashboard, report).

A face builds one request (:mod:`retentionkit.service.requests`: frozen, validated once,
hashable), calls :func:`run` and renders the :class:`Result`; serialisation and number
formatting are in :mod:`retentionkit.service.serialize`, the option vocabularies in
:mod:`retentionkit.service.options`. This package never imports a face.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.service.operations import OPERATIONS, Result, run
    from retentionkit.service.requests import (
        ChurnAtRiskRequest,
        ChurnBacktestRequest,
        ClvEvaluateRequest,
        ClvFitRequest,
        ClvPredictRequest,
        CohortRequest,
        ExplainRequest,
        IngestRequest,
        LoadDirRequest,
        MetricRequest,
        RebuildRequest,
        ReportRequest,
        Request,
        RfmRequest,
        SegmentRequest,
        SqlRequest,
        TablesRequest,
    )

__all__ = [
    "OPERATIONS",
    "ChurnAtRiskRequest",
    "ChurnBacktestRequest",
    "ClvEvaluateRequest",
    "ClvFitRequest",
    "ClvPredictRequest",
    "CohortRequest",
    "ExplainRequest",
    "IngestRequest",
    "LoadDirRequest",
    "MetricRequest",
    "RebuildRequest",
    "ReportRequest",
    "Request",
    "Result",
    "RfmRequest",
    "SegmentRequest",
    "SqlRequest",
    "TablesRequest",
    "run",
]

_FROM_OPERATIONS = {"OPERATIONS", "Result", "run"}


def __getattr__(name: str) -> object:
    """The names above, imported at first use: ``retentionkit.service.options`` (which the CLI
    reads at start-up for its help texts) then costs no pydantic, Ibis or pandas import."""
    if name not in __all__:
        raise AttributeError(f"module 'retentionkit.service' has no attribute {name!r}")
    import importlib

    module = "operations" if name in _FROM_OPERATIONS else "requests"
    return getattr(importlib.import_module(f"retentionkit.service.{module}"), name)
