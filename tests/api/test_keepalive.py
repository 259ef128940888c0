"""After a fault the connection stays usable (issue 11): a real uvicorn on 127.0.0.1 and one
httpx connection reused for odd requests (huge durations, bad dates, bad uploads) and normal
ones; every fault is a 4xx and the same socket answers the next request."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_faults_are_4xx_and_keep_the_connection(db: Path, keys) -> None:  # type: ignore[no-untyped-def]
    import httpx
    import uvicorn

    from retentionkit.server.app import create_app
    from retentionkit.web.settings import WebSettings

    port = _free_port()
    app = create_app(WebSettings(db=db, port=port, warm_cache=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        requests = [
            ("GET", "/api/metrics?active_window=99999999999d", None, 422),
            ("GET", "/api/churn/at-risk?horizon=99999999d", None, 422),
            ("GET", "/api/metrics?from=9999-12-31", None, None),
            ("POST", "/api/ingest/orders", {"encoding": "base64"}, 422),
            ("POST", "/api/ingest/orders", {"delimiter": ""}, None),
            ("POST", "/api/ingest/orders", {"date_format": "%Y%Y"}, 422),
            ("GET", "/api/health", None, 200),
        ]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            sockets = set()
            for method, path, form, expected in requests:
                if method == "GET":
                    r = client.get(path)
                else:
                    body = b"order_id,customer_id,ordered_at,amount\n1,c1,2024-01-01,1\n"
                    r = client.post(path, files={"file": ("o.csv", body)}, data=form, headers=admin)
                assert r.status_code < 500, (path, r.text)
                if expected is not None:
                    assert r.status_code == expected, (path, r.text)
                stream = r.extensions["network_stream"]
                sockets.add(stream.get_extra_info("socket").getsockname())
            assert len(sockets) == 1  # one connection served every request
    finally:
        server.should_exit = True
        thread.join(timeout=30)
