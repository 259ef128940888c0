"""Probabilistic CLV models fitted by maximum likelihood, and their registry.

``MODELS`` maps the short names used by the CLI, the API and saved model files to the classes;
it is the single source of the model names: every list of names (CLI choices, API enums, the
workflow's checks, docs) derives from :func:`model_names` (optionally of one :data:`KINDS`) and
:func:`model_info` (name, kind, description, data it needs, aliases), both read from the class
attributes each model declares. :func:`get_model` looks a name up and says which names exist when
it is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from retentionkit.clv.models.base import BaseFitter
from retentionkit.clv.models.bgbb import BetaGeoBetaBinomFitter
from retentionkit.clv.models.bgnbd import BetaGeoFitter
from retentionkit.clv.models.gamma_gamma import GammaGammaFitter
from retentionkit.clv.models.mbgnbd import ModifiedBetaGeoFitter
from retentionkit.clv.models.paretonbd import ParetoNBDFitter
from retentionkit.clv.models.sbg import ShiftedBetaGeometricFitter
from retentionkit.errors import UnknownNameError

__all__ = [
    "KINDS",
    "MODELS",
    "BaseFitter",
    "BetaGeoBetaBinomFitter",
    "BetaGeoFitter",
    "GammaGammaFitter",
    "ModelInfo",
    "ModifiedBetaGeoFitter",
    "ParetoNBDFitter",
    "ShiftedBetaGeometricFitter",
    "get_model",
    "model_info",
    "model_names",
]

#: The kinds of CLV model: purchase counts (non-contractual, continuous time), spend per purchase,
#: contractual retention (subscriptions), discrete purchase opportunities.
KINDS = ("purchase", "spend", "contractual", "discrete")

MODELS: dict[str, type[BaseFitter]] = {
    "bgnbd": BetaGeoFitter,
    "mbgnbd": ModifiedBetaGeoFitter,
    "paretonbd": ParetoNBDFitter,
    "gamma-gamma": GammaGammaFitter,
    "sbg": ShiftedBetaGeometricFitter,
    "bgbb": BetaGeoBetaBinomFitter,
}


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about one model (read from the class's declarations)."""

    name: str
    kind: str
    description: str
    needs: str
    params: tuple[str, ...]
    aliases: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "needs": self.needs,
            "params": list(self.params),
            "aliases": list(self.aliases),
        }


def _compact(name: str) -> str:
    return str(name).strip().lower().replace("_", "").replace("-", "").replace("/", "")


def model_names(kind: str | None = None) -> tuple[str, ...]:
    """The registry names, in registry order; only those of ``kind`` (one of :data:`KINDS`)."""
    if kind is not None and kind not in KINDS:
        raise UnknownNameError(
            f"Unknown CLV model kind {kind!r}; valid kinds are: {', '.join(KINDS)}."
        )
    return tuple(name for name, cls in MODELS.items() if kind is None or cls.kind == kind)


def model_info(name: str) -> ModelInfo:
    """Name, kind, description, data needed, parameters and aliases of the model ``name``."""
    cls = get_model(name)
    return ModelInfo(
        name=cls.model_name,
        kind=cls.kind,
        description=cls.description,
        needs=cls.needs,
        params=cls.param_names,
        aliases=cls.aliases,
    )


def get_model(name: str) -> type[BaseFitter]:
    """The model class registered under ``name`` or one of its aliases (case-insensitive;
    "_", "-" and "/" are ignored: ``BG/NBD``, ``bg_nbd`` and ``bgnbd`` are the same)."""
    key = _compact(name)
    for known, cls in MODELS.items():
        if key in {_compact(known), *(_compact(a) for a in cls.aliases)}:
            return cls
    raise UnknownNameError(f"Unknown CLV model {name!r}; valid names are: {', '.join(MODELS)}.")
