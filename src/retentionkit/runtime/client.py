"""The client side of the local route: run a service request in the server that owns the
workspace (``POST /api/_local/run`` with the runtime file's token in :data:`TOKEN_HEADER`).

Any registered request travels (:func:`retentionkit.service.wire.request_types`: the service
layer's, the goals', the surveys' and the automations'). The server answers the
:func:`~retentionkit.service.wire.answer_to_json` of the answer (a :class:`Result`, or the plain
value a feature's service returns), or an error as ``{"error": {type, message, exit_code,
http_status}}``, which is raised again here as the same :mod:`retentionkit.errors` exception.
Paths in messages are given back as the user wrote them (the request sent absolute paths).
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retentionkit.errors import AuthError, RetentionkitError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.runtime.files import RuntimeInfo
    from retentionkit.service import Request, Result

__all__ = ["LOCAL_ROUTE", "TOKEN_HEADER", "ServerClient"]

LOCAL_ROUTE = "/api/_local/run"
TOKEN_HEADER = "X-Retentionkit-Local-Token"
#: Seconds to wait for an answer (a model fit on a large workspace can take minutes).
TIMEOUT = 3600.0


def _user_paths(request: Request) -> dict[str, str]:
    """Absolute path → the path as the user gave it, for every path field of ``request``."""
    out: dict[str, str] = {}
    if not dataclasses.is_dataclass(request):
        return out
    for f in dataclasses.fields(request):
        value = getattr(request, f.name)
        if isinstance(value, (str, Path)) and f.name in ("source", "directory", "model_file"):
            given = str(value)
            full = str(Path(value).expanduser().absolute())
            if full != given:
                out[full] = given
    return out


def _unabsolute(text: str, paths: dict[str, str]) -> str:
    for full, given in paths.items():
        text = text.replace(full, given)
    return text


class ServerClient:
    """Runs requests in the server described by a runtime file."""

    def __init__(self, info: RuntimeInfo) -> None:
        self.info = info
        self.version: int | None = None  # the data version of the last answer

    def __repr__(self) -> str:
        return f"ServerClient({self.info.url}, pid {self.info.pid})"

    def run(self, request: Request | Any) -> Result | Any:
        """Answer ``request`` in the server: a :class:`Result` for the service layer's and the
        goals' requests, the feature service's own value for the surveys' and automations'."""
        from retentionkit.service.wire import (
            answer_from_json,
            error_from_json,
            request_to_json,
        )

        paths = _user_paths(request)
        body = json.dumps({"request": request_to_json(request)}).encode()
        http = urllib.request.Request(
            self.info.url.rstrip("/") + LOCAL_ROUTE,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", TOKEN_HEADER: self.info.token},
        )
        try:
            with urllib.request.urlopen(http, timeout=TIMEOUT) as resp:
                data = json.loads(resp.read().decode())
        except urllib.error.HTTPError as exc:
            data = self._error_body(exc)
            if exc.code in (401, 403) and "error" not in data:
                raise AuthError(
                    f"The server at {self.info.url} (pid {self.info.pid}) refused this "
                    "workspace's local token; restart 'retentionkit serve' or delete "
                    "its runtime file."
                ) from None
            if "error" not in data:
                raise RetentionkitError(
                    f"The server at {self.info.url} answered HTTP {exc.code}: "
                    f"{data.get('detail', exc.reason)}."
                ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RetentionkitError(
                f"The server at {self.info.url} (pid {self.info.pid}) that owns this "
                f"workspace did not answer ({reason}); stop it or wait until it is back."
            ) from None
        for part in ("error", "report", "value"):  # messages and reports name the user's paths
            if part in data and paths:
                data[part] = json.loads(
                    _unabsolute(json.dumps(data[part], ensure_ascii=False), paths)
                )
        if "error" in data:
            raise error_from_json(data["error"])
        self.version = data.get("version")
        return answer_from_json(request, data)

    @staticmethod
    def _error_body(exc: urllib.error.HTTPError) -> dict[str, Any]:
        try:
            data = json.loads(exc.read().decode())
        except (ValueError, OSError):
            return {}
        return data if isinstance(data, dict) else {}
