"""Shared, generic fixtures: a fresh workspace path and the shared real-data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: Property tests judge results, not speed: on a shared 2-core machine (CI, or a developer's
#: laptop running the whole suite with -n 2) generation can be slow, which must not fail a run.
#: Tests that set their own deadline or health checks keep them.
settings.register_profile(
    "retentionkit",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("retentionkit")

#: Real data sets kept next to the repository (not shipped in it); tests skip when missing.
SHARED_DATA = Path(__file__).resolve().parents[1] / "../shared/data"


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """Path of a DuckDB workspace file that does not exist yet."""
    return tmp_path / "ws.duckdb"


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} not found")
    return SHARED_DATA.resolve()


#: Canonical tables in load order (customers first, as a user would).
TABLE_ORDER = (
    "customers",
    "orders",
    "returns",
    "subscriptions",
    "survey_responses",
    "acquisition_costs",
    "tickets",
)


def _business_db(
    path: Path, *, customers: int, months: int, seed: int, tables: tuple[str, ...] = TABLE_ORDER
) -> Path:
    """Write generate_business(...) into a workspace file at ``path`` (non-empty tables)."""
    from retentionkit.generate import generate_business
    from retentionkit.workspace import Workspace

    frames = generate_business(customers=customers, months=months, seed=seed)
    ws = Workspace(path)
    for name in tables:
        if len(frames[name]):
            ws.ingest(name, frames[name])
    ws.con.disconnect()
    return path


@pytest.fixture(scope="session")
def business() -> dict:
    """generate_business(customers=1000, months=18, seed=3) as DataFrames (cohort and segment
    tests)."""
    from retentionkit.generate import generate_business

    return generate_business(customers=1000, months=18, seed=3)


@pytest.fixture(scope="session")
def gen_db(tmp_path_factory: pytest.TempPathFactory, business: dict) -> Path:
    """``business``'s customers, orders and subscriptions in a workspace file."""
    from retentionkit.workspace import Workspace

    db = tmp_path_factory.mktemp("gen") / "gen.duckdb"
    ws = Workspace(db)
    for table in ("customers", "orders", "subscriptions"):
        ws.ingest(table, business[table])
    ws.con.disconnect()
    return db


@pytest.fixture(scope="session")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """generate_business(customers=500, months=14, seed=5), every table, in a workspace file
    (web API and dashboard tests; copy it before writing)."""
    return _business_db(
        tmp_path_factory.mktemp("shop") / "shop.duckdb", customers=500, months=14, seed=5
    )


# -- a real PostgreSQL on loopback --------------------------------------------------------


class PostgresServer:
    """A throw-away PostgreSQL cluster from Debian's packages: ``initdb`` into a temporary
    folder, ``pg_ctl start`` on a free port of 127.0.0.1 (its unix socket in the same folder),
    password authentication over TCP for the superuser ``rk``; :meth:`new_database` gives each
    test its own database. As root (CI) every server program runs as the ``postgres`` user
    (``runuser``), because initdb refuses to run as root."""

    USER = "rk"
    PASSWORD = "rk-test-password"

    def __init__(self, bindir: Path) -> None:
        import os
        import socket
        import tempfile

        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="rk-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import shutil

            if shutil.which("runuser") is None:
                pytest.skip("PostgreSQL tests as root need runuser (util-linux)")
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._count = 0

    def _run(self, *args: str) -> None:
        import subprocess

        done = subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, timeout=120, cwd=self.dir
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")

    def start(self) -> None:
        pwfile = self.dir / "pw"
        pwfile.write_text(self.PASSWORD + "\n")
        if self.as_user:
            import shutil

            shutil.chown(pwfile, "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.dir / "data"),
            "-U",
            self.USER,
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB "
            "-c max_connections=50 -c timezone=UTC -c jit=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self) -> None:
        import shutil

        try:
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"
            )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        pw = self.PASSWORD if password is None else password
        return f"postgresql://{self.USER}:{pw}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        self._count += 1
        name = f"{prefix}_{self._count}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def postgres_bindir() -> Path | None:
    """Where Debian's PostgreSQL server programs are (newest version), or None."""
    import shutil

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def pg_server() -> PostgresServer:
    """One PostgreSQL server for the test session (skips, saying why, without the binaries or
    the Python driver)."""
    pytest.importorskip("psycopg", reason="PostgreSQL tests need psycopg (pip install '.[dev]')")
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL tests need the server programs (initdb, pg_ctl): apt-get install "
            "postgresql, or run make test, which installs them"
        )
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()
