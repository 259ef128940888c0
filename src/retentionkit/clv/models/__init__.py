"""Probabilistic CLV models fitted by maximum likelihood, and their registry.

``MODELS`` maps the short names used by the CLI, the API and saved model files to the classes;
:func:`get_model` looks a name up and says which names exist when it is unknown.
"""

from __future__ import annotations

from retentionkit.clv.models.base import BaseFitter
from retentionkit.clv.models.bgbb import BetaGeoBetaBinomFitter
from retentionkit.clv.models.bgnbd import BetaGeoFitter
from retentionkit.clv.models.gamma_gamma import GammaGammaFitter
from retentionkit.clv.models.mbgnbd import ModifiedBetaGeoFitter
from retentionkit.clv.models.paretonbd import ParetoNBDFitter
from retentionkit.clv.models.sbg import ShiftedBetaGeometricFitter
from retentionkit.errors import UnknownNameError

__all__ = [
    "MODELS",
    "BaseFitter",
    "BetaGeoBetaBinomFitter",
    "BetaGeoFitter",
    "GammaGammaFitter",
    "ModifiedBetaGeoFitter",
    "ParetoNBDFitter",
    "ShiftedBetaGeometricFitter",
    "get_model",
]

MODELS: dict[str, type[BaseFitter]] = {
    "bgnbd": BetaGeoFitter,
    "mbgnbd": ModifiedBetaGeoFitter,
    "paretonbd": ParetoNBDFitter,
    "gamma-gamma": GammaGammaFitter,
    "sbg": ShiftedBetaGeometricFitter,
    "bgbb": BetaGeoBetaBinomFitter,
}


def get_model(name: str) -> type[BaseFitter]:
    """The model class registered under ``name`` (case-insensitive; "_" and "-" are the same)."""
    key = str(name).strip().lower().replace("_", "-")
    if key in MODELS:
        return MODELS[key]
    compact = key.replace("-", "").replace("/", "")
    for known, cls in MODELS.items():
        if known.replace("-", "") == compact:
            return cls
    raise UnknownNameError(f"Unknown CLV model {name!r}; valid names are: {', '.join(MODELS)}.")
