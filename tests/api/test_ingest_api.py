"""POST /api/ingest/{table}: the CLI's validation and all-or-nothing over HTTP."""

from __future__ import annotations

import io

import pytest


def _post(client, auth, key, table, name, body, **form):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/ingest/{table}",
        files={"file": (name, body, "application/octet-stream")},
        data=form,
        headers=auth(key),
    )


def test_csv_upload_returns_the_report(client, keys, auth, counts) -> None:  # type: ignore[no-untyped-def]
    body = b"customer_id,country\nX1,PL\nX2,FR\n"
    r = _post(client, auth, keys["admin"], "customers", "people.csv", body)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["source"] == "people.csv"
    assert report["tables"]["customers"]["inserted"] == 2


def test_parquet_upload_keeps_its_suffix(client, keys, auth) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame({"customer_id": ["P1"], "country": ["NL"]}).to_parquet(buf)
    r = _post(client, auth, keys["admin"], "customers", "c.parquet", buf.getvalue())
    assert r.status_code == 200, r.text
    assert r.json()["tables"]["customers"]["inserted"] == 1


def test_mapping_and_constants_like_the_cli(client, keys, auth) -> None:  # type: ignore[no-untyped-def]
    body = b"CustomerID,Land\nM1,PL\n"
    r = client.post(
        "/api/ingest/customers",
        files={"file": ("m.csv", body, "text/csv")},
        data={"map": ["CustomerID=customer_id", "Land=country"]},
        headers=auth(keys["admin"]),
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("table", "name", "body", "needle"),
    [
        (
            "orders",
            "orders.csv",
            b"order_id,customer_id,ordered_at,amount\n1,C1,2024-01-01,10\n2,C2,not-a-date,5\n",
            "not-a-date",
        ),
        ("orders", "orders.csv", b"order_id,customer_id\n1,C1\n", "ordered_at"),
        ("pets", "pets.csv", b"id\n1\n", "orders"),
        ("customers", "c.csv", b"", "c.csv"),
        ("orders", "binary.csv", b"\x00\x01\x02PK\x03\x04", "binary.csv: looks like a binary"),
    ],
)
def test_bad_input_is_422_and_writes_nothing(
    client,
    keys,
    auth,
    counts,
    table,
    name,
    body,
    needle,  # type: ignore[no-untyped-def]
) -> None:
    client.get("/api/metrics", params={"metric": "crr", "last": 1})
    before = counts(client)
    r = _post(client, auth, keys["admin"], table, name, body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and needle in detail
    assert "\n" not in detail.strip()
    assert "retentionkit-upload-" not in detail  # never the server's temporary folder
    assert counts(client) == before


def test_ingest_invalidates_the_cache(client, keys, auth) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/api/metrics", params={"metric": "active_customers"}).json()
    svc = next(iter(client.app.state.services.values()))
    version = svc.version
    body = b"order_id,customer_id,ordered_at,amount\nZ1,BRANDNEW,2024-02-10,10\n"
    assert _post(client, auth, keys["admin"], "orders", "o.csv", body).status_code == 200
    assert svc.version == version + 1
    second = client.get("/api/metrics", params={"metric": "active_customers"}).json()
    assert first != second
