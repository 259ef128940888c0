"""retentionkit.segments: segment schemes (any customer attribute, ``cohort``, ``rfm``,
``rfm_score`` …) resolved by :func:`~retentionkit.segments.resolve.segment_table`, RFM scores
and named segments (:mod:`~retentionkit.segments.rfm`) and per-segment summaries
(:mod:`~retentionkit.segments.summary`).

Importing this package registers the built-in schemes ``rfm``, ``rfm_score`` and
``clv_tier``; modules are light (Ibis and the CLV models are imported inside the functions).
"""

from typing import Any

from retentionkit.segments.resolve import register_scheme as _register_scheme
from retentionkit.segments.rfm import register_schemes as _register_rfm


def _clv_tier(ws: Any) -> Any:
    from retentionkit.clv.workflow import tier_segment_table

    return tier_segment_table(ws)


_register_rfm()
_register_scheme("clv_tier", _clv_tier)

__all__: list[str] = []
