"""End to end with a real ``retentionkit serve`` subprocess on 127.0.0.1 (ephemeral port):
every CLI command on the served workspace runs through the server with the same output and
exit code as on a server-less copy; an ingest shows on the next request; the runtime file is
0600 and removed on SIGTERM; a wrong token is one sentence; ``report`` is rendered by the
server and written by the client. Bounded: each server is stopped (conftest.py)."""

from __future__ import annotations

import io
import json
import math
import stat
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.config import Settings
from retentionkit.errors import AuthError, WorkspaceLockedError
from retentionkit.runtime.client import ServerClient
from retentionkit.runtime.files import RuntimeInfo, runtime_path
from retentionkit.service import RfmRequest
from retentionkit.workspace import Workspace

pytestmark = pytest.mark.slow


def _write_data(folder: Path) -> None:
    from retentionkit.generate import generate_business, write_business

    write_business(generate_business(customers=150, months=12, seed=2), folder, fmt="csv")


def _workspace(db: Path, data: Path) -> None:
    with Workspace(db, settings=Settings()) as ws:
        ws.load_dir(data)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, serve: Any
) -> Iterator[tuple[Path, RuntimeInfo]]:
    """A workspace folder with data, a server-less copy ``direct.duckdb`` and ``served.duckdb``
    owned by a running server."""
    tmp = tmp_path_factory.mktemp("serve")
    _write_data(tmp / "data")
    for name in ("direct", "served"):
        _workspace(tmp / f"{name}.duckdb", tmp / "data")
    (tmp / "bad.csv").write_text("customer_id,signed_up_at\nc1,notadate\n")
    (tmp / "late.csv").write_text(
        "order_id,customer_id,ordered_at,amount\nLATE1,NEW1,2023-12-30 10:00:00,1000.00\n"
    )
    proc, info = serve(tmp / "served.duckdb")
    try:
        yield tmp, info
    finally:
        serve.stop(proc)


COMMANDS = [
    ["metrics", "--last", "3", "--format", "json"],
    ["metrics", "--last", "2"],
    ["cohorts", "--period", "quarter"],
    ["rfm", "--format", "csv"],
    ["segments"],
    ["clv", "predict", "--horizon", "12", "--format", "csv"],
    ["churn", "at-risk", "--top", "5"],
    ["metrics", "--metric", "nope"],
    ["ingest", "customers", "bad.csv"],
    ["ingest", "orders", "late.csv"],
    ["load-dir", "data"],
    ["metrics", "--last", "1", "--format", "json"],
]


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _same_output(served: str, direct: str, key: str) -> None:
    """Equal text, or equal numbers up to float summation order: DuckDB's parallel sums (the
    RFM summary's money) may differ in the last digit from one run to the next, server or not."""
    if served == direct:
        return
    if "--format json" in key:
        assert _close(json.loads(served), json.loads(direct)), key
    else:
        assert "--format csv" in key, key
        pd.testing.assert_frame_equal(
            pd.read_csv(io.StringIO(served)), pd.read_csv(io.StringIO(direct)), rtol=1e-6
        )  # CLV fits start from those sums, so their outputs differ a little more


