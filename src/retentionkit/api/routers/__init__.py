"""One router per resource; each builds a request (:mod:`retentionkit.service.requests`) from
its query parameters, runs it through the cached workspace service and serialises the result
with :mod:`retentionkit.service.serialize`."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

__all__ = ["ALWAYS", "OPTIONAL", "routers"]

#: Routers every installation serves.
ALWAYS = ("metrics", "ingest", "surveys", "goals", "automations", "rebuild")
#: Routers whose library feature may be missing (see
#: :func:`retentionkit.service.features.available_features`).
OPTIONAL = ("cohorts", "rfm", "clv", "churn", "segments")


def routers() -> list[Any]:
    """The API routers of this installation, in mounting order."""
    from retentionkit.service.features import available_features

    features = available_features()
    names = [*ALWAYS] + [
        n
        for n in OPTIONAL
        if n in features and importlib.util.find_spec(f"retentionkit.api.routers.{n}")
    ]
    return [importlib.import_module(f"retentionkit.api.routers.{n}").router for n in names]
