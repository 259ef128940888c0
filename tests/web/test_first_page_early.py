"""``serve`` starts the overview's warm-up before it builds the web app
(:func:`retentionkit.server.start_first_page`), and a visitor who asks for a page being
rendered waits for that rendering instead of rendering it a second time
(:meth:`WorkspaceService.derived` computes a key in one thread at a time)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from retentionkit.pages import Filters, page_key, pages_for
from retentionkit.service import MetricRequest
from retentionkit.service.result_cache import holds_answers
from retentionkit.web.service import MISSING, WorkspaceService

LIMIT = 30.0  # seconds any wait here may take before the test fails instead of hanging


def test_a_second_caller_of_a_key_being_computed_waits_for_its_value(tmp_path: Path) -> None:
    svc = WorkspaceService(tmp_path / "ws.duckdb")
    calls: list[str] = []
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        calls.append(threading.current_thread().name)
        started.set()
        assert release.wait(LIMIT)
        return "page"

    got: dict[str, Any] = {}
    first = threading.Thread(target=lambda: got.update(a=svc.derived("k", slow)), name="a")
    first.start()
    assert started.wait(LIMIT)
    second = threading.Thread(target=lambda: got.update(b=svc.derived("k", slow)), name="b")
    second.start()
    time.sleep(0.1)  # b is waiting for a, not computing
    assert calls == ["a"]
    release.set()
    for thread in (first, second):
        thread.join(LIMIT)
    assert got == {"a": "page", "b": "page"}
    assert calls == ["a"]
    assert not svc._flights


def test_a_waiter_computes_itself_when_the_first_caller_fails(tmp_path: Path) -> None:
    svc = WorkspaceService(tmp_path / "ws.duckdb")
    started, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def failing() -> str:
        started.set()
        assert release.wait(LIMIT)
        raise ValueError("broken")

    def first() -> None:
        try:
            svc.derived("k", failing)
        except ValueError as exc:
            outcome["a"] = str(exc)

    a = threading.Thread(target=first)
    a.start()
    assert started.wait(LIMIT)
    b = threading.Thread(target=lambda: outcome.update(b=svc.derived("k", lambda: "fresh")))
    b.start()
    time.sleep(0.05)
    release.set()
    for thread in (a, b):
        thread.join(LIMIT)
    assert outcome == {"a": "broken", "b": "fresh"}
    assert svc.derived("k", lambda: "never") == "fresh"


def test_the_result_cache_says_whether_it_holds_answers_on_the_current_data(
    db_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")
    svc = WorkspaceService(db_copy)
    try:
        assert not svc.run(holds_answers)  # a fresh copy: the first start after a write
        svc.request(MetricRequest(metrics=("revenue",), last=2))
        assert svc.run(holds_answers)  # a restart on the same data
        monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
        assert not svc.run(holds_answers)
        monkeypatch.setenv("RETENTIONKIT_CACHE", "on")
        import pandas as pd

        order = {
            "order_id": ["NEW-1"],
            "customer_id": ["C000001"],
            "ordered_at": [pd.Timestamp("2024-06-03")],
            "amount": [12.5],
        }
        svc.write(lambda ws: ws.ingest("orders", pd.DataFrame(order)))
        assert not svc.run(holds_answers)  # new data: nothing cached for it yet
    finally:
        svc.close()


def test_start_first_page_renders_the_overview_with_the_engine_loaded_first(
    db_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retentionkit.server import start_first_page

    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")
    svc = WorkspaceService(db_copy)
    try:
        svc.run(lambda ws: ws.duck)
        first_page = start_first_page(svc)
        # cold (nothing cached): the engine was connected before the thread started
        assert svc.workspace("main")._con is not None
        assert first_page.wait(LIMIT)
        page = pages_for()[0]
        assert svc.peek(page_key(page, Filters(period=page.default_period))) is not MISSING
    finally:
        svc.close()

    restarted = WorkspaceService(db_copy)  # the same data, answers cached: no engine up front
    try:
        restarted.run(lambda ws: ws.duck)
        assert restarted.run(holds_answers)
        assert restarted.workspace("main")._con is None
    finally:
        restarted.close()


def test_a_visitor_waiting_for_a_warmed_page_goes_first(tmp_path: Path) -> None:
    """The visitor waits for the warm-up's rendering of the page it asked for: meanwhile the
    warm-up's other calls wait (visitors first, as for the visitor's own call), while the
    rendering's own further calls go on (no deadlock between the two)."""
    svc = WorkspaceService(tmp_path / "ws.duckdb")
    events: list[str] = []
    step1_done, go, stop = threading.Event(), threading.Event(), threading.Event()

    def render() -> str:
        svc.run(lambda ws: events.append("render 1"), lane="slow")
        step1_done.set()
        assert go.wait(LIMIT)
        svc.run(lambda ws: events.append("render 2"), lane="slow")
        return "page"

    def warm_page() -> None:
        with svc.in_background():
            svc.derived("at-risk", render)

    def warm_others() -> None:
        with svc.in_background():
            while not stop.is_set():
                svc.run(lambda ws: events.append("other"), lane="main")
                time.sleep(0.005)

    page = threading.Thread(target=warm_page)
    page.start()
    assert step1_done.wait(LIMIT)
    others = threading.Thread(target=warm_others)
    others.start()
    end = time.monotonic() + LIMIT
    while "other" not in events:
        assert time.monotonic() < end
        time.sleep(0.005)
    got: dict[str, str] = {}
    visitor = threading.Thread(target=lambda: got.update(v=svc.derived("at-risk", lambda: "x")))
    visitor.start()
    while svc._visitors != 1:
        assert time.monotonic() < end
        time.sleep(0.005)
    time.sleep(0.05)  # a background call already running when the visitor came may end
    paused_at = len(events)
    time.sleep(0.2)
    assert events[paused_at:] == []  # the other warm-up calls wait for the visitor
    go.set()
    visitor.join(LIMIT)
    page.join(LIMIT)
    assert got == {"v": "page"}  # the warm-up's rendering, not a second one
    assert events[paused_at:][:1] == ["render 2"]
    while events[-1] != "other":  # and the rest of the warm-up resumes
        assert time.monotonic() < end
        time.sleep(0.005)
    stop.set()
    others.join(LIMIT)
    assert svc._visitors == 0
