"""Custom rules (issue 16, item 1): every trigger and every ``unless`` condition on small
hand-built workspaces — deterministic keys, a second planning inserts nothing, events before
``--since`` never fire — bad input as one sentence that writes nothing (Hypothesis for names,
durations and templates), and a custom rule's localised email delivered to aiosmtpd."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retentionkit.automations import triggers
from retentionkit.automations.guards import action_key
from retentionkit.automations.messages import check_texts
from retentionkit.automations.rules import TRIGGERS, UNLESS, check_name
from retentionkit.automations.service import AddRule, DryRun, RunAutomations, parse_when, run
from retentionkit.automations.settings import parse_span
from retentionkit.errors import ConfigError, RetentionkitError, UnknownNameError
from retentionkit.workspace import Workspace

from .conftest import write_config
from .receivers import read, start_smtp

SINCE = "2026-01-01"
AS_OF = "2026-03-01"
TS = pd.Timestamp


def _orders(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(o, c, TS(t), 10.0) for o, c, t in rows],
        columns=["order_id", "customer_id", "ordered_at", "amount"],
    )


@pytest.fixture(scope="module")
def rich_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per module; each test gets a copy (:func:`rich`)."""
    folder = tmp_path_factory.mktemp("rich")
    ws = Workspace(folder / "rich.duckdb")
    _fill_rich(ws)
    ws.close()
    return folder / "rich.duckdb"


@pytest.fixture
def rich(tmp_path: Path, port: int, rich_file: Path) -> Workspace:
    import shutil

    write_config(tmp_path, port)
    shutil.copy(rich_file, tmp_path / "rich.duckdb")
    return Workspace(tmp_path / "rich.duckdb")


def _fill_rich(ws: Workspace) -> None:
    """Four customers (en, pl, ru, zh) with orders, tickets, subscription terms and survey
    answers around SINCE (each comment: what the data is for)."""
    ids = ["C1", "C2", "C3", "C4"]
    ws.ingest(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ids,
                "email": [f"{c.lower()}@example.com" for c in ids],
                "language": ["en", "pl", "ru", "zh"],
            }
        ),
    )
    ws.ingest(
        "orders",
        _orders(
            [
                ("O1", "C1", "2025-12-20 10:00"),  # before SINCE: never fires
                ("O2", "C1", "2026-01-05 10:00"),  # C1 orders again two days later
                ("O3", "C1", "2026-01-07 10:00"),
                ("O4", "C2", "2026-01-10 10:00"),
                ("O5", "C3", "2025-10-01 10:00"),  # C3: gap 31 days, silent since 11-01
                ("O6", "C3", "2025-11-01 10:00"),
                ("O7", "C4", "2025-06-01 10:00"),  # C4 fell silent before SINCE
                ("O8", "C4", "2025-06-11 10:00"),
            ]
        ),
    )
    ws.ingest(
        "tickets",
        pd.DataFrame(
            {
                "ticket_id": ["T0", "T1", "T2"],
                "customer_id": ["C2", "C1", "C2"],
                "opened_at": [TS("2025-12-01"), TS("2026-01-10 09:00"), TS("2026-01-12 09:00")],
                "resolved_at": [pd.NaT, TS("2026-01-11 08:00"), pd.NaT],
            }
        ),
    )
    ws.ingest(
        "subscriptions",
        pd.DataFrame(
            {
                "term_id": ["S1a", "S1b", "S2a"],
                "subscription_id": ["S1", "S1", "S2"],
                "customer_id": ["C3", "C3", "C4"],
                "started_at": [TS("2025-03-01"), TS("2026-01-20"), TS("2025-02-20")],
                "ended_at": [TS("2026-02-15"), pd.NaT, TS("2026-02-20")],
                "mrr": [10.0, 10.0, 20.0],
            }
        ),
    )
    ws.ingest(
        "survey_responses",
        pd.DataFrame(
            {
                "response_id": ["R0", "R1", "R2", "R3"],
                "survey": ["nps", "nps", "nps", "csat"],
                "score": [2.0, 3.0, 9.0, 2.0],
                "responded_at": [
                    TS("2025-12-01"),
                    TS("2026-01-15"),
                    TS("2026-01-16"),
                    TS("2026-01-17"),
                ],
                "customer_id": ["C1", "C1", "C2", "C3"],
            }
        ),
    )


