"""A Spark URL's bad cases that need no JVM (fast): no Java, nothing listening at a Spark
Connect address, a malformed URL, a bad [spark] mapping — each one sentence, exit code 8 or 2,
nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from retentionkit.config import load_settings
from retentionkit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    base.pop("RETENTIONKIT_DB", None)
    code = "import sys; from retentionkit.cli.app import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_java_is_one_sentence(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    env = {"PATH": str(Path(sys.executable).parent), "JAVA_HOME": ""}
    done = _cli("--db", "spark://local[2]", "metrics", cwd=tmp_path, env=env)
    assert done.returncode == 8
    assert done.stderr == (
        "error: --db spark://local[2] starts Spark, which needs a Java runtime (Java 17): set "
        "JAVA_HOME or put `java` on PATH.\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_nothing_listening_at_a_connect_url(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = _cli("--db", f"sc://127.0.0.1:{port}/;token=SECRET", "metrics", cwd=tmp_path)
    assert done.returncode == 8
    assert done.stderr.startswith(
        f"error: Cannot reach Spark Connect at sc://127.0.0.1:{port}/;token=*** ("
    )
    assert "SECRET" not in done.stderr
    assert "start-connect-server.sh" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_malformed_url(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    done = _cli("--db", "sc://", "metrics", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --db sc://: give spark://local[2]")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[spark.tables]\norder = "/x"\n', "'order' is not a table"),
        ('[spark.tables]\norders = { path = "/x", format = "xls" }\n', "spark.tables.orders"),
        ('[spark.tables]\norders = { path = "/x", table = "db.o" }\n', "either path"),
        ("[spark.tables]\norders = {}\n", "either path"),
        ("[spark]\nmaster = 'x'\n", "spark.master"),
    ],
)
def test_bad_mapping_is_one_sentence(tmp_path: Path, toml: str, message: str) -> None:
    config = tmp_path / "retentionkit.toml"
    config.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(config)
    assert str(caught.value).startswith(f"{config}: setting ")
    assert "\n" not in str(caught.value)


def test_register_without_a_spark_db_writes_unchecked(tmp_path: Path) -> None:
    config = tmp_path / "retentionkit.toml"
    config.write_text("# mine\n[workspace]\ncurrency = 'PLN'\n", encoding="utf-8")
    data = tmp_path / "orders.parquet"
    done = _cli("spark", "register", "orders", "orders.parquet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"orders → {data} (parquet) in {config} (not checked: --db is not a Spark URL)."
    )
    assert load_settings(config).spark.tables["orders"].path == str(data)
    assert config.read_text(encoding="utf-8").startswith("# mine\n")
    bad = _cli("spark", "register", "order", "x.parquet", cwd=tmp_path)
    assert bad.returncode != 0 and "Unknown table 'order'" in bad.stderr
    gone = _cli("spark", "unregister", "orders", cwd=tmp_path)
    assert gone.returncode == 0, gone.stderr
    assert load_settings(config).spark.tables == {}
    again = _cli("spark", "unregister", "orders", cwd=tmp_path)
    assert again.returncode == 2 and "maps no 'orders' table" in again.stderr
