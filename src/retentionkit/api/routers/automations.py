"""Automations over HTTP (docs/automations.md).

* ``GET /api/automations``: the rules with their sent / failed / held-out / skipped / dead
  counts and the next due actions (read key);
* ``GET /api/automations/log?rule=NAME&limit=N``: planned actions, newest first (read key);
* ``POST /api/automations``: add a rule, JSON ``{"name", "template" | "trigger", "after",
  "since", "unless": [...], "to", "channel", "url", "holdout", "survey", "subject", "body",
  "metric", "below", "above", "period", "goal", "risk", "gap_multiple", "max_score",
  "survey_type"}`` (admin
  key; the options of ``automations add``); ``subject`` and ``body`` are a Jinja2 text or an
  object ``{"": text for every language, "pl": …}``. Answers the rule and, for a webhook rule,
  its signing secret once;
* ``POST /api/automations/{name}/pause`` and ``/resume`` (admin key).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from retentionkit.automations.messages import prefixed_texts
from retentionkit.automations.service import AddRule, Log, Overview, SetStatus, run
from retentionkit.service.serialize import frame_records
from retentionkit.web.auth import AdminAuth, ReadAuth, ServiceDep

router = APIRouter(tags=["automations"])


Texts = str | dict[str, str] | None


class NewRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64)
    template: str | None = Field(default=None, max_length=64)
    trigger: str | None = Field(default=None, max_length=64)
    unless: list[str] = Field(default_factory=list, max_length=10)
    subject: Texts = None
    body: Texts = None
    metric: str | None = Field(default=None, max_length=64)
    below: float | str | None = None
    above: float | str | None = None
    period: str | None = Field(default=None, max_length=20)
    goal: str | None = Field(default=None, max_length=200)
    risk: float | str | None = None
    gap_multiple: float | str | None = None
    max_score: float | str | None = None
    survey_type: str | None = Field(default=None, max_length=20)
    after: str | None = Field(default=None, max_length=20)
    since: str | None = Field(default=None, max_length=40)
    to: str | None = Field(default=None, max_length=254)
    channel: str | None = Field(default=None, max_length=20)
    url: str | None = Field(default=None, max_length=2000)
    holdout: str | None = Field(default=None, max_length=10)
    survey: str | None = Field(default=None, max_length=64)


@router.get("/automations", summary="Rules, counts and next due actions", dependencies=[ReadAuth])
def overview(svc: ServiceDep) -> dict[str, Any]:
    return svc.run(lambda ws: run(ws, Overview()))  # type: ignore[no-any-return]


@router.get("/automations/log", summary="Planned actions and their status", dependencies=[ReadAuth])
def log(svc: ServiceDep, rule: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    frame = svc.run(lambda ws: run(ws, Log(rule, max(1, min(limit, 10000)))))
    return frame_records(frame)  # type: ignore[no-any-return]


@router.post("/automations", summary="Add a rule", dependencies=[AdminAuth], status_code=201)
def add(body: NewRule, svc: ServiceDep) -> dict[str, Any]:
    fields = body.model_dump()
    fields.update(subject=prefixed_texts(body.subject), body=prefixed_texts(body.body))
    request = AddRule(**fields)
    return svc.write(lambda ws: run(ws, request))  # type: ignore[no-any-return]


@router.post("/automations/{name}/pause", summary="Pause a rule", dependencies=[AdminAuth])
def pause(name: str, svc: ServiceDep) -> dict[str, Any]:
    return svc.write(lambda ws: run(ws, SetStatus(name, "paused")))  # type: ignore[no-any-return]


@router.post("/automations/{name}/resume", summary="Resume a rule", dependencies=[AdminAuth])
def resume(name: str, svc: ServiceDep) -> dict[str, Any]:
    return svc.write(lambda ws: run(ws, SetStatus(name, "active")))  # type: ignore[no-any-return]
