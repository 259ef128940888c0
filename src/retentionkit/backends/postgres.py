"""PostgreSQL workspaces: connect from a ``postgresql://`` URL, say in one sentence why a
connection failed (the URL shown without its password), and close one Ibis gap.

The connection is psycopg 3 in autocommit mode wrapped by ``ibis.postgres.from_connection``:
libpq parses the URL itself, so everything libpq accepts works (``?sslmode=require``,
``?host=/run/postgresql`` for a unix socket, ``PGPASSWORD``, ``~/.pgpass``). Writes group their
statements with :func:`retentionkit.backends.transaction` (one PostgreSQL transaction; Ibis'
own statements inside it become savepoints).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from retentionkit.errors import DatabaseUnavailableError

__all__ = ["SCHEMES", "connect_postgres", "redact"]

#: URL schemes that name a PostgreSQL database (libpq accepts both).
SCHEMES = ("postgresql", "postgres")
#: Seconds to wait for the server before giving up (libpq ``connect_timeout``), unless the URL
#: sets its own.
CONNECT_TIMEOUT = 10


def redact(url: str) -> str:
    """``url`` without its password: ``postgresql://rk:s3cret@db/shop`` →
    ``postgresql://rk:***@db/shop`` (a ``password=`` query parameter is masked too)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"://([^:@/]*):[^@/]*@", r"://\1:***@", url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(k.lower() == "password" for k, _ in pairs):
        query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs])
        query = query.replace("%2A%2A%2A", "***")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _advice(url: str, message: str) -> str:
    """One sentence for a failed connection: what went wrong and what to do."""
    shown = redact(url)
    low = message.lower()
    parts = urlsplit(url)
    database = parts.path.lstrip("/") or "(the user's default database)"
    user = parts.username or "(the login user)"
    if "peer authentication failed" in low or "ident authentication failed" in low:
        return (
            f"PostgreSQL at {shown} refused user {user}: that connection uses peer "
            "authentication, which needs the operating-system user of the same name; connect "
            "over TCP with a password (e.g. host 127.0.0.1) or run as that user."
        )
    if "authentication failed" in low or "no password supplied" in low:
        return (
            f"PostgreSQL at {shown} refused the credentials of user {user}; check the user "
            "and password in the URL (or PGPASSWORD / ~/.pgpass)."
        )
    if "does not exist" in low and "database" in low:
        return (
            f"PostgreSQL at {shown} has no database {database}; create it with "
            f"'createdb {database}' (or CREATE DATABASE {database}) or fix the URL."
        )
    if "role" in low and "does not exist" in low:
        return (
            f"PostgreSQL at {shown} has no role {user}; create it with 'createuser {user}' "
            "or fix the user in the URL."
        )
    if "no pg_hba.conf entry" in low or "permission denied" in low:
        return (
            f"PostgreSQL at {shown} does not let user {user} connect to {database}; grant "
            "access (pg_hba.conf, GRANT CONNECT) or use another user."
        )
    if "could not translate host name" in low or "name or service not known" in low:
        return (
            f"Cannot reach PostgreSQL at {shown}: the host name {parts.hostname} is unknown; "
            "fix the host in the URL."
        )
    if "timeout" in low or "timed out" in low:
        return (
            f"Cannot reach PostgreSQL at {shown}: no answer within the connect timeout; check "
            "the host, the port and the firewall."
        )
    first = message.strip().splitlines()[0] if message.strip() else "connection failed"
    first = first.rstrip(".")
    if "refused" in low or "no such file or directory" in low:
        first = "connection refused"
    return (
        f"Cannot reach PostgreSQL at {shown} ({first}); check that the server is running and "
        "that the host and port in the URL are right."
    )


def connect_postgres(url: str) -> Any:
    """An Ibis PostgreSQL backend for ``url``; a failure is one sentence naming the URL
    (without its password) and what to do (:class:`DatabaseUnavailableError`)."""
    import ibis
    import psycopg

    conninfo = url
    if "connect_timeout" not in url:
        conninfo += ("&" if "?" in url else "?") + f"connect_timeout={CONNECT_TIMEOUT}"
    try:
        raw = psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise DatabaseUnavailableError(_advice(url, str(exc))) from None
    except ValueError as exc:  # a URL libpq cannot parse
        raise DatabaseUnavailableError(
            f"{redact(url)} is not a PostgreSQL URL libpq understands ({exc}); write it as "
            "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE."
        ) from None
    install_cast_fix()
    con = ibis.postgres.from_connection(raw)
    con._retentionkit_url = redact(url)
    return con


_PATCHED = False


def install_cast_fix() -> None:
    """Ibis compiles ``bool_column.cast("int64")`` to ``CAST(x AS BIGINT)``, which PostgreSQL
    refuses (it only casts boolean to ``integer``). Route boolean → wider numbers through
    ``integer`` (true → 1, false → 0, null stays null: the same values as DuckDB and Spark).
    Installed once, on the first PostgreSQL connection; other casts are unchanged."""
    global _PATCHED
    if _PATCHED:
        return
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    original = PostgresCompiler.visit_Cast

    def visit_cast(self: Any, op: Any, *, arg: Any, to: Any) -> Any:
        if op.arg.dtype.is_boolean() and to.is_numeric() and not to.is_int32():
            arg = sge.Cast(this=arg, to=sge.DataType.build("INT"))
        return original(self, op, arg=arg, to=to)

    PostgresCompiler.visit_Cast = visit_cast  # type: ignore[method-assign]
    PostgresCompiler.visit_TryCast = visit_cast
    _PATCHED = True


def stage_arrow(con: Any, table: Any, name: str) -> Any:
    """Copy the Arrow ``table`` into a new temporary table ``name`` of this session with one
    ``COPY … FROM STDIN (FORMAT csv)``, and return it as an Ibis table.

    Ibis registers an in-memory table on PostgreSQL with a row-by-row ``executemany`` (about
    2,000 rows/s); ``COPY`` streams the rows as CSV (Arrow's writer: a null is an unquoted
    empty field, an empty string a quoted one, exactly as PostgreSQL's CSV format reads them).
    Column types follow the Arrow types (Ibis' mapping); the caller casts to the target's."""
    import io

    import ibis
    import pyarrow.csv as pacsv

    schema = ibis.Schema.from_pyarrow(table.schema)
    con.create_table(name, schema=schema, temp=True)
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
    statement = f'COPY "{name}" ({columns}) FROM STDIN (FORMAT csv)'
    with con.con.cursor() as cursor, cursor.copy(statement) as copy:
        view = buffer.getbuffer()
        step = 1 << 20
        for start in range(0, len(view), step):
            copy.write(view[start : start + step])
    return con.table(name)
