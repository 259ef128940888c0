"""Requests, results and errors as JSON, for the server's local route (``POST
/api/_local/run``, :mod:`retentionkit.runtime.client`): the CLI and ``rk.Workspace`` send the
request to the server that owns the workspace and get back the same :class:`Result`.

* a request is ``{"type": "MetricRequest", "fields": {...}}``; rebuilding it validates it again.
  Paths travel as absolute paths (the server reads the file itself, on the same machine); a
  pandas / Polars / Arrow frame given as an ingest source travels as Parquet bytes (base64).
* a result's ``frame`` travels as Arrow IPC (base64) so dtypes, the index and time zones
  survive; object columns holding dicts or lists (``components``, ``reasons``) travel as JSON
  text and are decoded again. Reports are JSON (:class:`IngestReport` rebuilt), a fitted CLV
  model its ``to_dict``.
* an error is ``{"type", "message", "exit_code", "http_status"}``; :func:`error_from_json`
  rebuilds the same :mod:`retentionkit.errors` exception, so a face prints the same sentence
  and exits with the same code.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import retentionkit.errors as errors
from retentionkit.errors import RetentionkitError
from retentionkit.service.operations import OPERATIONS, Result
from retentionkit.service.requests import Request

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "error_from_json",
    "error_to_json",
    "request_from_json",
    "request_to_json",
    "result_from_json",
    "result_to_json",
]

_TYPES: dict[str, type[Request]] = {t.__name__: t for t in OPERATIONS}


# --------------------------------------------------------------------------- requests
def _is_frame(value: Any) -> bool:
    module = type(value).__module__.split(".")[0]
    return module in ("pandas", "polars", "pyarrow") and hasattr(value, "columns")


def _frame_parquet(value: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    module = type(value).__module__.split(".")[0]
    if module == "polars":
        table = value.to_arrow()
    elif module == "pyarrow":
        table = value
    else:
        table = pa.Table.from_pandas(value, preserve_index=False)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _encode(value: Any) -> Any:
    if isinstance(value, Path):
        return {"__path__": str(value.expanduser().absolute())}
    if _is_frame(value):
        return {"__parquet__": base64.b64encode(_frame_parquet(value)).decode()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "__path__" in value:
        return Path(value["__path__"])
    if isinstance(value, dict) and "__parquet__" in value:
        import pandas as pd

        return pd.read_parquet(io.BytesIO(base64.b64decode(value["__parquet__"])))
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def _goal_types() -> dict[str, type]:
    from retentionkit.service.operations import _goal_operations

    return {t.__name__: t for t in _goal_operations()}


def request_to_json(request: Request) -> dict[str, Any]:
    """``request`` as JSON; an ingest source given as a path text becomes an absolute path.
    A request that is not a dataclass (the goal requests, for now) cannot travel: one
    sentence saying so."""
    if not dataclasses.is_dataclass(request):
        raise errors.WorkspaceLockedError(
            f"{type(request).__name__.removesuffix('Request')} cannot run through the server "
            "that owns this workspace yet; stop 'retentionkit serve' first, or use its REST API."
        )
    fields = {}
    for f in dataclasses.fields(request):
        value = getattr(request, f.name)
        if f.name == "source" and isinstance(value, str):  # IngestRequest: a path as text
            value = Path(value)
        fields[f.name] = _encode(value)
    return {"type": type(request).__name__, "fields": fields}


def request_from_json(data: Any) -> Request:
    """Rebuild (and validate again) a request made by :func:`request_to_json`."""
    try:
        cls = _TYPES.get(data["type"]) or _goal_types()[data["type"]]
        fields = {k: _decode(v) for k, v in dict(data["fields"]).items()}
    except (KeyError, TypeError) as exc:
        raise errors.InputError(f"Not a retentionkit request ({exc}).") from None
    return cls(**fields)


# --------------------------------------------------------------------------- frames
def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _nested(series: pd.Series) -> bool:
    return bool(series.map(lambda v: isinstance(v, (dict, list, tuple))).any())


def frame_to_bytes(frame: pd.DataFrame) -> tuple[bytes, list[str]]:
    """Arrow IPC bytes of ``frame`` and the object columns sent as JSON text."""
    import pyarrow as pa

    frame = frame.copy()
    json_cols = [c for c in frame.columns if frame[c].dtype == object and _nested(frame[c])]
    for col in json_cols:
        frame[col] = frame[col].map(
            lambda v: None if v is None else json.dumps(v, default=_json_default)
        )
    try:
        table = pa.Table.from_pandas(frame, preserve_index=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed object columns: JSON text too
        more = [c for c in frame.columns if frame[c].dtype == object and c not in json_cols]
        for col in more:
            frame[col] = frame[col].map(lambda v: json.dumps(v, default=_json_default))
        json_cols += more
        table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue(), [str(c) for c in json_cols]


def frame_from_bytes(data: bytes, json_cols: list[str]) -> pd.DataFrame:
    import pyarrow as pa

    frame = pa.ipc.open_stream(io.BytesIO(data)).read_all().to_pandas()
    for col in json_cols:
        frame[col] = frame[col].map(lambda v: None if v is None else json.loads(v))
    return frame


# --------------------------------------------------------------------------- results
def _report_to_json(report: Any) -> Any:
    from retentionkit.schema.ingest import IngestReport

    if isinstance(report, IngestReport):
        return {"__ingest__": dataclasses.asdict(report)}
    if isinstance(report, list):
        return [_report_to_json(r) for r in report]
    return report


def _report_from_json(report: Any) -> Any:
    if isinstance(report, dict) and "__ingest__" in report:
        from retentionkit.schema.ingest import IngestReport
        from retentionkit.schema.store import WriteStats

        data = report["__ingest__"]
        tables = [WriteStats(**s) for s in data["tables"]]
        return IngestReport(data["source"], tables=tables, notes=list(data["notes"]))
    if isinstance(report, list):
        return [_report_from_json(r) for r in report]
    return report


def _nan_safe(value: Any) -> Any:
    """JSON has no NaN: floats that are not finite become ``{"__float__": "nan"}``."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, dict):
        return {k: _nan_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_safe(v) for v in value]
    return value


