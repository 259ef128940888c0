"""A throw-away PostgreSQL server for the tests (``pg_server`` in conftest.py) and the
PostgreSQL benchmark (benchmarks/bench_postgres.py): Debian's server programs, loopback only."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


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
                raise RuntimeError("PostgreSQL as root needs runuser (util-linux)")
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
        self.stop_orphans()
        (self.dir / "owner.pid").write_text(str(os.getpid()))
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

    def stop_orphans(self) -> None:
        """Stop and delete the servers of earlier runs whose process is gone (a test run killed
        by a timeout never reaches its teardown)."""
        import os
        import shutil
        import tempfile

        for folder in Path(tempfile.gettempdir()).glob("rk-pg-*"):
            try:
                owner = int((folder / "owner.pid").read_text())
            except (OSError, ValueError):
                continue
            try:
                os.kill(owner, 0)
                continue  # still running: not an orphan
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            if (folder / "data" / "postmaster.pid").exists():
                stop = [str(self.bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate"]
                with contextlib.suppress(RuntimeError):
                    self._run(*stop, "stop")
            shutil.rmtree(folder, ignore_errors=True)

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
