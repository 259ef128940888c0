"""GET /api/clv and the /clv page name the model used (docs/cli.md)."""

from __future__ import annotations

import json
from pathlib import Path

from retentionkit.service.options import purchase_model_choices
from retentionkit.workspace import Workspace


def test_api_and_pages_name_the_model(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/clv", params={"horizon": 12})
    assert response.status_code == 200, response.text
    model = response.headers["X-Retentionkit-Model"]
    status = response.headers["X-Retentionkit-Model-Status"]
    assert response.json()[0]["model"] == model
    assert response.json()[0]["model_status"] == status
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/clv"]["get"]["parameters"]}
    assert params["model"]["schema"]["enum"] == list(purchase_model_choices())
    page = client.get("/clv")
    assert page.status_code == 200
    assert "Model: " in page.text


def test_api_sends_the_model_warnings_python_gets(client, db: Path) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/clv", params={"horizon": 12})
    assert response.status_code == 200, response.text
    raw = response.headers["X-Retentionkit-Warnings"]
    assert raw.isascii()
    warnings = json.loads(raw)
    assert warnings and warnings == Workspace(db).clv(horizon=12).attrs["warnings"]
