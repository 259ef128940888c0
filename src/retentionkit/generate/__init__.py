"""Synthetic businesses for the demo, the tests and the benchmarks.

``generate_business`` returns every canonical table as a pandas DataFrame, ``write_business``
writes them to a directory (Parquet or CSV); ``generate_tables`` is the same as Arrow tables.
The model and every knob of :class:`BusinessParams` are described in ``docs/generator.md``.
"""

from __future__ import annotations

from retentionkit.generate.business import (
    FORMATS,
    SCHEMAS,
    TABLES,
    generate_business,
    generate_tables,
    validate_options,
    write_business,
)
from retentionkit.generate.params import KINDS, BusinessParams

__all__ = [
    "FORMATS",
    "KINDS",
    "SCHEMAS",
    "TABLES",
    "BusinessParams",
    "generate_business",
    "generate_tables",
    "validate_options",
    "write_business",
]