def _nan_back(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        return {k: _nan_back(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_back(v) for v in value]
    return value


def result_to_json(result: Result, version: int = 0) -> dict[str, Any]:
    """``result`` as JSON (the request is not sent back: the client has it)."""
    out: dict[str, Any] = {"title": result.title, "version": version}
    if result.frame is not None:
        data, json_cols = frame_to_bytes(result.frame)
        out["frame"] = base64.b64encode(data).decode()
        out["json_columns"] = json_cols
    if result.report is not None:
        out["report"] = json.loads(
            json.dumps(_nan_safe(_report_to_json(result.report)), default=_json_default)
        )
    if result.model is not None and hasattr(result.model, "to_dict"):
        out["model"] = _nan_safe(result.model.to_dict())
    if result.extra:  # the model actually used, its status, warnings, notes
        out["extra"] = json.loads(json.dumps(_nan_safe(result.extra), default=_json_default))
    return out


def result_from_json(request: Request, data: dict[str, Any]) -> Result:
    """The :class:`Result` of ``request`` that :func:`result_to_json` sent."""
    frame = None
    if "frame" in data:
        frame = frame_from_bytes(base64.b64decode(data["frame"]), data.get("json_columns", []))
    model = None
    if "model" in data:
        from retentionkit.clv.models.base import BaseFitter

        model = BaseFitter.from_dict(_nan_back(data["model"]))
    report = _report_from_json(_nan_back(data["report"])) if "report" in data else None
    return Result(
        request,
        frame=frame,
        report=report,
        model=model,
        title=data.get("title", ""),
        extra=dict(data.get("extra") or {}),
    )


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
