"""POST /api/rebuild: the CLI's ``rebuild`` over HTTP (admin key)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")


def test_rebuild_needs_the_admin_key(client, keys, auth) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/rebuild").status_code == 401
    assert client.post("/api/rebuild", headers=auth(keys["read"])).status_code == 403


def test_rebuild_checks_and_replaces_the_cached_answers(client, keys, auth) -> None:  # type: ignore[no-untyped-def]
    admin = auth(keys["admin"])
    first = client.get("/api/metrics?period=month&metric=crr", headers=admin)
    assert first.status_code == 200, first.text
    check = client.post("/api/rebuild?check=true", headers=admin)
    assert check.status_code == 200, check.text
    assert check.json() == {"checked": 1, "differ": []}
    done = client.post("/api/rebuild", headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["checked"] == 1 and done.json()["recomputed"] == 1
    again = client.get("/api/metrics?period=month&metric=crr", headers=admin)
    assert again.json() == first.json()
