"""retentionkit.segments: segment schemes (any customer attribute, ``cohort``, ``rfm``,
``rfm_score`` …) resolved by :func:`~retentionkit.segments.resolve.segment_table`, RFM scores
and named segments (:mod:`~retentionkit.segments.rfm`) and per-segment summaries
(:mod:`~retentionkit.segments.summary`).

Importing this package registers the built-in schemes ``rfm`` and ``rfm_score``; modules are
light (Ibis is imported inside the functions).
"""

from retentionkit.segments.rfm import register_schemes as _register_rfm

_register_rfm()

__all__: list[str] = []
