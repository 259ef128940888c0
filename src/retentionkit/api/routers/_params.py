"""Path and query parameter types of the API with their enums and patterns, so the OpenAPI
document constrains what a client may send (issue 12 item 6). The value lists come from their
one definition: table names from the contracts, metric names from the registry, CLV models
from the model registry."""

from __future__ import annotations

from retentionkit.metrics.registry import METRIC_NAMES
from retentionkit.schema.contracts import TABLE_NAMES
from retentionkit.service.options import clv_model_names, literal

#: A canonical table name (path parameter of POST /api/ingest/{table}).
TableName = literal(TABLE_NAMES)
#: A registered metric name.
MetricName = literal(METRIC_NAMES)
#: A purchase model of the CLV registry (the metrics' clv_model option).
PurchaseModel = literal(clv_model_names("purchase"))
#: An activity window: "period" or a number of days with a "d" (90d).
ACTIVE_WINDOW_PATTERN = r"^(period|[0-9]{1,5}d)$"
