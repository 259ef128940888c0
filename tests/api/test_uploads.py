"""Uploads (issue 11): the key is checked before the body is read; the body streams with a
size limit (413 as soon as it is crossed, nothing read past it); the limit is configurable.

The app is called as ASGI directly with a ``receive`` that counts the body chunks it hands out,
so "read" is measured, not inferred.
"""

from __future__ import annotations

import asyncio
from typing import Any

CHUNK = 64 * 1024
BOUNDARY = "rkboundary"


def _multipart_head(name: str = "orders.csv") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def _call(app: Any, body_chunks: int, headers: dict[str, str]) -> tuple[int, int, bytes]:
    """POST /api/ingest/orders with ``body_chunks`` chunks; returns (status, chunks read, body)."""
    handed = 0
    head = _multipart_head() + b"order_id,customer_id,ordered_at,amount\n"
    line = b"1,c1,2024-01-01,1.00\n"

    async def receive() -> dict[str, Any]:
        nonlocal handed
        if handed >= body_chunks:
            return {"type": "http.disconnect"}
        handed += 1
        body = head if handed == 1 else line * (CHUNK // len(line))
        return {"type": "http.request", "body": body, "more_body": handed < body_chunks}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/ingest/orders",
        "raw_path": b"/api/ingest/orders",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], handed, body


def test_no_key_is_refused_before_the_body_is_read(make_client) -> None:  # type: ignore[no-untyped-def]
    app = make_client().app
    status, read, _ = _call(app, 2_000, {})
    assert status == 401
    assert read == 0


def test_read_key_is_refused_before_the_body_is_read(make_client, keys) -> None:  # type: ignore[no-untyped-def]
    app = make_client().app
    status, read, _ = _call(app, 2_000, {"Authorization": f"Bearer {keys['read']}"})
    assert status == 403
    assert read == 0


def test_body_over_the_limit_stops_at_the_limit(make_client, keys) -> None:  # type: ignore[no-untyped-def]
    limit = 10 * CHUNK
    app = make_client(max_upload_bytes=limit).app
    status, read, body = _call(app, 2_000, {"Authorization": f"Bearer {keys['admin']}"})
    assert status == 413, body
    assert read <= limit // CHUNK + 2  # the chunk that crossed the limit, and no more
    assert b"limit" in body


def test_declared_length_over_the_limit_reads_nothing(make_client, keys) -> None:  # type: ignore[no-untyped-def]
    app = make_client(max_upload_bytes=1_000).app
    headers = {"Authorization": f"Bearer {keys['admin']}", "Content-Length": "5000000"}
    status, read, _ = _call(app, 100, headers)
    assert status == 413
    assert read == 0


def test_upload_under_the_limit_is_ingested(make_client, keys) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_upload_bytes=10_000)
    body = b"order_id,customer_id,ordered_at,amount\nU1,c1,2024-01-01,12345678901234.5678\n"
    r = client.post(
        "/api/ingest/orders",
        files={"file": ("up.csv", body, "text/csv")},
        headers={"Authorization": f"Bearer {keys['admin']}"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["tables"]["orders"]["inserted"] == 1


def test_not_multipart_is_400(make_client, keys) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    r = client.post(
        "/api/ingest/orders",
        content=b"order_id\n1\n",
        headers={"Authorization": f"Bearer {keys['admin']}", "Content-Type": "text/csv"},
    )
    assert r.status_code == 400
    assert "multipart" in r.json()["detail"]