def _plan(ws: Workspace, name: str, candidates: list[tuple[str, str]], as_of: str = AS_OF) -> set:
    """The (customer, occurrence) pairs planned for rule ``name`` as of ``as_of``; asserts the
    keys are action_key(rule, customer, occurrence) and a second planning inserts nothing."""
    from retentionkit.automations.planner import plan

    first = plan(ws, parse_when(as_of, "--as-of")).actions
    first = first[first["rule"] == name]
    index = {action_key(name, c, o): (c, o) for c, o in candidates}
    assert set(first["key"]) <= set(index), "a key that is not action_key(rule, customer, occ)"
    assert plan(ws, parse_when(as_of, "--as-of")).planned == 0
    return {index[k] for k in first["key"]}


EVERYONE = [
    (c, o)
    for c in ("C1", "C2", "C3", "C4")
    for o in [*(f"O{i}" for i in range(1, 9)), "T0", "T1", "T2", "S1a", "S1b", "S2a"]
    + [f"R{i}" for i in range(4)]
]


# -- every trigger and unless condition ----------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # order_placed, 7 days, unless ordered_again: O2 is followed by O3; O1 is history
        (
            {"trigger": "order_placed", "after": "7d", "unless": ["ordered_again"]},
            {("C1", "O3"), ("C2", "O4")},
        ),
        ({"trigger": "order_placed"}, {("C1", "O2"), ("C1", "O3"), ("C2", "O4")}),
        # unless answered_survey: C2 answered R2 on 01-16, within 7 days of O4
        (
            {"trigger": "order_placed", "after": "7d", "unless": ["answered_survey"]},
            {("C1", "O2"), ("C1", "O3")},
        ),
        # ticket_opened a day later unless ticket_resolved: T1 was resolved in time
        (
            {"trigger": "ticket_opened", "after": "1d", "unless": ["ticket_resolved"]},
            {("C2", "T2")},
        ),
        ({"trigger": "ticket_opened"}, {("C1", "T1"), ("C2", "T2")}),
        ({"trigger": "ticket_unresolved", "after": "48h"}, {("C2", "T2")}),
        # term_ending 14 days before, unless renewed: S1 renewed on 01-20, before 02-01
        (
            {"trigger": "term_ending", "after": "14d", "unless": ["renewed"]},
            {("C4", "S2a")},
        ),
        ({"trigger": "term_ending", "after": "14d"}, {("C3", "S1a"), ("C4", "S2a")}),
        # survey_answered: NPS ≤ 6 only (R3 is csat, R2 a promoter, R0 history)
        (
            {"trigger": "survey_answered", "max_score": "6", "survey_type": "nps"},
            {("C1", "R1")},
        ),
        # became_at_risk by silence: C1 (gap 9 days) and C3 (31 days); C4 went silent in 2025
        (
            {"trigger": "became_at_risk", "risk": "off", "gap_multiple": "3"},
            {("C1", "O3"), ("C3", "O6")},
        ),
    ],
)
def test_trigger_and_unless(rich: Workspace, options: dict, expected: set) -> None:
    run(rich, AddRule("r", since=SINCE, channel="log", **options))
    assert _plan(rich, "r", EVERYONE) == expected


def test_since_bounds_every_customer_trigger(rich: Workspace) -> None:
    """A later --since leaves out the earlier events; the history before SINCE never fires."""
    for i, trig in enumerate(["order_placed", "ticket_opened", "survey_answered"]):
        run(rich, AddRule(f"late{i}", since="2026-01-11", channel="log", trigger=trig))
    dry = run(rich, DryRun(as_of=AS_OF))
    keys = set(dry["key"])
    assert action_key("late0", "C2", "O4") not in keys  # 01-10 < since
    assert action_key("late1", "C2", "T2") in keys and action_key("late1", "C1", "T1") not in keys
    assert action_key("late2", "C1", "R1") in keys and action_key("late2", "C1", "R0") not in keys


