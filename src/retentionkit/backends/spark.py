"""Spark as a read-only analysis workspace: ``--db spark://local[2]`` (a session in this
process), ``--db spark://HOST:7077`` (a standalone cluster's master), ``--db spark://submit``
(the session of a process ``spark-submit`` started: its master, e.g. YARN or Kubernetes) or
``--db sc://HOST:PORT`` (Spark Connect).

Nothing is ingested into Spark. The canonical tables are data the cluster already has, mapped in
``retentionkit.toml`` (``retentionkit spark register`` writes the mapping)::

    [spark]
    conf = { "spark.driver.memory" = "4g" }              # options of the session (optional)

    [spark.tables]
    orders = "s3a://shop/orders/"                        # Parquet: a file or a folder
    customers = { path = "/data/customers.csv", format = "csv" }
    tickets = { table = "crm.tickets" }                  # a table of the cluster's catalog

At connect, each mapped source becomes a temporary view named after its canonical table, with
the canonical column types (:data:`retentionkit.schema.contracts.IBIS_TYPES`) — an optional
column the source lacks is a typed null column, as an ingest stores it — ids and text as
strings, timestamps as Spark ``TIMESTAMP`` (Parquet written by DuckDB or pandas is read as
``TIMESTAMP_NTZ``; with the session time zone at UTC the cast keeps every value), money as
``decimal(18,4)``. Reading a source only reads its schema (Parquet footers): the data stays in
the cluster until a query aggregates it, and only aggregates (per period, per customer) come
back to the driver. A source missing a required column is one sentence naming the source, the
table and the column.

The session runs in UTC with ANSI SQL on (overflows and bad casts fail rather than give null)
and Arrow transfers; ``[spark] conf`` overrides any of it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retentionkit.errors import ConfigError, DatabaseUnavailableError, InputError, first_line

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.config import Settings, SparkSource

__all__ = [
    "SCHEMES",
    "connect_spark",
    "is_spark_url",
    "jvm_log",
    "read_only_reason",
    "register",
    "source_columns",
]

#: URL schemes of a Spark workspace: ``spark://`` (a master URL or ``local[N]``) and ``sc://``.
SCHEMES = ("spark", "sc")

#: Session options always set (``[spark] conf`` may override them).
DEFAULT_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}
#: Options of a session started in this process only (the JVM's own zone, loopback driver).
LOCAL_CONF = {
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
}

#: Spark type (simple string) of each canonical column kind.
SPARK_TYPES = {
    "id": "string",
    "text": "string",
    "timestamp": "timestamp",
    "money": "decimal(18,4)",
    "integer": "bigint",
    "number": "double",
}


def redact(url: str) -> str:
    """``url`` as messages show it: a Spark Connect ``;token=…`` parameter hidden."""
    return re.sub(r"(;token=)[^;]*", r"\1***", url, flags=re.IGNORECASE)


def is_spark_url(target: object) -> bool:
    text = str(target)
    return "://" in text and text.split("://", 1)[0].lower() in SCHEMES


def read_only_reason(target: Any, con: Any = None) -> str | None:
    """Why the workspace opened from ``target`` (a URL, a path or a backend) with connection
    ``con`` (None: not connected yet) takes no writes — a Spark workspace — or None. A Spark
    URL is refused before any JVM starts."""
    url = getattr(con, "_retentionkit_spark_url", None)
    if url is None and isinstance(target, str) and is_spark_url(target):
        url = redact(target)
    if url is None:
        return None
    return (
        f"{url} is a read-only analysis workspace over data the cluster already has: map "
        "tables with 'retentionkit spark register TABLE PATH' (or [spark.tables] in "
        "retentionkit.toml) and use a DuckDB file or a PostgreSQL database (--db) to ingest, "
        "ask surveys, keep goals or run automations."
    )


def _java_missing() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return False
    return shutil.which("java") is None


def _session(url: str, conf: dict[str, str]) -> Any:
    shown = redact(url)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            f"--db {shown} needs PySpark: pip install 'retentionkit[spark]' (and Java 17)."
        ) from None
    scheme, rest = url.split("://", 1)
    if scheme.lower() == "sc":
        _probe_connect_server(url)
        builder = SparkSession.builder.remote(url)
        options = {**DEFAULT_CONF, **conf}
        options.pop("spark.ui.showConsoleProgress", None)  # a server-side option
    else:
        if _java_missing():
            raise DatabaseUnavailableError(
                f"--db {url} starts Spark, which needs a Java runtime (Java 17): set JAVA_HOME "
                "or put `java` on PATH."
            )
        if rest == "submit":  # under spark-submit: its --master and --conf decide
            return _submitted_session({**DEFAULT_CONF, **conf}, url)
        master = rest if rest.startswith("local") else url
        local = {**LOCAL_CONF, "spark.sql.warehouse.dir": str(_scratch("warehouse"))}
        options = {**DEFAULT_CONF, **(local if master.startswith("local") else {}), **conf}
        try:
            return _driver_session(master, options)
        except Exception as exc:  # a bad master URL, the JVM failed to start …
            first = first_line(exc)
            raise DatabaseUnavailableError(
                f"Cannot start Spark at {url}: {first} (the JVM's log: {jvm_log()})."
            ) from None
    for key, value in options.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # no server at the address …
        first = first_line(exc)
        raise DatabaseUnavailableError(f"Cannot reach Spark Connect at {shown}: {first}") from None


def _probe_connect_server(url: str, timeout: float = 10.0) -> None:
    """Fail in one sentence when nothing listens at a Spark Connect URL (the client itself
    retries for minutes before it gives up)."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.split(";", 1)[0])
        host, port = parts.hostname, parts.port or 15002
    except ValueError:
        host, port = None, 0
    if not host:
        raise ConfigError(
            f"--db {redact(url)}: give sc://HOST:PORT (Spark Connect, port 15002 by default)."
        )
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DatabaseUnavailableError(
            f"Cannot reach Spark Connect at {redact(url)} ({reason.lower()}); start the server "
            "($SPARK_HOME/sbin/start-connect-server.sh) or check the host and port."
        ) from None


