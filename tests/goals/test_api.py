"""/api/goals: GET list (= ``goals list --format json``) and one goal with history, POST,
PATCH, DELETE and POST /api/goals/evaluate with an admin key; same validation as the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retentionkit.cli.app import app

BODY = {"name": "retention", "metric": "crr", "target": 70, "by": "2024-06-30",
        "start": "2023-10-15"}  # fmt: skip


@pytest.fixture
def api(goals_db: Path) -> Iterator[tuple[object, dict[str, dict[str, str]]]]:
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.keys import KeyStore, keys_path_for
    from retentionkit.web.settings import WebSettings

    store = KeyStore(keys_path_for(goals_db))
    admin, read = store.create("admin")[0], store.create("read")[0]
    headers = {
        "admin": {"Authorization": f"Bearer {admin}"},
        "read": {"Authorization": f"Bearer {read}"},
    }
    with TestClient(create_app(WebSettings(db=goals_db, warm_cache=False))) as client:
        yield client, headers


def test_writes_need_an_admin_key(api) -> None:
    client, h = api
    assert client.post("/api/goals", json=BODY).status_code == 401
    assert client.post("/api/goals", json=BODY, headers=h["read"]).status_code == 403
    assert client.post("/api/goals", json=BODY, headers=h["admin"]).status_code == 201
    for method in ("patch", "delete"):
        kwargs = {"json": {"target": 75}} if method == "patch" else {}
        assert getattr(client, method)("/api/goals/retention", **kwargs).status_code == 401
        assert (
            getattr(client, method)("/api/goals/retention", headers=h["read"], **kwargs)
        ).status_code == 403
    assert client.post("/api/goals/evaluate").status_code == 401


def test_routes_match_the_cli(api, goals_db: Path) -> None:
    client, h = api
    created = client.post("/api/goals", json=BODY, headers=h["admin"]).json()
    assert created["name"] == "retention" and created["as_of"] == "2023-10-15"
    evaluated = client.post("/api/goals/evaluate?as_of=2024-01-31", headers=h["admin"]).json()
    assert evaluated[0]["as_of"] == "2024-01-31"
    listed = client.get("/api/goals").json()
    assert listed == evaluated
    one = client.get("/api/goals/retention").json()
    assert [x["as_of"] for x in one["history"]] == ["2023-10-15", "2024-01-31"]
    assert one["forecast"]["period_start"][-1] == "2024-06-01" and one["series"]
    patched = client.patch(
        "/api/goals/retention", json={"target": 75, "as_of": "2024-01-31"}, headers=h["admin"]
    ).json()
    assert patched["target"] == 75
    client.close()  # release the workspace before the CLI reads it
    cli = CliRunner().invoke(app, ["--db", str(goals_db), "goals", "list", "--format", "json"])
    assert json.loads(cli.output) == [patched]


def test_bad_input_is_one_sentence_and_writes_nothing(api) -> None:
    client, h = api
    client.post("/api/goals", json=BODY, headers=h["admin"])
    before = client.get("/api/goals").json()
    cases = [
        ({**BODY, "name": "x", "metric": "bogus"}, 422, "valid metrics: crr"),
        (BODY, 422, "already exists"),
        ({**BODY, "name": "x", "target": 50}, 422, "already reached at the start"),
        ({**BODY, "name": "x", "by": "2023-01-01"}, 422, "must be after the start"),
        ({**BODY, "name": "x", "segment": "country=Atlantis"}, 422, "does not exist"),
        ({**BODY, "name": "x", "colour": "red"}, 422, "Unknown option --colour"),
    ]
    for body, status, text in cases:
        r = client.post("/api/goals", json=body, headers=h["admin"])
        assert r.status_code == status and text in r.json()["detail"], r.text
    r = client.patch("/api/goals/retention", json={"current": 3}, headers=h["admin"])
    assert r.status_code == 422 and "custom goals" in r.json()["detail"]
    assert client.get("/api/goals/nope").status_code == 404
    assert client.delete("/api/goals/nope", headers=h["admin"]).status_code == 404
    assert client.get("/api/goals").json() == before


def test_delete(api) -> None:
    client, h = api
    client.post("/api/goals", json=BODY, headers=h["admin"])
    assert client.delete("/api/goals/retention", headers=h["admin"]).json() == {
        "name": "retention",
        "deleted": True,
    }
    assert client.get("/api/goals").json() == []