def test_every_command_gives_the_same_answer_through_the_server(
    served: tuple[Path, RuntimeInfo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tmp, _ = served
    monkeypatch.chdir(tmp)
    answers = {}
    for name in ("direct", "served"):
        for args in COMMANDS:
            rc = main(["--db", f"{name}.duckdb", *args])
            out, err = capsys.readouterr()
            answers[name, " ".join(args)] = (rc, out, err.replace(f"{name}.duckdb", "WS"))
    for args in COMMANDS:
        key = " ".join(args)
        (rc_s, out_s, err_s), (rc_d, out_d, err_d) = answers["served", key], answers["direct", key]
        assert (rc_s, err_s) == (rc_d, err_d), key
        _same_output(out_s, out_d, key)
    assert answers["served", "ingest customers bad.csv"][0] == 2
    assert answers["served", "ingest customers bad.csv"][2].startswith("error: bad.csv, line 2")
    assert answers["served", "ingest orders late.csv"][1].startswith("late.csv → orders: 1 ins")


def _api(info: RuntimeInfo, path: str) -> bytes:
    with urllib.request.urlopen(info.url + path, timeout=120) as resp:
        return resp.read()  # type: ignore[no-any-return]


def test_an_ingest_shows_on_the_next_request(
    served: tuple[Path, RuntimeInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp, info = served
    monkeypatch.chdir(tmp)
    query = "/api/metrics?metric=revenue&period=year&from=2030-01-01&to=2031-01-01"
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as refused:  # no data in 2030 yet: one sentence
        _api(info, query)
    assert refused.value.code == 422
    before = json.loads(_api(info, "/api/metrics?metric=revenue&period=year"))
    assert "2030" not in json.dumps(before)
    (tmp / "y2030.csv").write_text(
        "order_id,customer_id,ordered_at,amount\nY1,C000001,2030-06-01 10:00:00,123.45\n"
    )
    assert main(["--db", "served.duckdb", "ingest", "orders", "y2030.csv"]) == 0
    after = json.loads(_api(info, query))
    assert after != before
    assert "123.45" in json.dumps(after)
    assert b"<html" in _api(info, "/").lower()


def test_a_wrong_token_is_one_sentence(served: tuple[Path, RuntimeInfo]) -> None:
    _, info = served
    client = ServerClient(RuntimeInfo(info.pid, info.url, "wrong", info.workspace))
    with pytest.raises(AuthError, match="refused this workspace's local token") as exc:
        client.run(RfmRequest())
    assert "\n" not in str(exc.value)
    assert "_local" not in _api(info, "/openapi.json").decode()


def test_report_is_rendered_by_the_server_and_written_here(
    served: tuple[Path, RuntimeInfo],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tmp, _ = served
    monkeypatch.chdir(tmp)
    rc = main(["--db", "served.duckdb", "report", "--html", "out/r.html"])  # relative: ours
    out, err = capsys.readouterr()
    assert (rc, err) == (0, ""), err
    assert out.startswith("Report written to out/r.html (")
    html = (tmp / "out" / "r.html").read_text(encoding="utf-8")
    assert "workspace served.duckdb" in html and html.count('class="chart') > 5
    for bad in (["--period", "fortnight"], ["--from", "2024-13-01"]):
        answers = []
        for name in ("direct", "served"):
            rc = main(["--db", f"{name}.duckdb", "report", "--html", "x.html", *bad])
            answers.append((rc, capsys.readouterr().err))
        assert answers[0] == answers[1] and answers[0][0] != 0, answers
        assert answers[0][1].count("\n") == 1
    assert not (tmp / "x.html").exists()


def test_a_served_workspace_in_python_runs_through_the_server(
    served: tuple[Path, RuntimeInfo],
) -> None:
    tmp, info = served
    with Workspace(tmp / "served.duckdb") as ws:
        assert ws.remote is not None and ws.remote.info.pid == info.pid
        assert len(ws.rfm()) > 0
        frame = pd.DataFrame({"customer_id": ["PY1"], "signed_up_at": ["2024-01-01"]})
        report = ws.ingest("customers", frame)  # sent as Parquet bytes
        assert report.summary().startswith("customers: 1 inserted")
        assert ws.sql("select count(*) as n from customers")["n"][0] > 0
        with pytest.raises(WorkspaceLockedError, match=f"owned by the server at {info.url}"):
            ws.table("orders")  # an Ibis table needs the connection itself


def test_the_runtime_file_is_0600_and_removed_on_sigterm(tmp_path: Path, serve: Any) -> None:
    db = tmp_path / "w.duckdb"
    (tmp_path / "c.csv").write_text("customer_id,signed_up_at\nc1,2024-01-01\n")
    with Workspace(db, settings=Settings()) as ws:
        ws.ingest("customers", tmp_path / "c.csv")
    proc, info = serve(db)
    try:
        assert stat.S_IMODE(runtime_path(db).stat().st_mode) == 0o600
        assert info.pid == proc.pid
    finally:
        serve.stop(proc)  # its exit code was once -6 (SIGTERM during the cache warm-up): open
    assert not runtime_path(db).exists()
    assert main(["--db", str(db), "rfm"]) in (0, 3)  # the file is free again