def _submitted_session(options: dict[str, str], url: str) -> Any:
    """The session of a process started by ``spark-submit`` (``--db spark://submit``): the
    master, the deploy mode and the resources are spark-submit's; ``options`` are added."""
    from pyspark.sql import SparkSession

    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        raise DatabaseUnavailableError(
            f"--db {url} is for a process started by spark-submit (e.g. spark-submit --master "
            "yarn $(which retentionkit) --db spark://submit metrics); here, give "
            "spark://local[2], spark://HOST:PORT or sc://HOST:PORT."
        )
    builder = SparkSession.builder
    for key, value in options.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _scratch(name: str) -> Path:
    """A per-user folder under the temporary directory for a local session's scratch data
    (its warehouse: nothing of the workspace is kept there; [spark] conf may point it
    elsewhere)."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"retentionkit-spark-{os.getuid()}-{name}"


def jvm_log() -> Path:
    """Where the driver JVM's own output goes (its start-up banner and log lines would
    otherwise interleave with the command's output)."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"retentionkit-spark-{os.getuid()}.log"


def _driver_session(master: str, options: dict[str, str]) -> Any:
    """A session whose driver JVM runs as a child of this process, with its output in
    :func:`jvm_log` (pyspark's ``launch_gateway`` with our ``stdout``/``stderr``)."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    conf = SparkConf().setMaster(master).setAppName("retentionkit").setAll(list(options.items()))
    if SparkContext._active_spark_context is None:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        with jvm_log().open("ab") as log:
            gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
        SparkContext(conf=conf, gateway=gateway).setLogLevel("ERROR")
    return SparkSession.builder.getOrCreate()


def _describe(source: SparkSource) -> str:
    return f"table {source.table}" if source.table else str(source.path)


def _read(session: Any, name: str, source: SparkSource) -> Any:
    """The DataFrame of one mapped source (its schema is read; its rows are not)."""
    try:
        if source.table:
            return session.table(source.table)
        reader = session.read.format(source.format)
        if source.format == "csv":
            reader = reader.option("header", "true").option("inferSchema", "false")
        return reader.load(str(source.path))
    except Exception as exc:
        first = first_line(exc)
        raise InputError(
            f"[spark.tables] {name} = {_describe(source)}: cannot be read by Spark ({first})."
        ) from None


def source_columns(session: Any, name: str, source: SparkSource) -> Any:
    """``source`` as a DataFrame with the canonical columns of table ``name`` cast to their
    canonical types (extra columns kept as they are); a missing required column is an
    :class:`InputError` naming it."""
    from retentionkit.schema.contracts import contract

    table = contract(name)
    frame = _read(session, name, source)
    present = {field.name.lower(): field.name for field in frame.schema.fields}
    missing = [c for c in table.required if c.lower() not in present]
    if missing:
        raise InputError(
            f"[spark.tables] {name} = {_describe(source)}: required column {missing[0]!r} is "
            f"missing (it has {', '.join(sorted(present.values())) or 'no columns'}); the "
            f"{name} table needs {', '.join(table.required)}."
        )
    from pyspark.sql import functions as F

    columns = []
    for field in frame.schema.fields:
        column = table.column_by_name.get(field.name.lower())
        if column is None:
            columns.append(F.col(f"`{field.name}`"))
        else:
            cast = F.col(f"`{field.name}`").cast(SPARK_TYPES[column.kind])
            columns.append(cast.alias(column.name))
    # An optional canonical column the source lacks is a typed null column, as an ingest
    # into DuckDB or PostgreSQL stores it: queries may read every canonical column.
    for column in table.columns:
        if column.name not in present:
            columns.append(F.lit(None).cast(SPARK_TYPES[column.kind]).alias(column.name))
    return frame.select(*columns)


def connect_spark(url: str, settings: Settings) -> Any:
    """An Ibis PySpark backend over a session at ``url`` whose temporary views are the tables
    mapped in ``settings.spark.tables`` (see the module docstring)."""
    import ibis

    if "://" not in url or not url.split("://", 1)[1]:
        raise ConfigError(
            f"--db {url}: give spark://local[2], spark://HOST:PORT or sc://HOST:PORT."
        )
    from pyspark import SparkContext

    # A context this process already runs (a notebook's, another Workspace's, any thread's):
    # attach to its session and never stop it.
    shared = SparkContext._active_spark_context is not None and not url.lower().startswith("sc")
    session = _session(url, dict(settings.spark.conf))
    for name, source in settings.spark.tables.items():
        source_columns(session, name, source).createOrReplaceTempView(name)
    con = ibis.pyspark.connect(session)
    if shared:
        con.disconnect = lambda: None  # Workspace.close() leaves the caller's session running
    con._retentionkit_url = con._retentionkit_spark_url = redact(url)
    return con


def register(
    config_file: Path, table: str, source: SparkSource | None, *, check: str | None = None
) -> Settings:
    """Map canonical ``table`` to ``source`` in the ``[spark.tables]`` of ``config_file``
    (created when missing; ``source`` None removes the mapping) and return the new settings.

    The file keeps its comments and layout (tomlkit). The new text is validated as settings
    and, with ``check`` (a Spark URL), by opening a session over it — every mapped source is
    read (its schema) and must have its table's required columns — before it atomically
    replaces the old file; a refused mapping leaves the file as it was."""
    import tomlkit

    from retentionkit.config import load_settings
    from retentionkit.schema.contracts import contract

    contract(table)  # an unknown table name lists the valid ones
    text = config_file.read_text(encoding="utf-8") if config_file.exists() else ""
    document = tomlkit.parse(text)
    spark = document.setdefault("spark", tomlkit.table())
    tables = spark.setdefault("tables", tomlkit.table())
    if source is None:
        if table not in tables:
            raise ConfigError(f"{config_file}: [spark.tables] maps no {table!r} table.")
        del tables[table]
    elif source.table is None and source.format == "parquet":
        tables[table] = source.path
    else:
        value = tomlkit.inline_table()
        value.update(source.model_dump(exclude_none=True, exclude_defaults=True))
        tables[table] = value
    tmp = config_file.with_name(config_file.name + ".tmp")
    config_file.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(tomlkit.dumps(document), encoding="utf-8")
    try:
        settings = load_settings(tmp)
        if check is not None and source is not None:
            session = _session(check, dict(settings.spark.conf))
            source_columns(session, table, source)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(config_file)
    return settings