def test_became_at_risk_by_churn_risk(rich: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The risk test: at risk on the scoring day, not already at risk with the same last
    order on the since day; both tests of one silence give one action."""
    scores = {
        dt.date(2026, 1, 1): {"C4": 0.9, "C1": 0.2},
        dt.date(2026, 3, 1): {"C1": 0.8, "C2": 0.9, "C3": 0.5, "C4": 0.95},
    }
    asked: list[dt.date] = []

    def fake(ws: Workspace, day: dt.date) -> pd.DataFrame:
        asked.append(day)
        got = scores[day]
        return pd.DataFrame({"customer_id": list(got), "risk": list(got.values())})

    monkeypatch.setattr(triggers, "risk_scores", fake)
    run(
        rich,
        AddRule(
            "risky",
            since=SINCE,
            channel="log",
            trigger="became_at_risk",
            risk="0.7",
            gap_multiple="off",
        ),
    )
    assert _plan(rich, "risky", EVERYONE) == {("C1", "O3"), ("C2", "O4")}  # C4: history
    run(rich, AddRule("wb", "win_back", since=SINCE, channel="log"))
    dry = run(rich, DryRun(as_of=AS_OF))
    wb = dry[dry["rule"] == "wb"]
    # C1 is both silent and risky: one action (same last order); C3 silent; C2 risky
    assert sorted(wb["customer_id"]) == ["C1", "C2", "C3"]
    assert set(asked) == {dt.date(2026, 1, 1), dt.date(2026, 3, 1)}


def test_risk_scores_come_from_the_at_risk_service_and_are_cached(
    rich: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retentionkit.automations import cache
    from retentionkit.service import operations

    calls: list[str] = []
    frame = pd.DataFrame({"customer_id": ["C1"], "risk": [0.9], "value_at_risk": [1.0]})

    def fake_run(ws: Workspace, request: object) -> object:
        calls.append(type(request).__name__)
        return operations.Result(request, frame=frame)  # type: ignore[arg-type]

    import retentionkit.service as service

    monkeypatch.setattr(service, "run", fake_run)
    cache.clear()
    day = dt.date(2026, 3, 1)
    a = triggers.risk_scores(rich, day)
    b = triggers.risk_scores(rich, day)
    assert calls == ["ChurnAtRiskRequest"] and a is b  # once per data version and day
    rich.ingest("orders", _orders([("O9", "C2", "2026-02-01")]))
    triggers.risk_scores(rich, day)
    assert len(calls) == 2  # new data: computed again


@pytest.fixture
def monthly(tmp_path: Path, port: int) -> Workspace:
    """Orders only; monthly CRR (%): Feb 80, Mar 37.5, Apr 100, May 66.7, Jun incomplete."""
    write_config(tmp_path, port)
    ws = Workspace(tmp_path / "kpi.duckdb")
    active = {
        "A": [1, 2, 3, 4, 5, 6], "B": [1, 2, 3, 4, 5, 6], "C": [1, 2, 3, 4, 5, 6],
        "D": [1, 2, 4, 5, 6], "E": [1, 2, 4, 6], "F": [1, 2, 4], "G": [1, 2], "H": [1, 2],
        "I": [1], "J": [1],
    }  # fmt: skip
    ws.ingest("customers", pd.DataFrame({"customer_id": list(active)}))
    ws.ingest(
        "orders",
        _orders([(f"{c}{m}", c, f"2026-{m:02d}-10") for c, ms in active.items() for m in ms]),
    )
    return ws


def _team(ws: Workspace, name: str, as_of: str) -> list[str]:
    dry = run(ws, DryRun(as_of=as_of))
    dry = dry[dry["rule"] == name]
    assert (dry["customer_id"] == "").all()
    return list(dry["key"])


def test_kpi_crossed_fires_once_per_crossing(monthly: Workspace) -> None:
    def add(name: str, **options: object) -> None:
        run(monthly, AddRule(name, trigger="kpi_crossed", metric="crr", **options))  # type: ignore[arg-type]

    add("crr-low", since=SINCE, below="70", to="team@example.com",
        subject=["CRR fell to {{ value }} % in {{ period_start }}"])  # fmt: skip
    add("late", since="2026-04-15", below="70%", channel="log")  # after March: May only
    add("rec", since=SINCE, below="70", after="31d", unless=["recovered"], channel="log")
    add("high", since=SINCE, above="90", channel="log")
    july = run(monthly, DryRun(as_of="2026-07-01"))
    assert (july["customer_id"] == "").all()

    def keys(frame: pd.DataFrame, rule: str) -> list[str]:
        return frame.loc[frame["rule"] == rule, "key"].tolist()

    assert keys(july, "crr-low") == [
        action_key("crr-low", "", f"crr:month:2026-{m}-01") for m in ("03", "05")
    ]
    assert july.loc[july["rule"] == "crr-low", "subject"].tolist() == [
        "CRR fell to 37.5 % in 2026-03-01",
        "CRR fell to 66.6667 % in 2026-05-01",
    ]
    assert keys(july, "late") == [action_key("late", "", "crr:month:2026-05-01")]
    assert keys(july, "rec") == []  # March recovered in April; May is not due yet
    assert keys(july, "high") == [action_key("high", "", "crr:month:2026-04-01")]
    assert run(monthly, RunAutomations(as_of="2026-07-01", deliver=False))["planned"] == 4
    august = run(monthly, DryRun(as_of="2026-08-01"))  # June stays incomplete
    assert keys(august, "rec") == [action_key("rec", "", "crr:month:2026-05-01")]
    assert len(august) == 1
    assert run(monthly, RunAutomations(as_of="2026-08-01", deliver=False))["planned"] == 1
    assert run(monthly, RunAutomations(as_of="2026-08-01", deliver=False))["planned"] == 0


def test_goal_off_track_fires_once_per_turn(rich: Workspace) -> None:
    from retentionkit.goals.model import Goal
    from retentionkit.goals.store import write_goal

    goal = Goal("retention", "metric", "crr", "month", None, None, "up", 70.0,
                dt.date(2026, 12, 31), dt.date(2026, 1, 1), 50.0)  # fmt: skip
    days = {
        "2025-12-01": "off_track",
        "2026-01-10": "on_track",
        "2026-01-11": "off_track",
        "2026-01-12": "off_track",
        "2026-01-13": "at_risk",
        "2026-01-14": "off_track",
    }
    write_goal(
        rich,
        goal,
        [
            {"name": "retention", "as_of": dt.date.fromisoformat(d), "current": 40.0,
             "progress": 0.1, "elapsed": 0.1, "p_hit": 0.1, "status": s, "method": "pace",
             "forecast": None, "evaluated_at": dt.datetime(2026, 1, 20)}
            for d, s in days.items()
        ],
    )  # fmt: skip
    run(
        rich,
        AddRule(
            "g",
            since=SINCE,
            trigger="goal_off_track",
            goal="retention",
            to="team@example.com",
            subject=["{{ goal }} is {{ status }}"],
        ),
    )
    assert _team(rich, "g", AS_OF) == [
        action_key("g", "", "retention:2026-01-11"),
        action_key("g", "", "retention:2026-01-14"),
    ]
    assert set(run(rich, DryRun(as_of=AS_OF))["subject"]) == {"retention is off_track"}
    run(
        rich,
        AddRule(
            "g2",
            since=SINCE,
            trigger="goal_off_track",
            goal="retention",
            after="2d",
            unless=["recovered"],
            channel="log",
        ),
    )
    assert _team(rich, "g2", AS_OF) == [action_key("g2", "", "retention:2026-01-14")]
    assert run(rich, RunAutomations(as_of=AS_OF, deliver=False))["planned"] == 3
    assert run(rich, RunAutomations(as_of=AS_OF, deliver=False))["planned"] == 0
    with pytest.raises(UnknownNameError, match="Unknown goal 'nope'; expected one of: retention"):
        run(rich, AddRule("g3", trigger="goal_off_track", goal="nope", channel="log"))


# -- bad input: one sentence, nothing written ---------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"trigger": "nope"}, "Unknown trigger 'nope'; expected one of: order_placed, ticket_"),
        ({"trigger": "order_placed", "unless": ["nope"]}, "expected one of: ordered_again, "),
        ({"trigger": "order_placed", "unless": ["renewed"]}, "valid there: ordered_again, ans"),
        ({"trigger": "kpi_crossed", "metric": "crr", "below": "30"}, "give the address with --to"),
        ({"trigger": "kpi_crossed", "metric": "crr", "channel": "log"}, "exactly one of --below"),
        ({"trigger": "kpi_crossed", "metric": "nope", "below": "1", "channel": "log"}, "nope"),
        (
            {"trigger": "kpi_crossed", "metric": "crr", "below": "0.3", "channel": "log"},
            "ambiguous: crr is in percent, so write 30",
        ),
        (
            {
                "trigger": "kpi_crossed",
                "metric": "crr",
                "below": "3",
                "channel": "log",
                "holdout": "10%",
            },
            "--holdout needs customers",
        ),
        ({"trigger": "goal_off_track", "channel": "log"}, "needs --goal NAME"),
        (
            {"trigger": "order_placed", "metric": "crr", "channel": "log"},
            "--metric does not apply to trigger order_placed",
        ),
        ({"trigger": "order_placed"}, "needs --subject TEXT and --body-file FILE"),
        (
            {"trigger": "order_placed", "subject": ["Hi {{ name"], "body": ["x"]},
            "--subject is not a valid Jinja2 template: line 1",
        ),
        (
            {"trigger": "order_placed", "subject": ["Hi"], "body": ["{{ nope }}"]},
            "--body-file uses the undefined variable 'nope'; trigger order_placed gives:",
        ),
        (
            {"trigger": "order_placed", "subject": ["Hi"], "body": ["{{ metric }}"]},
            "undefined variable 'metric'",
        ),
        (
            {"template": "feedback_request", "subject": ["pl={% if %}"]},
            r"--subject \(pl\) is not a valid Jinja2 template",
        ),
        (
            {"trigger": "became_at_risk", "risk": "off", "gap_multiple": "off", "channel": "log"},
            "leave nothing to trigger on",
        ),
        ({"trigger": "became_at_risk", "risk": "2", "channel": "log"}, "at most 1"),
        ({"trigger": "order_placed", "channel": "log", "subject": ["x"]}, "only used with"),
        ({"template": "win_back", "unless": ["ordered_again"]}, "--unless is for custom rules"),
        ({"template": "win_back", "trigger": "order_placed"}, "either --template"),
        ({}, "either --template"),
    ],
)
def test_bad_custom_rules_are_one_sentence(kwargs: dict, fragment: str) -> None:
    """Refused when the request is built: before any workspace is opened or written."""
    with pytest.raises(RetentionkitError, match=fragment) as info:
        AddRule("r1", **kwargs)
    assert "\n" not in str(info.value)


@given(st.text(max_size=70))
@settings(max_examples=60, deadline=None)
def test_rule_names_are_checked(name: str) -> None:
    try:
        assert check_name(name) == name
    except ConfigError as exc:
        assert str(exc).startswith("Rule name ") and "\n" not in str(exc)


@given(st.one_of(st.text(max_size=8), st.from_regex(r"\A-?[0-9]{1,4}(\.[0-9])?[smhdw]\Z")))
@settings(max_examples=80, deadline=None)
def test_durations_parse_or_are_one_sentence(text: str) -> None:
    try:
        span = parse_span(text, "--after")
    except ConfigError as exc:
        assert str(exc).startswith("--after ") and "\n" not in str(exc)
    else:
        assert span >= dt.timedelta(0)


_PIECES = st.sampled_from(
    ["{{ customer_id }}", "{{ order_id }}", "{{ nope }}", "{%", "%}", "{{", "}}", "{% if x %}",
     "{% endif %}", "{{ amount | round }}", "text ", "\n", "{# c #}", "{{ ''.__class__ }}"]
)  # fmt: skip


@given(st.lists(_PIECES, min_size=1, max_size=6).map("".join))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_templates_are_accepted_or_refused_in_one_sentence(source: str) -> None:
    try:
        check_texts("order_placed", {}, {"": source})
    except ConfigError as exc:
        assert str(exc).startswith("--body-file") and "\n" not in str(exc).rstrip(".")


def test_vocabularies_are_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "automations.md").read_text(encoding="utf-8")
    for name in [*TRIGGERS, *UNLESS]:
        assert f"`{name}`" in doc, name


# -- faces -------------------------------------------------------------------------------


def test_cli_custom_rule_with_body_files_and_errors(tmp_path: Path, rich: Workspace) -> None:
    from retentionkit.cli.app import main

    body = tmp_path / "body.j2"
    body.write_text("Order {{ order_id }}: thanks!\n", encoding="utf-8")
    bad = tmp_path / "bad.j2"
    bad.write_text("{{ order_id }\n", encoding="utf-8")
    db = str(rich.path)
    rich.con.disconnect()
    base = ["--db", db, "automations", "add"]
    ok = ["--trigger", "order_placed", "--after", "2d", "--unless", "ordered_again",
          "--subject", "Thanks", "--subject", "pl=Dzięki", "--body-file", str(body),
          "--since", SINCE]  # fmt: skip
    assert main([*base, "thanks", *ok]) == 0
    assert main([*base, "x", "--trigger", "order_placed", "--subject", "s", "--body-file",
                 str(bad)]) == 2  # fmt: skip
    assert main([*base, "y", "--trigger", "order_placed", "--subject", "s", "--body-file",
                 str(tmp_path / "missing.j2")]) == 2  # fmt: skip
    assert main([*base, "z", "--trigger", "bogus"]) == 2
    assert main(["--db", db, "automations", "show", "thanks"]) == 0


def test_rest_and_python_api_add_custom_rules(rich: Workspace) -> None:
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.keys import KeyStore, keys_path_for
    from retentionkit.web.service import WorkspaceService
    from retentionkit.web.settings import WebSettings

    made = rich.add_automation(
        "py", trigger="ticket_unresolved", after="48h", to="support@example.com", since=SINCE
    )
    assert made["rule"]["summary"].startswith("when ticket_unresolved, after 2d")
    assert [r["name"] for r in rich.automations()] == ["py"]
    with pytest.raises(ConfigError, match="'bogus'"):
        rich.add_automation("p2", trigger="order_placed", bogus=1)
    settings_ = WebSettings(db=rich.path, warm_cache=False)
    app = create_app(settings_)
    app.state.services[settings_] = WorkspaceService(workspace=rich)
    admin = {"Authorization": "Bearer " + KeyStore(keys_path_for(rich.path)).create("admin")[0]}
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        created = client.post(
            "/api/automations",
            json={"name": "rest", "trigger": "order_placed", "after": "3d",
                  "unless": ["ordered_again"], "subject": {"": "Hi", "pl": "Cześć"},
                  "body": "Order {{ order_id }}", "since": SINCE},
            headers=admin,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        assert created.json()["rule"]["params"]["subject"] == {"": "Hi", "pl": "Cześć"}
        bad = client.post(
            "/api/automations",
            json={"name": "bad", "trigger": "order_placed", "subject": "s", "body": "{{ x }}"},
            headers=admin,
        )
        assert bad.status_code == 422 and "undefined variable 'x'" in bad.json()["detail"]
        page = client.get("/automations")
        assert page.status_code == 200 and "when order_placed, after 3d" in page.text
    assert {r["name"] for r in rich.automations()} == {"py", "rest"}


# -- end to end: a custom rule's localised email over real SMTP ---------------------------


def test_custom_email_is_localised_and_delivered(
    tmp_path: Path, rich: Workspace, port: int
) -> None:
    out = tmp_path / "received.jsonl"
    smtp = start_smtp(port, out)
    try:
        run(
            rich,
            AddRule(
                "thanks",
                trigger="order_placed",
                after="1d",
                since=SINCE,
                subject=["Thanks for order {{ order_id }}", "pl=Dziękujemy za {{ order_id }}"],
                body=["Hello {{ customer_id }},\n\nthanks for {{ order_id }} <b>!</b>",
                      "pl=Dzień dobry,\n\ndziękujemy za {{ order_id }}."],
            ),
        )  # fmt: skip
        first = run(rich, RunAutomations(as_of=AS_OF))
        second = run(rich, RunAutomations(as_of=AS_OF))
    finally:
        smtp.stop()
    # O3 comes a day after O2's email: the frequency cap (3 days) skips it
    assert (first["planned"], first["sent"], second["planned"], second["sent"]) == (3, 2, 0, 0)
    log = rich.automation_log("thanks")
    assert log.loc[log["status"] == "skipped", "reason"].tolist() == ["frequency cap"]
    from email.header import decode_header, make_header

    mails = {str(make_header(decode_header(m["subject"]))): m for m in read(out)}
    assert set(mails) == {"Thanks for order O2", "Dziękujemy za O4"}
    pl = mails["Dziękujemy za O4"]
    assert pl["to"] == ["c2@example.com"] and "dziękujemy za O4." in pl["text"]
    assert "Wypisz się" in pl["text"] and "/u/" in pl["list_unsubscribe"]
    assert pl["id"] == f"<{action_key('thanks', 'C2', 'O4')}@retentionkit>"
    assert "thanks for O2 <b>!</b>" in mails["Thanks for order O2"]["text"]


def test_templates_take_their_own_texts_per_language() -> None:
    """Item 3: a template's subject/body can be replaced, per language or for all; what is
    not replaced keeps the built-in, localised text."""
    from retentionkit.automations.messages import render
    from retentionkit.automations.rules import build_rule

    rule = build_rule(
        "fb",
        "feedback_request",
        after=None,
        since=dt.datetime(2026, 1, 1),
        to=None,
        channel=None,
        url=None,
        holdout=None,
        subject=["pl=Jak było, {{ customer_id }}?"],
        body=["Tell us: {{ survey_url }}"],
    )
    ctx = {"customer_id": "C9", "survey_url": "https://s/1", "unsubscribe_url": "https://u/1"}
    pl, ru = render(rule, "pl", ctx), render(rule, "ru", ctx)
    assert pl.subject == "Jak było, C9?" and ru.subject == "Как вам ваш заказ?"
    assert ru.text.startswith("Tell us: https://s/1") and "Отписаться" in ru.text


def test_a_message_that_cannot_render_is_dead_at_once(
    rich: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No retry can mend a template that fails on a row's values: dead after one attempt."""
    from retentionkit.automations import deliverer
    from retentionkit.automations.channels import PermanentDeliveryError

    def broken(*_: object) -> str:
        raise PermanentDeliveryError("message template of rule broken failed: boom")

    monkeypatch.setattr(deliverer, "_send", broken)
    run(rich, AddRule("broken", trigger="order_placed", channel="log", since=SINCE))
    out = run(rich, RunAutomations(as_of=AS_OF))
    log = rich.automation_log("broken")
    assert out["dead"] == len(log) > 0 and out["failed"] == 0
    assert set(log["status"]) == {"dead"} and set(log["failures"]) == {1}
