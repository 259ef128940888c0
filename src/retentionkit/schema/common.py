"""The pieces both ingest paths share, free of pandas: the options, the report, the value
words read as missing, the file suffixes and the name of an extra attribute column.

The pandas path (schema/ingest.py, validate.py, readers.py, store.py) and the engine path
(schema/engine_ingest.py) import them from here, so a load the engine answers never imports
pandas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Values read as "missing" in text files.
NA_STRINGS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "none"})

JSON_SUFFIXES = {".json", ".ndjson", ".jsonl"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


@dataclass
class IngestOptions:
    """How to read a source; mirrors the ``ingest`` CLI flags."""

    mapping: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None
    timezone: str | None = None
    constants: dict[str, str] = field(default_factory=dict)
    generate_id: bool = False
    line_items: bool = False
    drop_missing_customer: bool = False


@dataclass
class WriteStats:
    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def sentence(self) -> str:
        return (
            f"{self.table}: {self.inserted:,} inserted, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged"
        )


@dataclass
class IngestReport:
    """What one ingest did, per table, plus notes (skipped lines …)."""

    source: str
    tables: list[WriteStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: which path validated and wrote it: "duckdb" (schema/engine_ingest.py) or "pandas"
    validated_by: str = "pandas"

    def summary(self) -> str:
        parts = [s.sentence() for s in self.tables]
        return "; ".join(parts + self.notes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "tables": {
                s.table: {"inserted": s.inserted, "updated": s.updated, "unchanged": s.unchanged}
                for s in self.tables
            },
            "notes": self.notes,
        }


def extra_column_name(name: str) -> str:
    """Extra attribute columns are stored under a tidy snake-case name."""
    tidy = re.sub(r"[^0-9a-zA-Z]+", "_", str(name).strip()).strip("_").lower()
    if not tidy or tidy[0].isdigit():
        tidy = f"attr_{tidy}"
    return tidy


def type_family(dtype: str) -> str:
    """``number`` for every numeric type, else the type itself (lower case): whether a stored
    extra column must be retyped to text. Takes Ibis names (``int64``, ``!float64``) and
    DuckDB names (``BIGINT``, ``DECIMAL(18,4)``) alike."""
    d = dtype.lower().rstrip("!")
    if d.startswith(("float", "double", "int", "bigint", "smallint", "tinyint", "decimal")):
        return "number"
    return d
