"""The churn model file: a one-line magic header, one line of JSON manifest (format version,
retentionkit and scikit-learn versions, features and their types, id and label columns,
validation figures) and then the joblib pickle. :func:`load` reads and checks the manifest
*before* unpickling, so a file of another format version is refused with a sentence instead of
failing somewhere inside pickle. Pickles run code when loaded: load only model files you trust.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retentionkit.errors import InputError, MissingFileError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.churn.model import ChurnModel

__all__ = ["FORMAT_VERSION", "load", "manifest", "read_manifest", "save"]

#: Version of the model file layout; bump it when the manifest or the pickled object changes.
FORMAT_VERSION = 1
_MAGIC = b"RETENTIONKIT-CHURN-MODEL\n"
_FILE_KIND = "retentionkit-churn-model"


def manifest(model: ChurnModel) -> dict[str, Any]:
    """The JSON header written in front of the pickle by :meth:`save`."""
    import platform

    import sklearn

    from retentionkit import __version__

    model._check_fitted()
    val = model.report_["validation"]
    return {
        "kind": _FILE_KIND,
        "format_version": FORMAT_VERSION,
        "retentionkit_version": __version__,
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model": model.candidate_.name,
        "model_family": model.candidate_.family,
        "features": [{"name": k, "type": v} for k, v in model.feature_types_.items()],
        "id_column": model.id_column,
        "label_column": model.label_column,
        "n_rows": model.n_rows_,
        "positive_rate": model.base_rate_,
        "validation_roc_auc": val["roc_auc"],
        "feature_labels": dict(model.feature_labels or {}),
        "reason_templates": dict(model.reason_templates or {}),
    }


def save(model: ChurnModel, path: str | Path) -> Path:
    """Write the model file (header line, JSON manifest line, joblib pickle)."""
    import joblib

    path = Path(path)
    manifest_data = model.manifest()
    if path.parent and not path.parent.exists():
        raise MissingFileError(f"Cannot write model file {path}: {path.parent} does not exist.")
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as handle:
        handle.write(_MAGIC)
        handle.write(json.dumps(manifest_data, sort_keys=True).encode("utf-8") + b"\n")
        joblib.dump(model, handle, compress=3)
    tmp.replace(path)
    return path


def load(cls: type[ChurnModel], path: str | Path) -> ChurnModel:
    """Read a model file written by :meth:`save`, checking its manifest before unpickling."""
    import joblib

    path = Path(path)
    with _open_model(path) as handle:
        manifest = _read_header(handle, path)
        try:
            model = joblib.load(handle)
        except Exception as exc:  # any unpickling failure is a bad file, not a bug
            raise InputError(
                f"Model file {path} could not be read ({type(exc).__name__}: {exc}); it may "
                f"be damaged or written with a different scikit-learn (file: "
                f"{manifest.get('sklearn_version')}); retrain with 'retentionkit churn train'."
            ) from None
    if not isinstance(model, cls):
        raise InputError(f"Model file {path} does not hold a churn model.")
    model.manifest_ = manifest
    return model


def _open_model(path: Path) -> Any:
    if not path.exists():
        raise MissingFileError(f"Model file {path} does not exist.")
    if path.is_dir():
        raise MissingFileError(f"Model file {path} is a directory, not a model file.")
    return path.open("rb")


def _read_header(handle: Any, path: Path) -> dict[str, Any]:
    from retentionkit import __version__

    if handle.readline() != _MAGIC:
        raise InputError(
            f"{path} is not a retentionkit churn model file (its first line is not the "
            "retentionkit model header); create one with 'retentionkit churn train'."
        )
    try:
        manifest = json.loads(handle.readline().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"Model file {path} has a damaged manifest line.") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise InputError(
            f"Model file {path} has model format version {version} (written by retentionkit "
            f"{manifest.get('retentionkit_version', '?') if isinstance(manifest, dict) else '?'}),"
            f" but this retentionkit {__version__} reads version {FORMAT_VERSION}; retrain it "
            "with 'retentionkit churn train'."
        )
    return manifest


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The JSON manifest of a model file, without unpickling it (safe on untrusted files)."""
    path = Path(path)
    with _open_model(path) as handle:
        return _read_header(handle, path)
