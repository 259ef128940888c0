"""Rules, planning, guard rails, messages, channels and faces of the automations package
(issue 16), on a small hand-made shop and real receivers on loopback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.automations.guards import action_key, after_quiet_hours, in_holdout
from retentionkit.automations.messages import render
from retentionkit.automations.rules import build_rule
from retentionkit.automations.service import (
    AddRule,
    Backtest,
    DryRun,
    Log,
    Overview,
    Report,
    RunAutomations,
    SetStatus,
    Unsubscribe,
    run,
)
from retentionkit.errors import ConfigError, RetentionkitError, UnknownNameError
from retentionkit.workspace import Workspace

from .conftest import free_port, load_shop, write_config
from .receivers import read, start_smtp, start_webhook

AS_OF = "2026-03-01"


@pytest.fixture
def shop(tmp_path: Path, port: int) -> Workspace:
    write_config(tmp_path, port)
    ws = Workspace(tmp_path / "ws.duckdb")
    load_shop(ws, 12)
    return ws


def _count(ws: Workspace, table: str) -> int:
    return int(ws.con.raw_sql(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- bad input: one sentence, nothing written --------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"template": "nope"}, "expected one of: feedback_request, ticket_reminder"),
        ({"after": "soon"}, "--after 'soon' is not a duration"),
        ({"channel": "webhook", "url": "ftp://x"}, "must be an http:// or https:// URL"),
        ({"channel": "webhook"}, "--channel webhook needs --url"),
        ({"template": "ticket_reminder"}, "give the address with --to"),
        ({"holdout": "200%"}, "between 0% and 90%"),
        ({"channel": "sms"}, "--channel 'sms' is not one of: email, webhook, log"),
    ],
)
def test_bad_rule_options_are_one_sentence(shop: Workspace, kwargs: dict, fragment: str) -> None:
    args = {"template": "feedback_request", **kwargs}
    with pytest.raises(RetentionkitError, match=fragment.replace("(", r"\(")):
        run(shop, AddRule("r1", **args))
    assert not shop.has_table("automation_rules") or _count(shop, "automation_rules") == 0


def test_email_rule_without_smtp_settings_writes_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "bare.duckdb")
    load_shop(ws, 2)
    with pytest.raises(ConfigError, match=r"Email rules need \[smtp\] host and from"):
        run(ws, AddRule("fb", "feedback_request"))
    assert not ws.has_table("automation_rules")


def test_unknown_rule_lists_the_rules(shop: Workspace) -> None:
    run(shop, AddRule("fb", "feedback_request", since="2026-01-01"))
    with pytest.raises(UnknownNameError, match="expected one of: fb"):
        run(shop, SetStatus("nope", "paused"))


# -- planning --------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_run_plans_each_key_once(shop: Workspace) -> None:
    run(shop, AddRule("fb", "feedback_request", since="2026-01-01"))
    dry = run(shop, DryRun(as_of=AS_OF))
    assert list(dry.columns[:7]) == [
        "rule",
        "customer_id",
        "key",
        "due_at",
        "channel",
        "recipient",
        "subject",
    ]
    assert len(dry) == 12 and _count(shop, "automation_outbox") == 0
    assert dry["key"].iloc[0] == action_key("fb", dry["customer_id"].iloc[0], "O0001")
    first = run(shop, RunAutomations(as_of=AS_OF, deliver=False))
    second = run(shop, RunAutomations(as_of=AS_OF, deliver=False))
    assert (first["planned"], second["planned"]) == (12, 0)
    assert _count(shop, "automation_outbox") == 12 and _count(shop, "automation_runs") == 2


def test_since_defaults_to_now_so_history_never_fires(shop: Workspace) -> None:
    run(shop, AddRule("fb", "feedback_request"))
    assert run(shop, DryRun(as_of="2027-01-01")).empty


def test_unless_ordered_again_and_delay(shop: Workspace) -> None:
    import pandas as pd

    shop.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["O9999"],
                "customer_id": ["C0001"],
                "ordered_at": [pd.Timestamp("2026-01-08 10:00")],
                "amount": [5.0],
            }
        ),
    )
    run(shop, AddRule("fb", "feedback_request", since="2026-01-01"))
    dry = run(shop, DryRun(as_of=AS_OF))
    c1 = dry[dry["customer_id"] == "C0001"]
    assert len(c1) == 1  # O0001 is cancelled by the order three days later; O9999 fires
    assert str(c1["due_at"].iloc[0]).startswith("2026-01-15 10:00")
    early = run(shop, DryRun(as_of="2026-01-12 18:00"))  # 7 days not yet over for most
    assert len(early) < len(dry)


def test_frequency_cap_across_rules_and_holdout(shop: Workspace) -> None:
    run(shop, AddRule("a", "feedback_request", since="2026-01-01"))
    run(shop, AddRule("b", "feedback_request", since="2026-01-01", after="8d", holdout="50%"))
    dry = run(shop, DryRun(as_of=AS_OF))
    b = dry[dry["rule"] == "b"]
    assert set(b["status"]) <= {"held_out", "skipped"}
    assert (b.loc[b["status"] == "skipped", "reason"] == "frequency cap").all()
    held = b["status"] == "held_out"
    assert held.sum() == sum(in_holdout(c, "b", 0.5) for c in b["customer_id"])


@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12))
@settings(max_examples=50, deadline=None)
def test_holdout_is_stable_and_monotone(customer: str, rule: str) -> None:
    assert in_holdout(customer, rule, 0.3) == in_holdout(customer, rule, 0.3)
    if in_holdout(customer, rule, 0.1):
        assert in_holdout(customer, rule, 0.2)
    assert not in_holdout(customer, rule, 0.0)


@given(st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)))
@settings(max_examples=100, deadline=None)
def test_quiet_hours_move_due_times_out_of_the_window(due: dt.datetime) -> None:
    quiet = (dt.time(21), dt.time(8))
    moved = after_quiet_hours(due, "Europe/Warsaw", quiet)
    local = moved.replace(tzinfo=dt.UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Warsaw")
    )
    # the window is 11 hours long, 12 on the night the clocks go back (2028-10-29 in Warsaw)
    assert moved >= due and moved - due <= dt.timedelta(hours=12, minutes=1)
    assert dt.time(8) <= local.time() < dt.time(21)


# -- messages and delivery ---------------------------------------------------------------------


def test_messages_are_localised_and_html_is_escaped() -> None:
    rule = build_rule(
        "fb",
        "feedback_request",
        after=None,
        since=dt.datetime(2026, 1, 1),
        to=None,
        channel=None,
        url=None,
        holdout=None,
    )
    ctx = {"customer_id": "<b>x</b>", "survey_url": "https://s/1", "unsubscribe_url": "https://u"}
    assert render(rule, "pl", ctx).subject == "Jak oceniasz swoje zamówienie?"
    assert render(rule, "ru", ctx).subject == "Как вам ваш заказ?"
    assert render(rule, "zh", ctx).subject == "您对这次订单满意吗？"
    assert render(rule, "xx", ctx).subject == "How was your order?"
    html = render(rule, "en", {**ctx, "survey_url": '"><script>'}).html
    assert "<script>" not in html and "&#34;&gt;&lt;script&gt;" in html


def test_delivery_smtp_and_signed_webhook_with_survey_links_and_unsubscribe(
    tmp_path: Path, shop: Workspace, port: int
) -> None:
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.surveys.webhooks import verify
    from retentionkit.web.service import WorkspaceService
    from retentionkit.web.settings import WebSettings

    out = tmp_path / "received.jsonl"
    hook_port = free_port()
    smtp, hook = start_smtp(port, out), start_webhook(hook_port, out)
    try:
        run(shop, AddRule("fb", "feedback_request", since="2026-01-01"))
        made = run(
            shop,
            AddRule(
                "hook",
                "win_back",
                since="2026-01-01",
                risk="off",  # the silence test alone (the risk test: test_custom_rules.py)
                channel="webhook",
                url=f"http://127.0.0.1:{hook_port}/x",
            ),
        )
        result = run(shop, RunAutomations(as_of=AS_OF))
        again = run(shop, RunAutomations(as_of=AS_OF))
    finally:
        smtp.stop()
        hook.shutdown()
    assert result["sent"] == 12 and again == {**again, "planned": 0, "sent": 0}
    got = read(out)
    mails = [r for r in got if r["kind"] == "email"]
    assert len(mails) == 12 and all(r["id"].endswith("@retentionkit>") for r in mails)
    assert all("/s/" in r["text"] and "/u/" in r["list_unsubscribe"] for r in mails)
    assert not [r for r in got if r["kind"] == "webhook"]  # one order each: nobody at risk
    assert made["webhook_secret"].startswith("whsec_")

    # the survey link works: the answer page opens for that customer
    settings_ = WebSettings(db=shop.path, warm_cache=False)
    app = create_app(settings_)
    app.state.services[settings_] = WorkspaceService(workspace=shop)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        link = next(w for w in mails[0]["text"].split() if "/s/" in w)
        assert client.get(link.replace("http://127.0.0.1:8000", "")).status_code == 200
        unsub = mails[0]["list_unsubscribe"].split("<")[-1].rstrip(">")
        path = unsub.replace("http://127.0.0.1:8000", "")
        assert client.get(path).status_code == 200
        assert client.post(path).status_code == 200
        assert client.get("/u/not-a-token").status_code == 404
        assert client.get("/api/automations").json()["rules"][0]["sent"] == 12
        assert len(client.get("/api/automations/log?rule=fb").json()) == 12
        assert client.post("/api/automations/fb/pause").status_code == 401
        from retentionkit.web.keys import KeyStore, keys_path_for

        admin = {"Authorization": "Bearer " + KeyStore(keys_path_for(shop.path)).create("admin")[0]}
        assert client.post("/api/automations/fb/pause", headers=admin).json()["status"] == "paused"
        assert client.post("/api/automations/fb/resume", headers=admin).json()["status"] == "active"
        created = client.post(
            "/api/automations",
            json={"name": "wb2", "template": "win_back", "channel": "log"},
            headers=admin,
        )
        assert created.status_code == 201 and created.json()["rule"]["name"] == "wb2"
        bad = client.post("/api/automations", json={"name": "x", "template": "nope"}, headers=admin)
        assert bad.status_code == 422 and "expected one of" in bad.json()["detail"]
        page = client.get("/automations")
        assert page.status_code == 200 and "feedback_request" in page.text
    customer = run(shop, Unsubscribe(path.split("/")[-1]))["customer_id"]
    assert _count(shop, "automation_optouts") == 1
    assert customer in {r["to"][0].split("@")[0].upper() for r in mails}

    # a webhook body verifies with the rule's secret (Standard Webhooks)
    record = {"webhook-id": "k", "webhook-timestamp": "1", "webhook-signature": "v1,x"}
    with pytest.raises(RetentionkitError):
        verify(made["webhook_secret"], record, b"{}")


def test_webhook_is_signed_with_the_key_as_id(tmp_path: Path, shop: Workspace) -> None:
    import pandas as pd

    from retentionkit.surveys.webhooks import verify

    shop.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["O8001", "O8002"],
                "customer_id": ["C0002", "C0002"],
                "ordered_at": [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-03")],
                "amount": [1.0, 1.0],
            }
        ),
    )
    hook_port = free_port()
    out = tmp_path / "hooks.jsonl"
    hook = start_webhook(hook_port, out)
    try:
        made = run(
            shop,
            AddRule(
                "wb",
                "win_back",
                since="2026-01-01",
                risk="off",  # the silence test alone (the risk test: test_custom_rules.py)
                channel="webhook",
                url=f"http://127.0.0.1:{hook_port}/x",
            ),
        )
        run(shop, RunAutomations(as_of=AS_OF))
    finally:
        hook.shutdown()
    (record,) = read(out)
    headers = {k: record[k] for k in ("timestamp", "signature")}
    webhook_id = verify(
        made["webhook_secret"],
        {
            "webhook-id": record["id"],
            "webhook-timestamp": headers["timestamp"],
            "webhook-signature": headers["signature"],
        },
        record["body"].encode(),
    )
    body = json.loads(record["body"])
    assert webhook_id == body["key"] == action_key("wb", "C0002", body["occurrence"])


def test_report_backtest_log_and_pause(shop: Workspace) -> None:
    run(shop, AddRule("fb", "feedback_request", since="2026-01-01", channel="log", holdout="50%"))
    run(shop, RunAutomations(as_of=AS_OF))
    report = run(shop, Report("fb"))
    assert report["treated"]["actions"] + report["holdout"]["actions"] == 12
    bt = run(shop, Backtest("fb", "2026-01-01", "2026-03-01"))
    assert bt["would_message"] + bt["held_out"] + bt["skipped"] == 12
    assert len(run(shop, Log("fb"))) == 12
    run(shop, SetStatus("fb", "paused"))
    assert run(shop, Overview())["rules"][0]["status"] == "paused"
    with pytest.raises(ConfigError, match="--to 2026-01-01 must be after --from 2026-03-01"):
        Backtest("fb", "2026-03-01", "2026-01-01")


def test_cli_add_dry_run_and_errors(tmp_path: Path, shop: Workspace) -> None:
    from retentionkit.cli.app import main

    db = str(shop.path)
    shop.con.disconnect()
    assert (
        main(
            [
                "--db",
                db,
                "automations",
                "add",
                "fb",
                "--template",
                "feedback_request",
                "--since",
                "2026-01-01",
            ]
        )
        == 0
    )
    assert main(["--db", db, "automations", "dry-run", "--as-of", AS_OF, "--format", "csv"]) == 0
    assert main(["--db", db, "automations", "add", "x", "--template", "bogus"]) == 2
    assert (
        main(["--db", db, "automations", "add", "y", "--template", "win_back", "--after", "7 days"])
        == 2
    )
    assert main(["--db", db, "automations", "run", "--once", "--as-of", AS_OF]) == 0
