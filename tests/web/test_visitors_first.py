"""The server's cache warm-up lets visitors go first (WorkspaceService.in_background): a page
someone asked for runs next in its lane, after at most the one warm-up call already running —
not after the warm-up's whole queue (a cold at-risk page waited behind the CLV page's fits)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from retentionkit.pages.registry import WARM_FIRST, pages_for
from retentionkit.web.service import WorkspaceService

LIMIT = 20.0  # seconds any wait in these tests may take before it fails instead of hanging


def _wait_until(predicate: Any) -> None:
    end = time.monotonic() + LIMIT
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


def test_a_visitor_runs_before_the_warm_ups_next_call(tmp_path: Path) -> None:
    svc = WorkspaceService(tmp_path / "ws.duckdb")
    order: list[str] = []
    release = threading.Event()

    def long_fit(ws: Any) -> None:
        order.append("warm-up 1 starts")
        assert release.wait(LIMIT)
        order.append("warm-up 1 ends")

    def background(name: str, fn: Any) -> threading.Thread:
        def run() -> None:
            with svc.in_background():
                svc.run(fn, lane="slow")

        thread = threading.Thread(target=run, name=name)
        thread.start()
        return thread

    first = background("warm-up 1", long_fit)
    _wait_until(lambda: order == ["warm-up 1 starts"])
    # the warm-up's next call queues first, the visitor after it
    second = background("warm-up 2", lambda ws: order.append("warm-up 2"))
    time.sleep(0.05)
    visitor = threading.Thread(target=lambda: svc.run(lambda ws: order.append("visitor"), "slow"))
    visitor.start()
    _wait_until(lambda: svc._visitors == 1)
    release.set()
    for thread in (first, second, visitor):
        thread.join(LIMIT)
    assert order == ["warm-up 1 starts", "warm-up 1 ends", "visitor", "warm-up 2"]
    assert svc._visitors == 0


def test_a_background_call_inside_its_own_lane_does_not_wait_for_a_visitor(
    tmp_path: Path,
) -> None:
    """A warm-up call nested in one holding the lane (a page's request inside a cached call)
    must not wait for a visitor who waits for that very lock."""
    svc = WorkspaceService(tmp_path / "ws.duckdb")
    inside = threading.Event()
    done: list[str] = []

    def outer(ws: Any) -> None:
        inside.set()
        _wait_until(lambda: svc._visitors == 1)  # a visitor is queued now
        svc.run(lambda ws: done.append("nested"), lane="slow")
        done.append("outer")

    def run() -> None:
        with svc.in_background():
            svc.run(outer, lane="slow")

    warm = threading.Thread(target=run)
    warm.start()
    assert inside.wait(LIMIT)
    visitor = threading.Thread(target=lambda: svc.run(lambda ws: done.append("visitor"), "slow"))
    visitor.start()
    warm.join(LIMIT)
    visitor.join(LIMIT)
    assert done == ["nested", "outer", "visitor"]


def test_a_visitor_in_one_lane_holds_the_warm_up_of_the_other(tmp_path: Path) -> None:
    svc = WorkspaceService(tmp_path / "ws.duckdb")
    running, release, order = threading.Event(), threading.Event(), []

    def visitor_fit(ws: Any) -> None:
        running.set()
        assert release.wait(LIMIT)
        order.append("visitor")

    visitor = threading.Thread(target=lambda: svc.run(visitor_fit, "slow"))
    visitor.start()
    assert running.wait(LIMIT)

    def warm() -> None:
        with svc.in_background():
            svc.run(lambda ws: order.append("warm-up"), lane="main")

    warming = threading.Thread(target=warm)
    warming.start()
    time.sleep(0.1)
    assert order == []  # the main lane is free, yet the warm-up waits for the visitor
    release.set()
    for thread in (visitor, warming):
        thread.join(LIMIT)
    assert order == ["visitor", "warm-up"]


def test_the_slow_lane_warms_the_at_risk_page_first() -> None:
    slow = [p.slug for p in sorted(pages_for(), key=lambda p: p.slug not in WARM_FIRST)]
    slow = [s for s in slow if s in ("clv", "at-risk")]
    assert slow == ["at-risk", "clv"]
