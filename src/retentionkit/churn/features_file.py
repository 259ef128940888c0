"""Reading a user's customer table for the supervised churn model.

A *features file* has one row per customer: an id column, optionally a churn label, and any number
of attribute columns (CSV, TSV, Parquet, JSON or JSON lines). This module

* reads it without letting the reader guess types (text files are read as text, so ids such as
  ``007`` survive and numbers stored as text are detected by us, not by the parser);
* validates the id and label columns and names the offending **line** (1-based as an editor shows
  it; the header is line 1) or, for Parquet/JSON, the 1-based **row**;
* detects which columns are numeric, which categorical and which cannot be used (and why);
* coerces a frame to the detected types, so training and scoring see identical inputs.

Every problem raises :class:`~retentionkit.errors.InputError` (or :class:`MissingFileError`) with
one sentence that names the file, the column, the line and the value.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from retentionkit.errors import InputError, MissingFileError, first_line

__all__ = [
    "LABEL_VALUES",
    "MISSING_TOKENS",
    "FeatureKind",
    "FeaturesTable",
    "coerce_features",
    "infer_feature_types",
    "parse_labels",
    "read_features_file",
]

FeatureKind = Literal["numeric", "categorical"]

#: Text values read as "missing" (compared after stripping blanks, case-insensitively).
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a"})

#: Recognised churn labels (lower-cased, stripped) and the class they mean.
LABEL_VALUES: Mapping[str, int] = {
    "yes": 1,
    "no": 0,
    "true": 1,
    "false": 0,
    "1": 1,
    "0": 0,
    "1.0": 1,
    "0.0": 0,
}
_LABEL_HELP = "Yes/No, true/false or 1/0 (any case)"

_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_COMPRESSION = {".gz", ".bz2", ".zip", ".xz", ".zst"}

# A text column is treated as an identifier or free text (and not used) when more than this share
# of its non-missing values are distinct and it has more than _ID_LIKE_MIN distinct values.
_ID_LIKE_SHARE = 0.5
_ID_LIKE_MIN = 50


@dataclass
class FeaturesTable:
    """A customer table as read from a file, plus what is needed to point at its lines.

    ``frame`` keeps the file's rows in order with a fresh 0-based index; text formats hold every
    value as text (``str``), Parquet/JSON keep their stored types.
    """

    path: Path
    frame: pd.DataFrame
    file_format: str
    _lines: list[int] | None = field(default=None, repr=False)

    @property
    def has_lines(self) -> bool:
        """True for text formats, where positions are reported as editor line numbers."""
        return self.file_format in ("csv", "tsv", "jsonl")

    def line_numbers(self, positions: Iterable[int]) -> list[int]:
        """1-based line (text files) or row (Parquet/JSON) of each 0-based data-row position.

        For CSV/TSV the lines are counted by re-reading the file with the :mod:`csv` module, so a
        quoted value spanning several lines is accounted for; this happens only when a message
        needs a line number.
        """
        positions = list(positions)
        plain = self.path.suffix.lower() not in _COMPRESSION
        if self.file_format in ("csv", "tsv") and plain and self._lines is None:
            try:
                sep = "\t" if self.file_format == "tsv" else ","
                self._lines = _csv_record_lines(self.path, sep)
            except (csv.Error, OSError):
                self._lines = []
        if self._lines is not None and len(self._lines) == len(self.frame):
            return [self._lines[p] for p in positions]
        offset = 2 if self.file_format in ("csv", "tsv") else 1
        return [p + offset for p in positions]

    def where(self, position: int) -> str:
        """'line 5' / 'row 5' for one 0-based data-row position."""
        word = "line" if self.has_lines else "row"
        return f"{word} {self.line_numbers([position])[0]}"

    def where_many(self, positions: Iterable[int]) -> str:
        """'lines 3 and 9' / 'rows 2, 5 and 8' for several positions."""
        nums = self.line_numbers(positions)
        word = "line" if self.has_lines else "row"
        if len(nums) == 1:
            return f"{word} {nums[0]}"
        listed = ", ".join(str(n) for n in nums[:-1]) + f" and {nums[-1]}"
        return f"{word}s {listed}"


def _csv_record_lines(path: Path, sep: str) -> list[int]:
    """Starting line (1-based) of each data record, skipping blank lines as pandas does."""
    starts: list[int] = []
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=sep)
        prev_end = 0
        header_seen = False
        for record in reader:
            start = prev_end + 1
            prev_end = reader.line_num
            if not record or (len(record) == 1 and record[0] == ""):
                continue
            if not header_seen:
                header_seen = True
                continue
            starts.append(start)
    return starts


def _detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    fmt = _FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise InputError(
            f"Cannot tell the format of {path} from its name; use a file ending in .csv, .tsv, "
            ".parquet, .json or .jsonl."
        )
    return fmt


def read_features_file(path: str | Path) -> FeaturesTable:
    """Read a customer table from CSV/TSV/Parquet/JSON without type guessing on text formats."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"Features file {path} does not exist.")
    if path.is_dir():
        raise MissingFileError(f"Features file {path} is a directory, not a file.")
    fmt = _detect_format(path)
    try:
        if fmt in ("csv", "tsv"):
            frame = pd.read_csv(
                path,
                sep="\t" if fmt == "tsv" else ",",
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding="utf-8-sig",
            )
        elif fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_json(path, orient="records", lines=fmt == "jsonl", dtype=False)
    except pd.errors.EmptyDataError:
        raise InputError(
            f"Features file {path} is empty; it needs a header line and rows."
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"Features file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        detail = first_line(exc)
        raise InputError(f"Could not read {path} as {fmt.upper()}: {detail}.") from None
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) == 0:
        raise InputError(f"Features file {path} has a header but no rows.")
    return FeaturesTable(path=path, frame=frame, file_format=fmt)


