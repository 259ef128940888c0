"""Requests, results and errors as JSON, for the server's local route (``POST
/api/_local/run``, :mod:`retentionkit.runtime.client`): the CLI and ``rk.Workspace`` send the
request to the server that owns the workspace and get back the same answer.

* a request is ``{"type": "MetricRequest", "fields": {...}}``: its type name and its fields
  (a dataclass's fields, or the fields a pydantic request was given). The type is looked up in
  :func:`request_types`, an explicit registry of the request types of the service layer, the
  goals, the surveys and the automations (never an arbitrary name imported from the wire);
  rebuilding the request validates it again. Paths travel as absolute paths (the server reads
  the file itself, on the same machine); a frame given as an ingest source travels as Arrow.
* a value (fields, reports, the answers of the feature services) travels as JSON with tagged
  types, so it comes back as the same Python value (:func:`encode` / :func:`decode`): tuples,
  dates, times, timestamps, time spans, bytes, paths, NaN and infinities, frames (Arrow IPC,
  base64: dtypes, the index and time zones survive; object columns, such as ``components``
  or ``reasons`` or numbers next to None, travel as tagged JSON text per cell) and the result
  dataclasses listed in :func:`value_types` (``Survey``, ``SurveyLink``, ``IngestReport`` …).
* a :class:`Result` of the service layer is ``{"title", "version", "frame", "report", "model",
  "extra"}`` (a fitted CLV model its ``to_dict``); any other answer (the goals', surveys' and
  automations' services return plain values) is ``{"value": ..., "version"}``.
* an error is ``{"type", "message", "exit_code", "http_status"}``; :func:`error_from_json`
  rebuilds the same :mod:`retentionkit.errors` exception, so a face prints the same sentence
  and exits with the same code.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import retentionkit.errors as errors
from retentionkit.errors import RetentionkitError
from retentionkit.service.operations import Result

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "answer_from_json",
    "answer_to_json",
    "decode",
    "encode",
    "error_from_json",
    "error_to_json",
    "request_from_json",
    "request_to_json",
    "request_types",
    "result_from_json",
    "result_to_json",
    "value_types",
    "writes",
]


# --------------------------------------------------------------------------- registries
@functools.cache
def request_types() -> dict[str, tuple[type, Callable[[Any, Any], Any]]]:
    """Every request type that may come over the wire, by its name, with the service function
    that answers it: :func:`retentionkit.service.run` for the service layer's and the goals'
    requests, :func:`retentionkit.surveys.service.run` and
    :func:`retentionkit.automations.service.run` for theirs (each family's own ``OPERATIONS``
    table is the list); ``ReportRequest`` is answered by the report face, which the server's
    route calls. A name two families share would be ambiguous: refused here."""
    from retentionkit.automations import service as automations
    from retentionkit.service.operations import OPERATIONS, _goal_operations, run
    from retentionkit.service.requests import ReportRequest
    from retentionkit.surveys import service as surveys

    families: list[tuple[Any, Callable[[Any, Any], Any]]] = [
        (OPERATIONS, run),
        ({ReportRequest: None}, _rendered_by_the_server),
        (_goal_operations(), run),
        (surveys.OPERATIONS, surveys.run),
        (automations.OPERATIONS, automations.run),
    ]
    out: dict[str, tuple[type, Callable[[Any, Any], Any]]] = {}
    for table, runner in families:
        for cls in table:
            if cls.__name__ in out:  # pragma: no cover - a programming error
                raise RuntimeError(f"Two request types are named {cls.__name__}.")
            out[cls.__name__] = (cls, runner)
    return out


def _rendered_by_the_server(ws: Any, request: Any) -> Any:
    """``ReportRequest``: the report face renders it (the server's local route calls it)."""
    raise errors.ConfigError("The report is rendered by 'retentionkit report'.")


@functools.cache
def value_types() -> dict[str, type]:
    """The dataclasses an answer may hold, by name (rebuilt on arrival; any other object is a
    bug, reported as one)."""
    from retentionkit.schema.common import IngestReport, WriteStats
    from retentionkit.surveys.answers import Answer
    from retentionkit.surveys.definitions import Survey
    from retentionkit.surveys.links import LinkClaims, SurveyLink

    return {
        cls.__name__: cls
        for cls in (IngestReport, WriteStats, Survey, SurveyLink, LinkClaims, Answer)
    }


def writes(request: Any) -> bool:
    """Whether ``request`` writes (its class declares ``writes = True``): the server runs it
    on its write path, which bumps the data version."""
    return bool(getattr(type(request), "writes", False))


# --------------------------------------------------------------------------- values
_TAGS = (
    "__tuple__",
    "__float__",
    "__date__",
    "__datetime__",
    "__timestamp__",
    "__timedelta__",
    "__bytes__",
    "__path__",
    "__frame__",
    "__parquet__",
    "__dataclass__",
    "__dict__",
)


def _frame_module(value: Any) -> str | None:
    module = type(value).__module__.split(".")[0]
    if module in ("pandas", "polars", "pyarrow") and hasattr(value, "columns"):
        return module
    return None


def _parquet(value: Any, module: str) -> bytes:
    import pyarrow.parquet as pq

    table = value.to_arrow() if module == "polars" else value
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data that :func:`decode` turns back into an equal value."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"__float__": repr(float(value))}
    if isinstance(value, Path):
        return {"__path__": str(value.expanduser().absolute())}
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dt.datetime):
        if type(value).__module__.startswith("pandas"):  # pd.Timestamp (keeps nanoseconds)
            return {"__timestamp__": value.isoformat()}
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dt.timedelta):  # pd.Timedelta too (a subclass)
        return {"__timedelta__": [value.days, value.seconds, value.microseconds]}
    module = _frame_module(value)
    if module == "pandas":
        data, positions = frame_to_bytes(value)
        return {"__frame__": base64.b64encode(data).decode(), "json_columns": positions}
    if module is not None:  # a Polars or Arrow frame (an ingest source): read back as pandas
        return {"__parquet__": base64.b64encode(_parquet(value, module)).decode()}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and k not in _TAGS for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if value_types().get(name) is type(value):
            fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
            return {"__dataclass__": name, "fields": fields}
    if hasattr(value, "item") and type(value).__module__ == "numpy":  # a NumPy scalar
        return encode(value.item())
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):  # a NumPy array
        return encode(value.tolist())
    raise TypeError(f"{type(value).__name__} cannot travel to or from the server")


