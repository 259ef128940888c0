"""The service layer under every face (CLI, Python API, REST API, dashboard, report).

A face builds one request (:mod:`retentionkit.service.requests`: frozen, validated once,
hashable), calls :func:`run` and renders the :class:`Result`; serialisation and number
formatting are in :mod:`retentionkit.service.serialize`, the option vocabularies in
:mod:`retentionkit.service.options`. This package never imports a face.
"""

from __future__ import annotations

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
    "ReportRequest",
    "Request",
    "Result",
    "RfmRequest",
    "SegmentRequest",
    "SqlRequest",
    "TablesRequest",
    "run",
]
