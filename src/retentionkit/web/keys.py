"""API keys: created once, shown once, stored only as a salted hash.

Storage of a database-server workspace (``--db postgresql://…``): the table ``api_keys`` of
that database (:class:`TableKeyStore`), so every server and CLI of the team shares the keys and a
revoked key stops working at the next request; every check reads the table.

Storage of an embedded workspace: a JSON file next to the workspace (``shop.duckdb`` →
``shop.duckdb.keys.json``, mode 0600), not a table inside the DuckDB file. DuckDB lets one
process hold a file for writing, so a table would make ``retentionkit keys create/revoke``
impossible while ``retentionkit serve`` is running; the JSON file is re-read whenever it
changes, so a revoked key stops working at once.

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

__all__ = ["ROLES", "ApiKey", "KeyStore", "Role", "TableKeyStore", "keys_path_for", "keystore_for"]

#: Who may do what: ``admin`` reads and writes, ``read`` only reads (docs/web.md).
Role = Literal["admin", "read"]
ROLES: tuple[str, ...] = get_args(Role)
_PREFIX = "rk_"


#: The key file of a (read-only) Spark workspace, in the current directory unless ``--keys``.
SPARK_KEYS_FILE = "retentionkit-spark.keys.json"


def keys_path_for(db: Path | str) -> Path:
    """Where the keys of workspace ``db`` live (a Spark URL: :data:`SPARK_KEYS_FILE`)."""
    from retentionkit.backends.spark import is_spark_url

    if is_spark_url(db):
        return Path.cwd() / SPARK_KEYS_FILE
    db = Path(db)
    return db.with_name(db.name + ".keys.json")


def keystore_for(db: Path | str, keys_path: Path | None = None) -> KeyStore:
    """The key store of workspace ``db``: the ``api_keys`` table of a database URL, else the
    JSON file ``keys_path`` (default: next to the DuckDB file; a Spark workspace is read-only,
    so its keys are a file too, :data:`SPARK_KEYS_FILE`)."""
    from retentionkit.backends.spark import is_spark_url

    if isinstance(db, str) and "://" in db and keys_path is None and not is_spark_url(db):
        return TableKeyStore(db)
    return KeyStore(keys_path or keys_path_for(db))


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


class TableKeyStore(KeyStore):
    """The keys of a database-server workspace, in its table ``api_keys`` (one row per key:
    id, role, name, created_at, salt, hash). Reads see other processes' changes at once;
    create and revoke are one transaction each."""

    _DDL = (
        """CREATE TABLE IF NOT EXISTS api_keys (
            id VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, name VARCHAR NOT NULL,
            created_at VARCHAR NOT NULL, salt VARCHAR NOT NULL, hash VARCHAR NOT NULL)""",
    )

    def __init__(self, url: str) -> None:
        from retentionkit.backends.postgres import redact

        super().__init__(Path(redact(url).replace("/", "_")))
        self.url = url
        self._con: object | None = None

    def _connection(self) -> object:
        from retentionkit import backends

        if self._con is None:
            self._con = backends.connect(self.url)
        backends.ensure_tables(self._con, "api_keys", self._DDL)
        return self._con

    def _load(self) -> dict[str, ApiKey]:
        from retentionkit import backends

        rows = backends.sql(
            self._connection(), "SELECT id, role, name, created_at, salt, hash FROM api_keys"
        ).fetchall()
        fields = ("id", "role", "name", "created_at", "salt", "hash")
        return {r[0]: ApiKey(**dict(zip(fields, r, strict=True))) for r in rows}

    def _write(self, keys: dict[str, ApiKey]) -> None:
        """Make the table hold exactly ``keys`` (the caller's create or revoke): insert the new
        ids and delete the missing ones, in one transaction."""
        from retentionkit import backends

        con = self._connection()
        with backends.transaction(con):
            stored = {r[0] for r in backends.sql(con, "SELECT id FROM api_keys").fetchall()}
            for key_id in stored - set(keys):
                backends.sql(con, "DELETE FROM api_keys WHERE id = ?", [key_id])
            for key_id in set(keys) - stored:
                k = keys[key_id]
                backends.sql(
                    con,
                    "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)",
                    [k.id, k.role, k.name, k.created_at, k.salt, k.hash],
                )
