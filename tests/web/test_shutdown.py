"""``serve`` stops in seconds (WorkspaceService.close): a read still running in a lane — the
cache warm-up's KPI pages, a model fit of the slow lane — is not waited for beyond the grace
period and no lane opens its workspace again; a write in progress is waited for."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from pathlib import Path

import pytest

from retentionkit.errors import RetentionkitError
from retentionkit.web import service as service_module
from retentionkit.web.service import WorkspaceService


@pytest.fixture
def svc(gen_db: Path, tmp_path: Path) -> WorkspaceService:
    db = tmp_path / "ws.duckdb"
    shutil.copy(gen_db, db)
    return WorkspaceService(db)


def _busy(svc: WorkspaceService, lane: str, seconds: float) -> threading.Thread:
    started = threading.Event()

    def fit(ws: object) -> None:  # a model fit: Python work, no DuckDB query to interrupt
        started.set()
        time.sleep(seconds)

    worker = threading.Thread(target=lambda: svc.run(fit, lane=lane), daemon=True)
    worker.start()
    assert started.wait(10)
    return worker


def test_a_long_read_is_not_waited_for(
    svc: WorkspaceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "LANE_GRACE", 0.3)
    svc.run(lambda ws: ws.tables(), lane="slow")  # both lanes open
    svc.run(lambda ws: ws.tables(), lane="main")
    _busy(svc, "slow", 30)
    began = time.perf_counter()
    svc.close()
    assert time.perf_counter() - began < 5
    assert svc.closing
    with pytest.raises(RetentionkitError, match="shutting down"):
        svc.run(lambda ws: ws.tables(), lane="main")  # closed: not opened again


def test_a_long_duckdb_query_is_interrupted(
    svc: WorkspaceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "LANE_GRACE", 0.5)
    errors: list[BaseException] = []
    started = threading.Event()

    def heavy(ws) -> None:  # type: ignore[no-untyped-def]
        started.set()
        try:
            ws.duck.execute("SELECT count(*) FROM range(100000000000) t(x) WHERE x % 7 = 3")
        except BaseException as exc:  # the interrupt
            errors.append(exc)
            raise

    def lane() -> None:
        with contextlib.suppress(Exception):  # the interrupt, recorded by heavy()
            svc.run(heavy, lane="main")

    worker = threading.Thread(target=lane, daemon=True)
    worker.start()
    assert started.wait(10)
    time.sleep(0.2)
    began = time.perf_counter()
    svc.close()
    worker.join(10)
    assert time.perf_counter() - began < 5
    assert errors and "nterrupt" in type(errors[0]).__name__ + str(errors[0])


def test_a_write_in_progress_is_waited_for(
    svc: WorkspaceService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "LANE_GRACE", 0.2)
    done = threading.Event()
    started = threading.Event()

    def write(ws: object) -> None:
        started.set()
        time.sleep(1.0)
        done.set()

    worker = threading.Thread(target=lambda: svc.write(write), daemon=True)
    worker.start()
    assert started.wait(10)
    svc.close()
    assert done.is_set()  # close returned only after the write
    worker.join(5)
