"""Writes need an admin key; reads need a key off loopback unless --public-read; the key file
holds only salted hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GOOD_CUSTOMERS = b"customer_id,country,channel\nNEW0001,PL,organic\nNEW0002,DE,social\n"


#: Writes authenticated by a per-survey Standard Webhooks signature instead of an API key
#: (issue 15; tests/surveys/test_answer_page.py::test_webhook_api checks they refuse a bad one).
SIGNED_WEBHOOKS = {("POST", "/api/surveys/{name}/responses")}


def write_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every (method, path) of the API that changes data with an API key (from the OpenAPI
    schema)."""
    out = []
    for path, ops in app.openapi()["paths"].items():
        for method in ops:
            if (method.upper(), path) in SIGNED_WEBHOOKS:
                continue
            if method.upper() in {"POST", "PUT", "PATCH", "DELETE"} and path.startswith("/api"):
                out.append((method.upper(), path))
    return sorted(out)


def _goal() -> dict[str, object]:
    """A valid goal with a fresh name (the goal routes are writes too)."""
    import uuid

    return {"name": f"g-{uuid.uuid4().hex[:8]}", "metric": "new_customers",
            "target": 1_000_000, "by": "2030-12-31"}  # fmt: skip


def _call(client, method: str, path: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    if path.startswith("/api/goals"):
        goal = _goal()
        if "{name}" in path:  # PATCH/DELETE act on an existing goal: add one with the same key
            client.post("/api/goals", json=goal, headers=headers or {})
        body = {"target": 2_000_000} if method == "PATCH" else goal
        concrete = path.replace("{name}", str(goal["name"]))
        return client.request(method, concrete, json=body, headers=headers or {})
    concrete = path.replace("{table}", "customers")
    files = {"file": ("customers.csv", GOOD_CUSTOMERS, "text/csv")}
    return client.request(method, concrete, files=files, headers=headers or {})


def test_there_are_write_routes(client) -> None:  # type: ignore[no-untyped-def]
    assert ("POST", "/api/ingest/{table}") in write_routes(client.app)


@pytest.mark.parametrize(
    ("who", "status"),
    [("none", 401), ("wrong", 401), ("malformed", 401), ("revoked", 401), ("read", 403)],
)
def test_write_routes_refuse_without_an_admin_key(
    client,
    keys,
    auth,
    counts,
    db: Path,
    who: str,
    status: int,  # type: ignore[no-untyped-def]
) -> None:
    from retentionkit.web.keys import KeyStore, keys_path_for

    headers = {
        "none": {},
        "wrong": auth(keys["admin"][:-4] + "AAAA"),
        "malformed": {"Authorization": "Basic dXNlcjpwYXNz"},
        "revoked": auth(keys["admin"]),
        "read": auth(keys["read"]),
    }[who]
    if who == "revoked":
        store = KeyStore(keys_path_for(db))
        store.revoke(keys["admin"].split("_")[1])
    client.get("/api/metrics", params={"metric": "crr", "last": 1})  # opens the workspace
    before = counts(client)
    for method, path in write_routes(client.app):
        response = _call(client, method, path, headers)
        assert response.status_code == status, (path, response.text)
        assert isinstance(response.json()["detail"], str)
        if status == 401:
            assert response.headers["www-authenticate"] == "Bearer"
    assert counts(client) == before


def test_admin_key_writes(client, keys, auth, counts) -> None:  # type: ignore[no-untyped-def]
    client.get("/api/metrics", params={"metric": "crr", "last": 1})
    before = counts(client)
    for method, path in write_routes(client.app):
        if "{table}" not in path:  # uploads only; automations' admin writes: tests/automations
            continue
        response = _call(client, method, path, auth(keys["admin"]))
        assert response.status_code in (200, 201), response.text  # 201: POST /api/goals
    after = counts(client)
    assert after["customers"] == before["customers"] + 2


def test_reads_are_open_on_loopback_only(make_client, keys, auth) -> None:  # type: ignore[no-untyped-def]
    local = make_client()
    assert local.get("/api/metrics", params={"metric": "crr", "last": 1}).status_code == 200

    exposed = make_client(host="0.0.0.0")
    for path in ("/api/metrics?metric=crr&last=1", "/", "/trends"):
        assert exposed.get(path).status_code == 401, path
        assert exposed.get(path, headers=auth("rk_00000000_nope")).status_code == 401
        assert exposed.get(path, headers=auth(keys["read"])).status_code == 200, path
        assert exposed.get(path, headers=auth(keys["admin"])).status_code == 200, path

    public = make_client(host="0.0.0.0", public_read=True)
    assert public.get("/api/metrics", params={"metric": "crr", "last": 1}).status_code == 200
    assert _call(public, "POST", "/api/ingest/{table}").status_code == 401  # writes stay shut


def test_login_cookie_allows_reads_but_never_writes(make_client, keys) -> None:  # type: ignore[no-untyped-def]
    exposed = make_client(host="10.0.0.1")
    bad = exposed.post("/login", data={"key": "rk_deadbeef_wrong"})
    assert bad.status_code == 401 and "not valid" in bad.text
    ok = exposed.post("/login", data={"key": keys["admin"]}, follow_redirects=False)
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert exposed.get("/").status_code == 200  # the client keeps the cookie
    assert _call(exposed, "POST", "/api/ingest/{table}").status_code == 401


def test_html_clients_get_an_error_page(make_client) -> None:  # type: ignore[no-untyped-def]
    exposed = make_client(host="0.0.0.0")
    page = exposed.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/login"' in page.text


def test_key_file_holds_only_salted_hashes(db: Path, keys) -> None:  # type: ignore[no-untyped-def]
    from retentionkit.web.keys import keys_path_for

    path = keys_path_for(db)
    text = path.read_text()
    for key in keys.values():
        assert key.split("_", 2)[2] not in text
    stored = json.loads(text)["keys"]
    assert {k["role"] for k in stored} == {"admin", "read"}
    assert len({k["salt"] for k in stored}) == 2
    assert path.stat().st_mode & 0o077 == 0


def test_keys_cli_create_list_revoke(db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from retentionkit.cli.app import main
    from retentionkit.errors import AuthError
    from retentionkit.web.keys import KeyStore, keys_path_for

    assert main(["--db", str(db), "keys", "create", "--role", "read", "--name", "bi"]) == 0
    out = capsys.readouterr()
    key = out.out.strip()
    assert key.startswith("rk_") and "shown only now" in out.err
    store = KeyStore(keys_path_for(db))
    assert store.verify(key).role == "read"

    assert main(["--db", str(db), "keys", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "bi" and "hash" not in listed[0] and "salt" not in listed[0]

    assert main(["--db", str(db), "keys", "revoke", listed[0]["id"]]) == 0
    with pytest.raises(AuthError):
        store.verify(key)
    assert main(["--db", str(db), "keys", "create", "--role", "owner"]) == 2
    assert "admin, read" in capsys.readouterr().err
    assert main(["--db", str(db), "keys", "revoke", "nope"]) == 2
