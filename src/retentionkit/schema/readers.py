"""Read a user's file (CSV/TSV/whitespace, Parquet, JSON/NDJSON) or frame into a pandas frame.

Text formats are read with every column as text (nothing guessed yet): validation parses each
column against its contract and reports the first bad value with its line. ``SourceFrame``
remembers how to turn a row position back into the line an editor shows.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from retentionkit.errors import InputError
from retentionkit.schema.common import JSON_SUFFIXES, PARQUET_SUFFIXES
from retentionkit.schema.sniff import (
    _check_readable,
    _is_parquet,
    _sniff_text,
    _wide_bom,
    check_encoding,
    resolve_delimiter,
)

PROGRESS_BYTES = 20_000_000  # show a progress bar for files larger than this


@dataclass
class SourceFrame:
    """A raw frame plus where it came from, for error messages."""

    frame: pd.DataFrame
    label: str  # the file name, or "the DataFrame"
    row_word: str = "line"  # "line" for text files, "row" elsewhere
    line_of: Callable[[int], int] = field(default=lambda i: i + 1)
    is_text: bool = True  # every column holds text that still needs parsing
    #: canonical name → the user's column name, for columns renamed by a mapping
    renamed: dict[str, str] = field(default_factory=dict)

    def where(self, position: int) -> str:
        return f"{self.row_word} {self.line_of(position)}"

    def column(self, name: str) -> str:
        """How to name a column in a message: the user's name, plus ours when mapped."""
        original = self.renamed.get(name)
        return f"{original} ({name})" if original and original != name else name


def read_source(
    source: Any,
    *,
    delimiter: str | None = None,
    header: bool = True,
    columns: list[str] | None = None,
    encoding: str = "utf-8",
    progress: bool = False,
) -> SourceFrame:
    """Read a path or an in-memory frame (pandas, Polars, Arrow) into a :class:`SourceFrame`."""
    if isinstance(source, pd.DataFrame):
        return SourceFrame(source.reset_index(drop=True), "the DataFrame", "row", is_text=False)
    module = type(source).__module__
    if module.startswith("polars"):
        return SourceFrame(source.to_pandas(), "the Polars frame", "row", is_text=False)
    if module.startswith("pyarrow"):
        return SourceFrame(source.to_pandas(), "the Arrow table", "row", is_text=False)
    check_encoding(encoding)
    path = Path(source)
    _check_readable(path)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES or _is_parquet(path):
        return _read_parquet(path)
    if codecs.lookup(encoding).name == "utf-8" and (wide := _wide_bom(path)):
        encoding = wide  # the default (or utf-8) cannot read it; the mark names the encoding
    if suffix in JSON_SUFFIXES:
        return _read_json(path, encoding)
    return _read_text(path, delimiter, header, columns, encoding, progress)


def _read_parquet(path: Path) -> SourceFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputError(f"{path}: cannot be read as Parquet ({exc}).") from None
    return SourceFrame(table.to_pandas(), path.name, "row", is_text=False)


def _read_json(path: Path, encoding: str) -> SourceFrame:
    """JSON (an array of objects) or NDJSON (one object per line). Numbers are kept as the
    text they were written as (money stays exact), and every record remembers its line."""
    text = _decode_whole(path, encoding)
    stripped = text.lstrip()
    if not stripped:
        raise InputError(f"{path}: is empty; expected JSON objects.")
    decoder = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    if stripped.startswith("["):
        kind = "JSON"
        try:
            _json_array(text, decoder, records, lines)
        except RecursionError:
            raise InputError(_too_deep(path)) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}: is not valid JSON (line {exc.lineno}: {exc.msg}); expected an array "
                "of objects or one object per line."
            ) from None
    else:
        kind = "NDJSON"
        for number, raw in enumerate(text.split("\n"), start=1):
            if not raw.strip():
                continue
            try:
                value = decoder.decode(raw)
            except RecursionError:
                raise InputError(_too_deep(path, number)) from None
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}: is not valid NDJSON (line {number}: {exc.msg}); expected one "
                    "JSON object per line or an array of objects."
                ) from None
            records.append(value)
            lines.append(number)
    for record, number in zip(records, lines, strict=True):
        if not isinstance(record, dict):
            raise InputError(
                f"{path}: line {number} holds a JSON {type(record).__name__}, not an object; "
                f'expected {kind} objects such as {{"order_id": "1", …}}.'
            )
    rows = []
    for record, number in zip(records, lines, strict=True):
        try:
            rows.append(_json_row(record))
        except RecursionError:
            raise InputError(_too_deep(path, number)) from None
        except UnicodeEncodeError as exc:
            raise InputError(
                f"{path.name}, line {number}: holds an unpaired surrogate "
                f"({exc.object[exc.start]!r}); expected valid Unicode text."
            ) from None
    frame = pd.DataFrame.from_records(rows)
    frame = frame.astype(object).where(frame.notna(), None)
    return SourceFrame(frame, path.name, "line", lines.__getitem__, is_text=True)


def _json_array(text: str, decoder: json.JSONDecoder, records: list[Any], lines: list[int]) -> None:
    """Walk a top-level array, recording the line each element starts on."""
    ws = " \t\r\n"
    idx = text.index("[") + 1
    line, last = 1, 0
    while True:
        while idx < len(text) and text[idx] in ws:
            idx += 1
        if idx < len(text) and text[idx] == "]" and not records:
            idx += 1
            break
        line += text.count("\n", last, idx)
        last = idx
        value, idx = decoder.raw_decode(text, idx)
        records.append(value)
        lines.append(line)
        while idx < len(text) and text[idx] in ws:
            idx += 1
        if idx < len(text) and text[idx] == ",":
            idx += 1
            continue
        if idx < len(text) and text[idx] == "]":
            idx += 1
            break
        raise json.JSONDecodeError("expected ',' or ']' after an element", text, idx)
    if text[idx:].strip():
        raise json.JSONDecodeError("extra data after the array", text, idx)