def decode(value: Any) -> Any:
    """The value :func:`encode` was given."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 or "__frame__" in value or "__dataclass__" in value:
        tag = next(iter(value))
        if tag == "__tuple__":
            return tuple(decode(v) for v in value[tag])
        if tag == "__float__":
            return float(value[tag])
        if tag == "__path__":
            return Path(value[tag])
        if tag == "__bytes__":
            return base64.b64decode(value[tag])
        if tag == "__date__":
            return dt.date.fromisoformat(value[tag])
        if tag == "__datetime__":
            return dt.datetime.fromisoformat(value[tag])
        if tag == "__timestamp__":
            import pandas as pd

            return pd.Timestamp(value[tag])
        if tag == "__timedelta__":
            days, seconds, micros = value[tag]
            return dt.timedelta(days=days, seconds=seconds, microseconds=micros)
        if tag == "__parquet__":
            import pandas as pd

            return pd.read_parquet(io.BytesIO(base64.b64decode(value[tag])))
        if tag == "__dict__":
            return {_hashable(decode(k)): decode(v) for k, v in value[tag]}
        if "__frame__" in value:
            data = base64.b64decode(value["__frame__"])
            return frame_from_bytes(data, list(value.get("json_columns", [])))
        if "__dataclass__" in value:
            return _dataclass(value["__dataclass__"], value.get("fields", {}))
    return {k: decode(v) for k, v in value.items()}


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _dataclass(name: str, fields: dict[str, Any]) -> Any:
    cls = value_types().get(str(name))
    if cls is None:
        raise errors.InputError(f"Not a retentionkit value ({name!r}).")
    given = {k: decode(v) for k, v in fields.items()}
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    obj = cls(**{k: v for k, v in given.items() if k in init})
    for key, val in given.items():
        if key not in init:
            object.__setattr__(obj, key, val)
    return obj


# --------------------------------------------------------------------------- requests
def _fields(request: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(request):
        return {f.name: getattr(request, f.name) for f in dataclasses.fields(request)}
    if hasattr(request, "model_dump"):  # a pydantic request (goals): the fields it was given
        return {name: getattr(request, name) for name in request.model_fields_set}
    raise TypeError(f"{type(request).__name__} is not a request")


def request_to_json(request: Any) -> dict[str, Any]:
    """``request`` as JSON; an ingest source given as a path text becomes an absolute path."""
    name = type(request).__name__
    if request_types().get(name, (None,))[0] is not type(request):
        raise TypeError(f"{name} is not a registered request type")
    fields = {}
    for key, value in _fields(request).items():
        if key == "source" and isinstance(value, str):  # IngestRequest: a path as text
            value = Path(value)
        fields[key] = encode(value)
    return {"type": name, "fields": fields}


def request_from_json(data: Any) -> Any:
    """Rebuild (and validate again) a request made by :func:`request_to_json`; a type that is
    not in :func:`request_types` is refused."""
    try:
        cls, _ = request_types()[data["type"]]
        fields = {k: decode(v) for k, v in dict(data["fields"]).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.InputError(f"Not a retentionkit request ({exc}).") from None
    if hasattr(cls, "model_fields"):  # pydantic: its messages as one sentence
        from retentionkit.goals.model import build_request

        return build_request(cls, **fields)
    return cls(**fields)


# --------------------------------------------------------------------------- frames
def frame_to_bytes(frame: pd.DataFrame) -> tuple[bytes, list[int]]:
    """Arrow IPC bytes of ``frame`` and the positions of its object columns, which travel as
    JSON text per cell (:func:`encode`), so they come back as the same Python objects (ints
    stay ints next to None, dicts and lists stay dicts and lists); Arrow would make floats of
    them."""
    import pyarrow as pa

    frame = frame.copy()
    positions = [i for i, dtype in enumerate(frame.dtypes) if str(dtype) == "object"]
    for i in positions:
        frame.isetitem(i, frame.iloc[:, i].map(lambda v: json.dumps(encode(v))).astype(object))
    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue(), positions


def table_from_bytes(data: bytes) -> Any:
    """The Arrow table :func:`frame_to_bytes` wrote (pandas is not imported)."""
    import pyarrow.ipc

    return pyarrow.ipc.open_stream(io.BytesIO(data)).read_all()


def records_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    """``frame``'s rows as JSON-ready columns and rows (:func:`encode`, timestamps as plain
    datetimes, NaT as None), for :func:`records_from_json`: the records a face prints,
    readable without pandas or Arrow."""
    import pandas as pd

    def plain(value: Any) -> Any:
        if value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp) and value.nanosecond == 0:
            return value.to_pydatetime()  # a Timestamp with nanoseconds stays one (tagged)
        return value

    columns = [str(c) for c in frame.columns]
    rows = [[encode(plain(v)) for v in row] for row in frame.itertuples(index=False, name=None)]
    return {"columns": columns, "rows": rows}


def records_from_json(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The records :func:`records_to_json` wrote."""
    columns = list(data["columns"])
    return [dict(zip(columns, decode(row), strict=True)) for row in data["rows"]]