def _missing_column(table: FeaturesTable, column: str, option: str) -> InputError:
    cols = list(table.frame.columns)
    close = difflib.get_close_matches(column, cols, n=1, cutoff=0.6)
    lower = [c for c in cols if c.lower() == column.lower()]
    hint = f" Did you mean {(lower or close)[0]!r}?" if (lower or close) else ""
    shown = ", ".join(cols[:30]) + (" …" if len(cols) > 30 else "")
    return InputError(
        f"{table.path} has no column {column!r} (given as {option}); its columns are: "
        f"{shown}.{hint}"
    )


def _text(series: pd.Series) -> pd.Series:
    """Values as stripped text (object dtype) with missing values and missing tokens as None.

    Whole numbers stored as floats (``1.0``, as Parquet/JSON give them when a column has gaps)
    become ``"1"``, so a category reads the same whichever file format it came from.
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype(float)
        present = values.dropna()
        integral = bool(((present % 1) == 0).all()) and bool((present.abs() < 2**53).all())
        text = (values.astype("Int64") if integral else values).astype("string")
    else:
        text = series.astype("string").str.strip()
    text = text.mask(text.str.lower().isin(MISSING_TOKENS))
    return text.astype(object).where(text.notna(), None)


def check_id_column(table: FeaturesTable, id_column: str) -> pd.Series:
    """The ids as text; refuses a missing column, blank ids and duplicated ids (with lines)."""
    if id_column not in table.frame.columns:
        raise _missing_column(table, id_column, "--id")
    ids = _text(table.frame[id_column])
    blank = np.flatnonzero(ids.isna().to_numpy())
    if blank.size:
        more = f" (and {blank.size - 1} more rows)" if blank.size > 1 else ""
        raise InputError(
            f"Id column {id_column!r} of {table.path} is blank on {table.where(int(blank[0]))}"
            f"{more}; every customer needs an id."
        )
    dup_mask = ids.duplicated(keep=False).to_numpy()
    if dup_mask.any():
        first_pos = int(np.flatnonzero(dup_mask)[0])
        value = ids.iloc[first_pos]
        positions = np.flatnonzero((ids == value).to_numpy())
        n_dup_ids = ids[dup_mask].nunique()
        more = f" ({n_dup_ids - 1} other ids are duplicated too)" if n_dup_ids > 1 else ""
        raise InputError(
            f"Id {value!r} appears {positions.size} times in column {id_column!r} of "
            f"{table.path}, on {table.where_many(int(p) for p in positions)}{more}; "
            "each customer must have exactly one row."
        )
    return ids.astype(str)


def parse_labels(table: FeaturesTable, label_column: str) -> np.ndarray:
    """Churn labels as 0/1; accepts Yes/No, true/false, 1/0 in any case and booleans.

    Refuses a missing column, a blank or unrecognised value (naming its line) and a label that has
    the same value on every row (a model needs both churned and retained customers).
    """
    if label_column not in table.frame.columns:
        raise _missing_column(table, label_column, "--label")
    raw = table.frame[label_column]
    text = _text(raw)
    codes_arr = np.array(
        [-2 if pd.isna(v) else LABEL_VALUES.get(str(v).lower(), -1) for v in text], dtype=int
    )
    bad = np.flatnonzero(codes_arr < 0)
    if bad.size:
        pos = int(bad[0])
        more = f" (and {bad.size - 1} more rows)" if bad.size > 1 else ""
        if codes_arr[pos] == -2:
            raise InputError(
                f"Label column {label_column!r} of {table.path} is blank on {table.where(pos)}"
                f"{more}; every training row needs {_LABEL_HELP}."
            )
        raise InputError(
            f"Label column {label_column!r} of {table.path} has {raw.iloc[pos]!r} on "
            f"{table.where(pos)}{more}; expected {_LABEL_HELP}."
        )
    if codes_arr.min() == codes_arr.max():
        raise InputError(
            f"Label column {label_column!r} of {table.path} is {raw.iloc[0]!r} on all "
            f"{codes_arr.size} rows; a churn model needs both churned and retained customers."
        )
    return codes_arr


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.drop_duplicates().head(200)
    if not sample.map(lambda v: any(ch in v for ch in "-/:")).all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="ISO8601")
    return bool(parsed.notna().all())


def infer_feature_types(
    frame: pd.DataFrame, *, exclude: Iterable[str] = ()
) -> tuple[dict[str, FeatureKind], dict[str, str]]:
    """Decide, per column, whether it is a numeric or categorical feature, or unusable.

    Returns ``(types, dropped)``: ``types`` maps usable columns (in file order) to ``"numeric"``
    or ``"categorical"``; ``dropped`` maps each unusable column to the reason. Rules:

    * a numeric column, or a text column whose every non-missing value parses as a number
      (``" "``, ``NA``, ``null`` … count as missing), is numeric;
    * booleans and other text are categorical;
    * dates/times, columns with no values, columns with one value on every row, and text columns
      where most values are distinct (identifiers, free text) are dropped.
    """
    skip = set(exclude)
    types: dict[str, FeatureKind] = {}
    dropped: dict[str, str] = {}
    for name in frame.columns:
        if name in skip:
            continue
        col = frame[name]
        if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(col):
            dropped[name] = "dates and durations are not used directly; turn them into numbers"
            continue
        if pd.api.types.is_bool_dtype(col):
            values = col.dropna().astype(str)
            kind: FeatureKind = "categorical"
            has_missing = bool(col.isna().any())
        elif pd.api.types.is_numeric_dtype(col):
            values = col.dropna()
            kind = "numeric"
            has_missing = bool(col.isna().any())
        else:
            text = _text(col)
            values = text.dropna()
            has_missing = bool(text.isna().any())
            numbers = pd.to_numeric(values, errors="coerce")
            if len(values) and numbers.notna().all():
                kind = "numeric"
                values = numbers
            elif len(values) and _looks_like_dates(values):
                dropped[name] = "dates are not used directly; turn them into numbers such as days"
                continue
            else:
                kind = "categorical"
        n_unique = values.nunique()
        if len(values) == 0:
            dropped[name] = "every value is blank"
        elif n_unique <= 1 and not has_missing:
            dropped[name] = "it has the same value on every row"
        elif (
            kind == "categorical"
            and n_unique > _ID_LIKE_MIN
            and n_unique > _ID_LIKE_SHARE * len(values)
        ):
            dropped[name] = "most values are distinct, so it looks like an identifier or free text"
        else:
            types[name] = kind
    return types, dropped


def coerce_features(
    frame: pd.DataFrame,
    types: Mapping[str, FeatureKind],
    *,
    where: Callable[[int], str] | None = None,
    source: str = "the input",
) -> pd.DataFrame:
    """A new frame with exactly the ``types`` columns: numeric as float64, categorical as text.

    Missing values become NaN. A numeric feature holding text that is not a number is refused,
    naming ``source`` and the position (``where(pos)`` gives e.g. ``"line 5"``).
    """
    missing = [name for name in types if name not in frame.columns]
    if missing:
        raise InputError(
            f"{source} lacks the feature columns {', '.join(missing)} that the model needs."
        )
    where = where or (lambda pos: f"row {pos + 1}")
    out: dict[str, pd.Series] = {}
    for name, kind in types.items():
        col = frame[name]
        if kind == "numeric":
            if pd.api.types.is_bool_dtype(col):
                out[name] = col.astype(float)
                continue
            if pd.api.types.is_numeric_dtype(col):
                out[name] = col.astype(float)
                continue
            text = _text(col)
            numbers = pd.to_numeric(text, errors="coerce")
            bad = np.flatnonzero((numbers.isna() & text.notna()).to_numpy())
            if bad.size:
                pos = int(bad[0])
                raise InputError(
                    f"Column {name!r} of {source} has {col.iloc[pos]!r} on {where(pos)}, but the "
                    "model uses it as a number."
                )
            out[name] = numbers.astype(float)
        else:
            text = _text(col)
            out[name] = text.astype(object).where(text.notna(), np.nan)
    result = pd.DataFrame(out, index=frame.index)
    return result