def _too_deep(path: Path, line: int | None = None) -> str:
    where = f"{path.name}, line {line}" if line is not None else str(path)
    return f"{where}: nests JSON too deeply; expected flat objects (one level of values)."


def _json_row(record: dict[str, Any]) -> dict[str, Any]:
    """Values as text; raises UnicodeEncodeError for a lone surrogate (``\\ud800``), which
    no later step could store."""
    out = {}
    for key, value in record.items():
        key.encode("utf-8")
        if value is None or isinstance(value, str):
            if value is not None:
                value.encode("utf-8")
            out[key] = value
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:  # nested objects and arrays are kept as JSON text
            text = json.dumps(value, ensure_ascii=False)
            text.encode("utf-8")
            out[key] = text
    return out


def _decode_whole(path: Path, encoding: str) -> str:
    _sniff_text(path, encoding)
    data = path.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: is not valid {encoding} text (byte {exc.start + 1}); give --encoding "
            "(e.g. latin-1) or convert the file to UTF-8."
        ) from None
    except UnicodeError as exc:
        raise InputError(f"{path}: cannot be decoded as {encoding} ({exc}).") from None
    except LookupError:
        raise InputError(f"{path}: unknown --encoding {encoding!r}.") from None
    return text.removeprefix("\ufeff")


def _read_text(
    path: Path,
    delimiter: str | None,
    header: bool,
    columns: list[str] | None,
    encoding: str,
    progress: bool,
) -> SourceFrame:
    sample = _sniff_text(path, encoding)
    if not sample.strip():
        raise InputError(f"{path}: is empty; expected a header line and data rows.")
    sep = resolve_delimiter(delimiter, path, sample)
    kwargs: dict[str, Any] = dict(
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        encoding=encoding,
        skipinitialspace=sep == r"\s+",
    )
    if not header:
        kwargs["header"] = None
    try:
        if progress and path.stat().st_size > PROGRESS_BYTES:
            frame = _read_csv_with_progress(path, kwargs)
        else:
            frame = pd.read_csv(path, **kwargs)
    except pd.errors.ParserError as exc:
        raise InputError(_ragged_message(path, encoding, sep, header, exc)) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: is empty; expected a header line and data rows.") from None
    except UnicodeError as exc:
        raise InputError(
            f"{path}: is not valid {encoding} text ({getattr(exc, 'reason', exc)}); give "
            "--encoding or convert the file to UTF-8."
        ) from None
    if not header and not columns:
        frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    elif not header and columns:
        if len(columns) != frame.shape[1]:
            raise InputError(
                f"{path}: --columns names {len(columns)} columns but the file has {frame.shape[1]}."
            )
        frame.columns = columns
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    header_lines = 1 if header else 0
    mapper = _LineMapper(path, encoding, sep, header_lines, len(frame))
    return SourceFrame(frame, path.name, "line", mapper, is_text=True)


def _short(exc: Exception) -> str:
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[-1].replace("C error: ", "").replace("Error tokenizing data. ", "")


def _ragged_message(path: Path, encoding: str, sep: str, header: bool, exc: Exception) -> str:
    """pandas counts rows, not lines, in its message; find the real line of the first row with
    more fields than the header."""
    hint = "check --delimiter and quoting"
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            rows = _physical_rows(fh, sep)
            width = None
            for start, row in rows:
                if width is None:
                    width = len(row)
                    if header:
                        continue
                if len(row) > width:
                    return (
                        f"{path.name}, line {start}: has {len(row)} fields but the "
                        f"{'header' if header else 'first line'} has {width}; {hint}."
                    )
    except csv.Error:
        pass
    return f"{path}: the rows do not line up with the header ({_short(exc)}); {hint}."


def _physical_rows(fh: Any, sep: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, fields) for every non-blank row, as pandas sees them."""
    if sep == r"\s+":
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line.split()
        return
    reader = csv.reader(fh, delimiter=sep)
    previous_end = 0
    for row in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if not row or (len(row) <= 1 and all(not cell.strip() for cell in row)):
            continue
        yield start, row


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: Any, on_bytes: Callable[[int], None]) -> None:
        self._raw = raw
        self._on = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        if n:
            self._on(n)
        return n


def _read_csv_with_progress(path: Path, kwargs: dict[str, Any]) -> pd.DataFrame:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    total = path.stat().st_size
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"reading {path.name}", total=total)
        with path.open("rb") as raw:
            counting = io.BufferedReader(_CountingReader(raw, lambda n: bar.advance(task, n)))
            chunks = list(pd.read_csv(counting, chunksize=500_000, **kwargs))
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()


class _LineMapper:
    """Row position → physical line number, exact even with quoted multi-line fields and
    blank lines. The cheap formula is used when the file has one line per row."""

    def __init__(self, path: Path, encoding: str, sep: str, header_lines: int, rows: int):
        self._path, self._encoding, self._sep = path, encoding, sep
        self._header = header_lines
        self._rows = rows
        self._table: list[int] | None = None

    def __call__(self, position: int) -> int:
        if self._table is None:
            self._table = self._build()
        if position < len(self._table):
            return self._table[position]
        return position + 1 + self._header

    def _build(self) -> list[int]:
        starts: list[int] = []
        try:
            with self._path.open(encoding=self._encoding, errors="replace", newline="") as fh:
                rows = _physical_rows(fh, self._sep)
                for _ in range(self._header):
                    next(rows, None)
                starts = [start for start, _ in rows]
        except csv.Error:  # a file pandas read but the csv module refuses: best effort
            return []
        if len(starts) != self._rows:
            return []
        return starts