def table_records(table: Any, positions: list[int]) -> list[dict[str, Any]]:
    """The rows of an Arrow table from :func:`table_from_bytes` as plain Python records (the
    object columns at ``positions`` decoded back from their JSON text; the pandas index's
    columns left out), without pandas: what a face that only prints needs."""
    names = [n for n in table.column_names if not n.startswith("__index_level_")]
    columns = {n: table.column(n).to_pylist() for n in names}
    for i in positions:
        name = table.column_names[i]
        columns[name] = [decode(json.loads(v)) for v in columns[name]]
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def frame_from_table(table: Any, positions: list[int]) -> pd.DataFrame:
    """The pandas frame of an Arrow table from :func:`table_from_bytes`."""
    frame = table.to_pandas()
    for i in positions:
        cells = [decode(json.loads(v)) for v in frame.iloc[:, i]]
        frame.isetitem(i, pd_object_series(cells, frame.index))
    return frame


def frame_from_bytes(data: bytes, positions: list[int]) -> pd.DataFrame:
    """The frame :func:`frame_to_bytes` wrote."""
    return frame_from_table(table_from_bytes(data), positions)


def pd_object_series(cells: list[Any], index: Any) -> Any:
    """``cells`` as an object column (no dtype inference: what was sent comes back)."""
    import pandas as pd

    return pd.Series(cells, index=index, dtype=object)


