"""retentionkit.segments: segment schemes (any customer attribute, ``cohort``, ``rfm``,
``rfm_score`` …) resolved by :func:`~retentionkit.segments.resolve.segment_table`, RFM scores
and named segments (:mod:`~retentionkit.segments.rfm`) and per-segment summaries
(:mod:`~retentionkit.segments.summary`).

Importing this package registers the built-in schemes ``rfm``, ``rfm_score``,
``clv_tier``, ``latest_nps`` and ``latest_csat`` (the customer's latest survey answer);
modules are light (Ibis and the CLV models are imported inside the functions).
"""

from typing import Any

from retentionkit.segments.resolve import register_scheme as _register_scheme
from retentionkit.segments.rfm import register_schemes as _register_rfm


def _clv_tier(ws: Any) -> Any:
    from retentionkit.clv.workflow import tier_segment_table

    return tier_segment_table(ws)


def _latest_nps(ws: Any) -> Any:
    from retentionkit.segments.feedback import latest_nps

    return latest_nps(ws)


def _latest_csat(ws: Any) -> Any:
    from retentionkit.segments.feedback import latest_csat

    return latest_csat(ws)


_register_rfm()
_register_scheme("clv_tier", _clv_tier)
_register_scheme("latest_nps", _latest_nps)
_register_scheme("latest_csat", _latest_csat)

__all__: list[str] = []
