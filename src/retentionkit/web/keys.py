"""API keys: created once, shown once, stored only as a salted hash.

Storage: a JSON file next to the workspace (``shop.duckdb`` → ``shop.duckdb.keys.json``, mode
0600), not a table inside the DuckDB file. DuckDB lets one process hold a file for writing, so a
table would make ``retentionkit keys create/revoke`` impossible while ``retentionkit serve`` is
running; the JSON file is re-read whenever it changes, so a revoked key stops working at once.

A key looks like ``rk_<id>_<secret>``: ``id`` (8 hex digits) finds the record, ``secret``
(32 random bytes, URL-safe base64) is checked against ``sha256(salt || secret)`` with a
constant-time comparison. The secret carries 256 bits of entropy, so a slow password hash
(scrypt) would add cost and no safety; the per-key salt keeps equal secrets distinct.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, cast, get_args

from retentionkit.errors import AuthError, ConfigError, UnknownNameError

__all__ = ["ROLES", "ApiKey", "KeyStore", "Role", "keys_path_for"]

#: Who may do what: ``admin`` reads and writes, ``read`` only reads (docs/web.md).
Role = Literal["admin", "read"]
ROLES: tuple[str, ...] = get_args(Role)
_PREFIX = "rk_"


def keys_path_for(db: Path) -> Path:
    """Where the keys of workspace ``db`` live."""
    return db.with_name(db.name + ".keys.json")


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """One stored key (never the key itself)."""

    id: str
    role: Role
    name: str
    created_at: str
    salt: str
    hash: str

    def public(self) -> dict[str, str]:
        return {"id": self.id, "role": self.role, "name": self.name, "created_at": self.created_at}


class KeyStore:
    """The keys of one workspace, in a JSON file; safe to use from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: dict[str, ApiKey] = {}

    # -- reading ------------------------------------------------------------------------
    def _load(self) -> dict[str, ApiKey]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._keys = None, {}
            return self._keys
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
                keys = {k["id"]: ApiKey(**k) for k in raw.get("keys", [])}
            except (ValueError, TypeError, KeyError, OSError) as exc:
                raise ConfigError(
                    f"The API key file {self.path} is damaged ({exc}); delete it and create "
                    "new keys with 'retentionkit keys create'."
                ) from None
            self._stamp, self._keys = stamp, keys
        return self._keys

    def list(self) -> list[ApiKey]:
        with self._lock:
            return sorted(self._load().values(), key=lambda k: k.created_at)

    def verify(self, key: str | None) -> ApiKey:
        """The stored record of ``key``; :class:`AuthError` when missing, malformed or wrong."""
        if not key:
            raise AuthError("This request needs an API key: send 'Authorization: Bearer KEY'.")
        parts = key.strip().split("_", 2)
        with self._lock:
            record = None
            if len(parts) == 3 and f"{parts[0]}_" == _PREFIX:
                record = self._load().get(parts[1])
            if record is None or not hmac.compare_digest(record.hash, _hash(record.salt, parts[2])):
                raise AuthError("The API key is not valid (unknown, revoked or mistyped).")
            return record

    # -- writing ------------------------------------------------------------------------
    def create(self, role: str, name: str = "") -> tuple[str, ApiKey]:
        """A new key of ``role``; returns (the key, shown once; its stored record)."""
        if role not in ROLES:
            raise ConfigError(f"--role {role!r} is not one of: {', '.join(ROLES)}.")
        with self._lock:
            keys = dict(self._load())
            key_id = secrets.token_hex(4)
            while key_id in keys:  # pragma: no cover - 1 in 4 billion
                key_id = secrets.token_hex(4)
            secret = secrets.token_urlsafe(32)
            salt = secrets.token_hex(16)
            record = ApiKey(
                id=key_id,
                role=cast(Role, role),  # checked against ROLES above
                name=name,
                created_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                salt=salt,
                hash=_hash(salt, secret),
            )
            keys[key_id] = record
            self._write(keys)
            return f"{_PREFIX}{key_id}_{secret}", record

    def revoke(self, key_id: str) -> ApiKey:
        with self._lock:
            keys = dict(self._load())
            if key_id not in keys:
                known = ", ".join(sorted(keys)) or "none"
                raise UnknownNameError(f"No API key with id {key_id!r}; existing ids: {known}.")
            record = keys.pop(key_id)
            self._write(keys)
            return record

    def _write(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=2)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None  # re-read on next use
