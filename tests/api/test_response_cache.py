"""The per-data-version cache of encoded responses and rendered pages (issue 17 item 3).

A cached JSON body or page must be byte-identical to the one computed afresh, must never
outlive a write, must never answer a request that lacks a valid key, and a slow model call in
the "slow" lane must not hold up the overview or the API."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

from retentionkit.service import MetricRequest
from retentionkit.service.operations import run
from retentionkit.service.serialize import dump_json, frame_records
from retentionkit.web.service import MISSING, WorkspaceService

QUERY = {"metric": ["crr", "revenue"], "last": 3}


def _service(client) -> WorkspaceService:  # type: ignore[no-untyped-def]
    return next(iter(client.app.state.services.values()))  # type: ignore[no-any-return]


def _fresh_body(db: Path, request: MetricRequest) -> bytes:
    """The body as the uncached code computes it, on a workspace of its own."""
    from retentionkit.workspace import Workspace

    ws = Workspace(db)
    try:
        return dump_json(frame_records(run(ws, request).frame)).encode()
    finally:
        ws.close()


def test_cached_body_is_the_fresh_body(make_client, db: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reference = tmp_path / "reference.duckdb"
    reference.write_bytes(db.read_bytes())  # the server holds db open
    client = make_client()
    first = client.get("/api/metrics", params=QUERY)
    second = client.get("/api/metrics", params=QUERY)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.headers["content-type"] == second.headers["content-type"]
    request = MetricRequest(metrics=("crr", "revenue"), last=3)
    assert first.content == _fresh_body(reference, request)
    assert _service(client).peek(("json-records", request)) is not MISSING


def test_cached_page_is_the_fresh_page(client) -> None:  # type: ignore[no-untyped-def]
    from retentionkit.pages import Filters, page_html, pages_for

    first, second = client.get("/"), client.get("/")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    overview = next(p for p in pages_for() if p.slug == "overview")
    svc = _service(client)
    fresh = WorkspaceService(workspace=svc.ws)  # its own (empty) caches, the same data
    assert first.content == page_html(overview, fresh, Filters()).encode()


def test_a_write_drops_cached_bodies_and_pages(client) -> None:  # type: ignore[no-untyped-def]
    before_api = client.get("/api/metrics", params={"metric": "revenue"}).json()
    before_page = client.get("/").content
    svc = _service(client)
    version = svc.version
    last = pd.Timestamp(before_api[-1]["period_start"]) + pd.Timedelta(days=1)
    order = pd.DataFrame(
        {
            "order_id": ["CACHE-TEST-1"],
            "customer_id": ["C000001"],
            "ordered_at": [last],
            "amount": [1_000_000.0],
        }
    )
    svc.write(lambda ws: ws.ingest("orders", order))
    assert svc.version == version + 1
    after_api = client.get("/api/metrics", params={"metric": "revenue"}).json()
    assert after_api != before_api
    assert after_api[-1]["value"] >= before_api[-1]["value"] + 1_000_000 - 1e-6
    assert client.get("/").content != before_page


def test_a_cached_response_still_needs_a_valid_key(make_client, keys, auth) -> None:  # type: ignore[no-untyped-def]
    from retentionkit.web.keys import KeyStore, keys_path_for

    exposed = make_client(host="0.0.0.0")
    for path in ("/api/metrics?metric=crr&last=2", "/"):
        good = exposed.get(path, headers=auth(keys["read"]))
        assert good.status_code == 200
        assert exposed.get(path, headers=auth(keys["read"])).content == good.content  # cached
        assert exposed.get(path).status_code == 401
        assert exposed.get(path, headers=auth("rk_00000000_nope")).status_code == 401
    store = KeyStore(keys_path_for(_service(exposed).db))
    read_id = keys["read"].split("_")[1]
    store.revoke(read_id)
    for path in ("/api/metrics?metric=crr&last=2", "/"):
        assert exposed.get(path, headers=auth(keys["read"])).status_code == 401, path
        assert exposed.get(path, headers=auth(keys["admin"])).status_code == 200, path


def test_a_busy_slow_lane_does_not_stall_the_overview(client) -> None:  # type: ignore[no-untyped-def]
    """A model fit holds the "slow" lane (as CLV and at-risk do); the overview page and the
    metrics API, computed afresh in the "main" lane, still answer."""
    svc = _service(client)
    svc.invalidate()
    started, release = threading.Event(), threading.Event()

    def fit(ws: object) -> None:
        started.set()
        assert release.wait(60)

    blocker = threading.Thread(target=lambda: svc.run(fit, lane="slow"))
    blocker.start()
    try:
        assert started.wait(10)
        assert client.get("/").status_code == 200
        assert client.get("/api/metrics", params=QUERY).status_code == 200
        assert blocker.is_alive()  # both answered while the slow lane was still busy
    finally:
        release.set()
        blocker.join()


def test_peek_never_answers_for_a_shared_database(client) -> None:  # type: ignore[no-untyped-def]
    """A workspace other processes write (given, or a database URL) has a data version that
    takes a query: the event-loop fast path stays out, the worker-thread path checks it."""
    svc = _service(client)
    shared = WorkspaceService(workspace=svc.ws)
    assert shared.derived(("k",), lambda: b"body") == b"body"
    assert shared.peek(("k",)) is MISSING
    assert shared.derived(("k",), lambda: b"other") == b"body"
