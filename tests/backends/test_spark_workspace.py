"""A Spark workspace as a user opens it (issue 13 item 4): ``--db spark://local[2]`` and
``--db sc://HOST:PORT`` over tables mapped with ``retentionkit spark register`` — read-only,
the same numbers as DuckDB, one sentence for a bad mapping.

In-process tests share the test session's JVM (``spark_session``; ``connect_spark`` attaches to
the running session). Two tests run whole CLI processes, each starting its own JVM, and one
starts a real Spark Connect server (``spark-submit … SparkConnectServer`` from pyspark's own
jars) on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from retentionkit.errors import ConfigError, InputError

from .conftest import engine_marks

pytestmark = [pytest.mark.slow, *engine_marks("spark")]

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    env.pop("RETENTIONKIT_DB", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from retentionkit.cli.app import main; sys.exit(main())",
            *args,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _values(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(records)[["metric", "period_start", "segment", "value"]]
    return frame.sort_values(["metric", "period_start", "segment"]).reset_index(drop=True)


def _same_reports(duck: list[dict[str, Any]], spark: list[dict[str, Any]]) -> None:
    a, b = _values(duck), _values(spark)
    assert len(a) == len(b) > 0
    assert a[["metric", "period_start", "segment"]].equals(b[["metric", "period_start", "segment"]])
    pd.testing.assert_series_equal(
        a["value"].astype("float64"), b["value"].astype("float64"), rtol=1e-9, atol=1e-12
    )


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated shop as Parquet files, and a DuckDB workspace of the same files."""
    folder = tmp_path_factory.mktemp("spark_shop")
    done = _cli(
        "generate",
        "--out",
        "files",
        "--customers",
        "200",
        "--months",
        "6",
        "--seed",
        "8",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    done = _cli("--db", "shop.duckdb", "load-dir", "files", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def test_writes_are_refused_in_one_sentence(spark_ws: Any) -> None:
    with pytest.raises(ConfigError, match=r"spark://local\[2\] is a read-only analysis workspace"):
        spark_ws.ingest("orders", pd.DataFrame({"order_id": ["x"]}))
    with pytest.raises(ConfigError, match="read-only"):
        spark_ws.add_goal("g", metric="crr", target=0.5, by="2030-01-01")
    assert "goals" not in spark_ws.tables()  # nothing was created in the cluster's catalog


def test_clv_predict_matches_duckdb(duck_ws: Any, spark_ws: Any) -> None:
    args = dict(model="bgnbd", horizon=3)
    duck = duck_ws.clv(**args).sort_values("customer_id").reset_index(drop=True)
    spark = spark_ws.clv(**args).sort_values("customer_id").reset_index(drop=True)
    assert len(duck) == len(spark) > 0
    for col in ("frequency", "recency", "T", "expected_purchases", "p_alive", "clv"):
        pd.testing.assert_series_equal(duck[col], spark[col], rtol=1e-6, check_names=False)


def test_register_keeps_comments_and_refuses_a_bad_source(
    spark_session: Any, duck_ws: Any, tmp_path: Path
) -> None:
    from retentionkit.backends.spark import register
    from retentionkit.config import SparkSource, load_settings

    orders = tmp_path / "orders.parquet"
    duck_ws.con.to_parquet(duck_ws.con.table("orders"), orders)
    config = tmp_path / "retentionkit.toml"
    config.write_text('# my shop\n[workspace]\ncurrency = "PLN"  # złoty\n', encoding="utf-8")
    register(config, "orders", SparkSource(path=str(orders)), check="spark://local[2]")
    text = config.read_text(encoding="utf-8")
    assert "# my shop" in text and "# złoty" in text
    assert load_settings(config).spark.tables["orders"].path == str(orders)

    before = config.read_text(encoding="utf-8")
    with pytest.raises(InputError, match=r"required column 'ticket_id' is missing"):
        register(config, "tickets", SparkSource(path=str(orders)), check="spark://local[2]")
    with pytest.raises(InputError, match="cannot be read by Spark"):
        register(
            config, "returns", SparkSource(path=str(tmp_path / "no")), check="spark://local[2]"
        )
    assert config.read_text(encoding="utf-8") == before  # a refused mapping writes nothing
    assert not list(tmp_path.glob("*.tmp"))


def test_cli_metrics_and_rfm_equal_duckdb(shop: Path) -> None:
    """The user's path, whole processes: register with the check, then the monthly report and
    the RFM summary on Spark local[2] equal DuckDB's on the same files."""
    for table in ("orders", "customers", "returns"):
        check = "--check" if table == "orders" else "--no-check"  # each check starts a JVM
        done = _cli(
            "--db",
            "spark://local[2]",
            "spark",
            "register",
            table,
            f"files/{table}.parquet",
            check,
            cwd=shop,
        )
        assert done.returncode == 0, done.stderr
        assert ("(checked)" in done.stdout) == (table == "orders")
    spark = _cli(
        "--db", "spark://local[2]", "metrics", "--period", "month", "--format", "json", cwd=shop
    )
    assert spark.returncode == 0, spark.stderr
    assert spark.stderr == ""  # the JVM's banner and log lines go to its log file
    duck = _cli("--db", "shop.duckdb", "metrics", "--period", "month", "--format", "json", cwd=shop)
    spark_records = json.loads(spark.stdout)
    shown = {r["metric"] for r in spark_records}  # the KPIs of orders, customers and returns
    assert {"crr", "revenue", "return_rate", "time_between_purchases"} <= shown
    assert "mrr" not in shown  # no subscriptions mapped
    _same_reports([r for r in json.loads(duck.stdout) if r["metric"] in shown], spark_records)

    refused = _cli("--db", "spark://local[2]", "ingest", "orders", "files/orders.parquet", cwd=shop)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: spark://local[2] is a read-only analysis workspace")
    assert len(refused.stderr.strip().splitlines()) == 1

    unmapped = _cli("--db", "spark://local[2]", "metrics", "-m", "mrr", cwd=shop)
    assert unmapped.returncode == 3
    assert unmapped.stderr.strip() == (
        "error: spark://local[2]: Metric mrr needs the subscriptions table, which is not "
        "mapped; map it with 'retentionkit --db spark://local[2] spark register subscriptions "
        "PATH'."
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def connect_server(tmp_path: Path) -> Any:
    """A real Spark Connect server (local[2]) on loopback, from pyspark's own jars."""
    pytest.importorskip("grpc", reason="Spark Connect needs pyspark[connect] (grpcio)")
    import pyspark

    port = _free_port()
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    log = (tmp_path / "connect.log").open("wb")
    proc = subprocess.Popen(
        [
            str(submit),
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master",
            "local[2]",
            "--conf",
            f"spark.connect.grpc.binding.port={port}",
            "--conf",
            "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.sql.session.timeZone=UTC",
            "--conf",
            "spark.driver.extraJavaOptions=-Duser.timezone=UTC",
            "--conf",
            f"spark.sql.warehouse.dir={tmp_path / 'warehouse'}",
            "spark-internal",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "connect.log").read_text()[-2000:]
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(1)
        else:
            pytest.fail("the Spark Connect server did not start within 240 s")
        yield f"sc://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_spark_connect_gives_the_same_report(shop: Path, connect_server: str) -> None:
    config = shop / "connect.toml"
    lines = ["[spark.tables]"]
    lines += [
        f'{t} = "{shop / "files" / f"{t}.parquet"}"' for t in ("orders", "customers", "returns")
    ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = (
        "metrics",
        "--period",
        "month",
        "-m",
        "crr",
        "-m",
        "revenue",
        "-m",
        "active_customers",
        "--format",
        "json",
    )
    spark = _cli("--db", connect_server, "--config", str(config), *args, cwd=shop)
    assert spark.returncode == 0, spark.stderr
    duck = _cli("--db", "shop.duckdb", *args, cwd=shop)
    assert duck.returncode == 0, duck.stderr
    _same_reports(json.loads(duck.stdout), json.loads(spark.stdout))


def test_dashboard_and_api_over_spark(
    spark_ws: Any, duck_ws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --db spark://local[2]``'s app: the pages render, /api/metrics equals DuckDB's
    numbers, a write is a 422 sentence, and the API keys are a file (nothing in the cluster).
    The app's Workspace attaches to the running session, whose views are ``spark_ws``'s."""
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.keys import SPARK_KEYS_FILE, keystore_for
    from retentionkit.web.settings import WebSettings

    monkeypatch.chdir(tmp_path)  # no retentionkit.toml here: the session's views are used
    admin = keystore_for("spark://local[2]").create("admin")[0]
    assert (tmp_path / SPARK_KEYS_FILE).exists()
    settings = WebSettings(db="spark://local[2]", warm_cache=False)
    with TestClient(create_app(settings)) as client:
        for page in ("/", "/trends", "/cohorts", "/segments", "/clv", "/at-risk"):
            r = client.get(page)
            assert r.status_code == 200, (page, r.text[:500])
            assert "Internal" not in r.text
        r = client.get("/api/metrics", params={"metric": "crr", "period": "month"})
        assert r.status_code == 200, r.text
        got = {row["period_start"][:10]: row["value"] for row in r.json()}
        want = duck_ws.metrics("crr", period="month")
        for _, row in want.iterrows():
            key = str(row["period_start"])[:10]
            if pd.isna(row["value"]):
                assert got[key] is None
            else:
                assert got[key] == pytest.approx(row["value"], rel=1e-9)
        r = client.post(
            "/api/ingest/orders",
            files={"file": ("orders.csv", b"order_id,customer_id,ordered_at,amount\n", "text/csv")},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert r.status_code == 422, r.text
        assert "read-only analysis workspace" in r.json()["detail"]
    assert "api_keys" not in spark_ws.tables()


def test_a_source_without_optional_columns_gets_them_as_typed_nulls(
    spark_session: Any, duck_ws: Any, tmp_path: Path
) -> None:
    """Found by the 50 M benchmark: orders without ``delivered_at`` stopped the report with an
    AttributeError. Every canonical column now exists, with its type, as after an ingest."""
    from retentionkit.backends.spark import SPARK_TYPES, source_columns
    from retentionkit.config import SparkSource
    from retentionkit.schema.contracts import contract

    path = tmp_path / "orders_min.parquet"
    needed = duck_ws.con.table("orders").select("order_id", "customer_id", "ordered_at")
    duck_ws.con.to_parquet(needed, path)
    frame = source_columns(spark_session, "orders", SparkSource(path=str(path)))
    types = dict(frame.dtypes)
    for column in contract("orders").columns:
        assert types[column.name] == SPARK_TYPES[column.kind]
    assert frame.where("delivered_at IS NOT NULL OR amount IS NOT NULL").count() == 0
    assert frame.count() == duck_ws.con.table("orders").count().execute()
