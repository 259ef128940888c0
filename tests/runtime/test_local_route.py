"""The local route in process (no subprocess): any registered request of any family runs with
its own service function; a writing one bumps the data version, a read does not; only the
local token opens it; an unregistered type or bad input is one sentence with its exit code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from retentionkit.config import Settings
from retentionkit.runtime.client import LOCAL_ROUTE, TOKEN_HEADER
from retentionkit.service.wire import answer_from_json, request_to_json
from retentionkit.workspace import Workspace

TOKEN = "local-test-token"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    from retentionkit.server import create_app
    from retentionkit.web.settings import WebSettings

    db = tmp_path / "w.duckdb"
    (tmp_path / "c.csv").write_text("customer_id,signed_up_at\nc1,2024-01-01\nc2,2024-02-01\n")
    with Workspace(db, settings=Settings()) as ws:
        ws.ingest("customers", tmp_path / "c.csv")
    settings = WebSettings(db=db, host="127.0.0.1", port=0, warm_cache=False)
    with TestClient(create_app(settings, local_token=TOKEN)) as test_client:
        yield test_client


def _post(client: TestClient, request: Any, token: str = TOKEN) -> tuple[int, dict[str, Any]]:
    response = client.post(
        LOCAL_ROUTE, json={"request": request_to_json(request)}, headers={TOKEN_HEADER: token}
    )
    return response.status_code, response.json()


def test_writes_bump_the_version_and_reads_see_them(client: TestClient) -> None:
    from retentionkit.automations.service import AddRule, Overview
    from retentionkit.goals.model import GoalAddRequest, GoalListRequest, build_request
    from retentionkit.service import TablesRequest
    from retentionkit.surveys.service import CreateSurvey, ListSurveys

    status, first = _post(client, ListSurveys())
    assert status == 200 and answer_from_json(ListSurveys(), first) == []
    version = first["version"]
    writes = [
        CreateSurvey("fb", "csat"),
        AddRule("win", "win_back", channel="log"),
        build_request(GoalAddRequest, name="g", kind="number", target=5, by="2031-01-01"),
    ]
    for request in writes:
        status, data = _post(client, request)
        assert status == 200, data
        assert data["version"] == version + 1
        version = data["version"]
    surveys = answer_from_json(ListSurveys(), _post(client, ListSurveys())[1])
    assert [s.name for s in surveys] == ["fb"]  # Survey objects, rebuilt
    overview = answer_from_json(Overview(), _post(client, Overview())[1])
    assert [r["name"] for r in overview["rules"]] == ["win"]
    goals = answer_from_json(GoalListRequest(), _post(client, GoalListRequest())[1])
    assert [g["name"] for g in goals.report] == ["g"]
    status, data = _post(client, TablesRequest(every=True))
    assert status == 200 and data["version"] == version  # reads leave the version alone
    assert {"goals", "surveys", "automation_rules"} <= set(answer_from_json(None, data).report)


def test_bad_input_unknown_types_and_wrong_tokens(client: TestClient) -> None:
    from retentionkit.errors import ConfigError, UnknownNameError
    from retentionkit.surveys.service import CreateSurvey, ShowSurvey

    assert _post(client, CreateSurvey("fb", "csat"))[0] == 200
    status, data = _post(client, CreateSurvey("fb", "csat"))  # a duplicate: one sentence
    assert status >= 400 and "\n" not in data["error"]["message"]
    assert data["error"]["exit_code"] != 0
    status, data = _post(client, ShowSurvey("nope"))
    assert data["error"]["type"] == UnknownNameError.__name__
    assert data["error"]["exit_code"] == UnknownNameError.exit_code
    body = {"request": {"type": "Settings", "fields": {}}}  # a real class, not a request
    response = client.post(LOCAL_ROUTE, json=body, headers={TOKEN_HEADER: TOKEN})
    assert response.json()["error"]["message"].startswith("Not a retentionkit request")
    body = {"request": {"type": "CreateSurvey", "fields": {"name": "x", "type": "poll"}}}
    response = client.post(LOCAL_ROUTE, json=body, headers={TOKEN_HEADER: TOKEN})
    assert response.json()["error"]["type"] == ConfigError.__name__  # validated on arrival
    assert _post(client, ShowSurvey("fb"), token="wrong")[0] == 401
    assert client.post(LOCAL_ROUTE, json={}).status_code == 401
