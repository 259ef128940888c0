"""Fuzz every API route and page (in-process TestClient): odd query parameters on every GET
route, generated uploads with odd form fields on POST /api/ingest/{table}. Never a 5xx; a
refused upload leaves the workspace unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retentionkit.schema.contracts import CONTRACTS

from .conftest import FUZZ, STATS, fingerprint
from .test_fuzz_ingest import DATE_FORMATS, DELIMITERS, ENCODINGS, _write, source_files

ODD = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "99999999999",
    "99999999999d",
    "99999999d",
    "1e308",
    "nan",
    "inf",
    "9999-12-31",
    "0001-01-01",
    "2024-02-30",
    "-1d",
    "0d",
    "36526d",
    "3m",
    "x" * 5000,
    "é∂ƒ",
    "\x00",
    "%00",
    "../../etc/passwd",
    "month",
    "week",
    "rfm",
    "country",
    "bgnbd",
    "true",
    "[]",
    "{}",
    "'; DROP TABLE orders; --",
    "2024-01-01",
    "12w",
    "1y",
    "average",
    "0.5",
]


@pytest.fixture(scope="module")
def app_client(shop_db: Path, tmp_path_factory):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from retentionkit.server.app import create_app
    from retentionkit.web.keys import KeyStore, keys_path_for
    from retentionkit.web.settings import WebSettings

    db = tmp_path_factory.mktemp("fuzz_api") / "shop.duckdb"
    shutil.copy(shop_db, db)
    admin = KeyStore(keys_path_for(db)).create("admin", "fuzz")[0]
    client = TestClient(
        create_app(WebSettings(db=db, warm_cache=False)), raise_server_exceptions=False
    )
    with client:
        yield client, db, admin


def _flat_routes(routes, prefix: str = "") -> list:  # type: ignore[no-untyped-def]
    """(full path, route) for every route, through included routers (FastAPI wraps them)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            extra = getattr(context, "prefix", "") or ""
            out += _flat_routes(inner.routes, prefix + extra)
        elif hasattr(route, "path"):
            out.append((prefix + route.path, route))
    return out


def _get_routes(app) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """Every GET route without path parameters, with the names of its query parameters."""
    routes = []
    for path, route in _flat_routes(app.routes):
        methods = getattr(route, "methods", set()) or set()
        if "GET" not in methods or "{" in path or path.startswith("/static"):
            continue
        dependant = getattr(route, "dependant", None)
        names = [p.alias for p in dependant.query_params] if dependant else []
        routes.append((path, names))
    return sorted(set((p, tuple(n)) for p, n in routes))


def test_every_get_route_with_odd_parameters(app_client) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = app_client
    routes = _get_routes(client.app)
    assert len(routes) >= 15, routes
    routes = [(p, list(n)) for p, n in routes]

    @FUZZ
    @given(data=st.data())
    def case(data) -> None:  # type: ignore[no-untyped-def]
        path, names = data.draw(st.sampled_from(routes))
        chosen = (
            data.draw(st.lists(st.sampled_from([*names, "bogus"]), max_size=4)) if names else []
        )
        params = [(name, data.draw(st.sampled_from(ODD))) for name in chosen]
        accept = data.draw(st.sampled_from(["application/json", "text/html"]))
        r = client.get(path, params=params, headers={"Accept": accept})
        STATS["cases"] += 1
        STATS["cases_api_get"] += 1
        STATS[f"route GET {path}"] += 1
        if r.status_code >= 500:
            STATS["internal_errors"] += 1
        assert r.status_code < 500, (path, params, r.text[:300])

    case()


def test_uploads_with_odd_files_and_fields(app_client, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    client, db, admin = app_client
    folder = tmp_path_factory.mktemp("fuzz_uploads")
    counter = iter(range(10**9))

    @FUZZ
    @given(data=st.data())
    def case(data) -> None:  # type: ignore[no-untyped-def]
        table = data.draw(st.sampled_from([*sorted(CONTRACTS), "pets"]))
        columns, rows, fmt, mangle = data.draw(
            source_files(table if table in CONTRACTS else "orders")
        )
        encoding = data.draw(st.sampled_from(ENCODINGS))
        path = _write(folder / f"up{next(counter)}", columns, rows, fmt, mangle, encoding)
        form: dict[str, object] = {}
        for name, pool in (
            ("encoding", ENCODINGS),
            ("delimiter", DELIMITERS),
            ("date_format", DATE_FORMATS),
        ):
            value = data.draw(st.sampled_from(pool))
            if value is not None and data.draw(st.booleans()):
                form[name] = value
        for flag in ("line_items", "generate_id", "no_header", "drop_missing_customer"):
            if data.draw(st.integers(0, 4)) == 0:
                form[flag] = data.draw(st.sampled_from(["true", "false", "maybe", ""]))
        if data.draw(st.integers(0, 4)) == 0:
            form["map"] = data.draw(st.sampled_from(["a=b", "=x", "x", "customer_id=order_id"]))
        before = fingerprint(db)
        r = client.post(
            f"/api/ingest/{table}",
            files={"file": (path.name, path.read_bytes(), "application/octet-stream")},
            data=form,
            headers={"Authorization": f"Bearer {admin}"},
        )
        STATS["cases"] += 1
        STATS["cases_api_upload"] += 1
        STATS[f"route POST /api/ingest/{table}"] += 1
        if r.status_code >= 500:
            STATS["internal_errors"] += 1
        assert r.status_code < 500, (table, form, r.text[:300])
        STATS["accepted_api_upload" if r.status_code < 400 else "refused_api_upload"] += 1
        if r.status_code >= 400:
            after = fingerprint(db)
            if after != before:
                STATS["partial_writes"] += 1
            assert after == before
            detail = r.json()["detail"]
            assert isinstance(detail, str) and detail.endswith("."), detail

    case()