# --------------------------------------------------------------------------- results
def result_to_json(result: Result, version: int = 0) -> dict[str, Any]:
    """``result`` as JSON (the request is not sent back: the client has it)."""
    out: dict[str, Any] = {"title": result.title, "version": version}
    if result.frame is not None:
        out["frame"] = encode(result.frame)
    if result.report is not None:
        out["report"] = encode(result.report)
    if result.model is not None and hasattr(result.model, "to_dict"):
        out["model"] = encode(result.model.to_dict())
    if result.extra:  # the model actually used, its status, warnings, notes
        out["extra"] = encode(result.extra)
    return out


def result_from_json(request: Any, data: dict[str, Any]) -> Result:
    """The :class:`Result` of ``request`` that :func:`result_to_json` sent."""
    model = None
    if "model" in data:
        from retentionkit.clv.models.base import BaseFitter

        model = BaseFitter.from_dict(decode(data["model"]))
    return Result(
        request,
        frame=decode(data["frame"]) if "frame" in data else None,
        report=decode(data["report"]) if "report" in data else None,
        model=model,
        title=data.get("title", ""),
        extra=dict(decode(data.get("extra")) or {}),
    )


def answer_to_json(answer: Any, version: int = 0) -> dict[str, Any]:
    """Any answer of a service function: a :class:`Result` as :func:`result_to_json`, any
    other value as ``{"value": encode(value), "version"}``."""
    if isinstance(answer, Result):
        return result_to_json(answer, version)
    return {"value": encode(answer), "version": version}


def answer_from_json(request: Any, data: dict[str, Any]) -> Any:
    """The answer :func:`answer_to_json` sent for ``request``."""
    if "value" in data:
        return decode(data["value"])
    return result_from_json(request, data)


# --------------------------------------------------------------------------- errors
def error_to_json(exc: RetentionkitError) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "exit_code": exc.exit_code,
        "http_status": exc.http_status,
    }


def error_from_json(data: dict[str, Any]) -> Exception:
    """The same exception class (a subclass of RetentionkitError from
    :mod:`retentionkit.errors`); for a bug in the server (``"type": "InternalError"``) an
    exception of the same name (a builtin one, or one made with that name), so the faces report
    it as they report their own bugs; else a RetentionkitError with the same exit code."""
    cls = getattr(errors, str(data.get("type")), None)
    message = str(data.get("message", "the server refused the request"))
    if data.get("type") == "InternalError":
        import builtins

        name = str(data.get("exception") or "Exception")
        found = getattr(builtins, name, None)
        if not (isinstance(found, type) and issubclass(found, Exception)):
            found = type(name, (Exception,), {})
        try:
            return found(message)
        except TypeError:  # a builtin with another signature
            return type(name, (Exception,), {})(message)
    if isinstance(cls, type) and issubclass(cls, RetentionkitError):
        exc = RetentionkitError.__new__(cls)
        RetentionkitError.__init__(exc, message)
        if isinstance(exc, errors.WorkspaceLockedError):
            exc.detail = ""
        return exc
    exc = RetentionkitError(message)
    exc.exit_code = int(data.get("exit_code", 1))
    exc.http_status = int(data.get("http_status", 400))
    return exc
