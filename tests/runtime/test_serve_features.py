"""The goals', surveys' and automations' commands through a real ``retentionkit serve``
subprocess on 127.0.0.1: the same output, exit code and one-sentence errors as on a server-less
copy of the workspace; their writes show in the REST API and the dashboard at the next request
(the data version moved); every ``rk.Workspace`` method gives the same answer either way.

The server runs without its own background writers (conftest.py: the once-a-minute automations
loop and the goals' evaluation 30 s after start-up), which would race ``automations run
--once`` and ``goals list`` here; they are tested with the automations and the goals."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retentionkit.cli.app import main
from retentionkit.config import Settings
from retentionkit.runtime.client import ServerClient
from retentionkit.runtime.files import RuntimeInfo
from retentionkit.service import RfmRequest
from retentionkit.workspace import Workspace

pytestmark = pytest.mark.slow

GOALS = [
    "goals add g1 --metric crr --target 80 --by 2027-12-31 --start 2024-01-01",
    "goals add g1 --metric crr --target 80 --by 2027-12-31 --start 2024-01-01",
    "goals add c1 --kind number --target 10 --by 2027-01-01 --owner Ann",
    "goals add bad --metric nope --target 1 --by 2027-01-01",
    "goals add bad --metric crr --target x --by 2027-01-01",
    "goals update c1 --current 4",
    "goals list --format json",
    "goals show g1 --format json",
    "goals evaluate --as-of 2024-03-01 --format csv",
    "goals delete c1",
    "goals show c1",
]
SURVEYS = [
    "surveys create fb --type csat",
    "surveys create fb --type csat",
    "surveys create Bad! --type csat",
    "surveys create n1 --type nps --company Acme --map score=$.data.score",
    "surveys create n2 --type nps --scale 1-5",
    "surveys list --format csv",
    "surveys list",
    "surveys show fb --format json",
    "surveys links fb --customer C000001 --customer C000002 --format json",
    "surveys links fb --customer NOPE",
    "surveys links fb",
    "surveys rotate-secret",
    "surveys delete n1",
    "surveys show n1",
]
AUTOMATIONS = [
    "automations add win --template win_back --channel log --since 2023-01-01",
    "automations add win --template win_back --channel log",
    "automations add x --template nope",
    "automations list --format csv",
    "automations show win --format json",
    "automations pause win",
    "automations dry-run --as-of 2024-06-01 --format csv",
    "automations resume win",
    "automations dry-run --as-of 2024-06-01 --format csv",
    "automations run --once --as-of 2024-06-01",
    "automations log --format csv",
    "automations list --format json",
    "automations report win --format json",
    "automations backtest win --from 2023-06-01 --to 2024-01-01 --format json",
    "automations backtest win --from 2024-01-01 --to 2023-01-01",
    "automations delete win",
    "automations show win",
]
#: The positions of the commands above that must fail (bad input, a duplicate name, a
#: deleted item).
BAD = {
    "goals": [1, 3, 4, len(GOALS) - 1],
    "surveys": [1, 2, 4, 9, 10, len(SURVEYS) - 1],
    "automations": [1, 2, len(AUTOMATIONS) - 3, len(AUTOMATIONS) - 1],
}
#: A time from today on: when a record was created, a link expires, an action was sent.
_NOW = re.compile(r"(20\d\d-\d\d-\d\d)[T ]\d\d:\d\d:\d\d(\.\d+)?Z?")


def _normal(text: str, name: str) -> str:
    """``text`` without what differs on every run: secrets, signed link tokens, times from
    today on, the workspace's file name."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    text = re.sub(r"whsec_[A-Za-z0-9+/=]+", "whsec_SECRET", text)
    text = re.sub(r"/s/[A-Za-z0-9._-]+", "/s/TOKEN", text)
    text = _NOW.sub(lambda m: "NOW" if m.group(1) >= today else m.group(0), text)
    return text.replace(f"{name}.duckdb", "WS")


def _write_data(folder: Path) -> None:
    from retentionkit.generate import generate_business, write_business

    write_business(generate_business(customers=150, months=12, seed=2), folder, fmt="csv")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, serve: Any) -> Iterator[tuple[Path, Any]]:
    tmp = tmp_path_factory.mktemp("serve_features")
    _write_data(tmp / "data")
    for name in ("direct", "served"):
        with Workspace(tmp / f"{name}.duckdb", settings=Settings()) as ws:
            ws.load_dir(tmp / "data")
    proc, info = serve(tmp / "served.duckdb", background=False)
    try:
        yield tmp, info
    finally:
        serve.stop(proc)


def _answers(
    commands: list[str], capsys: pytest.CaptureFixture[str]
) -> dict[str, list[tuple[int, str, str]]]:
    """(exit code, stdout, stderr) of each command, in order, on each workspace."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    for name in ("direct", "served"):
        out[name] = []
        for command in commands:
            rc = main(["--db", f"{name}.duckdb", *command.split()])
            stdout, stderr = capsys.readouterr()
            out[name].append((rc, _normal(stdout, name), _normal(stderr, name)))
    return out


@pytest.mark.parametrize("commands", [GOALS, SURVEYS, AUTOMATIONS], ids=lambda c: c[0].split()[0])
def test_feature_commands_give_the_same_answer_through_the_server(
    served: tuple[Path, RuntimeInfo],
    commands: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tmp, _ = served
    monkeypatch.chdir(tmp)
    answers = _answers(commands, capsys)
    for i, command in enumerate(commands):
        direct, through = answers["direct"][i], answers["served"][i]
        if command == "automations log --format csv":  # ordered by the time each was sent
            direct = (direct[0], "".join(sorted(direct[1].splitlines(True))), direct[2])
            through = (through[0], "".join(sorted(through[1].splitlines(True))), through[2])
        assert through == direct, command
        rc, stdout, stderr = through
        if rc != 0:  # bad input: one sentence, nothing on stdout
            assert stdout == "" and stderr.startswith("error: "), command
            assert stderr.count("\n") == 1, command
    failed = [i for i, (rc, _, _) in enumerate(answers["served"]) if rc != 0]
    assert failed == BAD[commands[0].split()[0]], failed


def _get(info: RuntimeInfo, path: str) -> str:
    with urllib.request.urlopen(info.url + path, timeout=120) as resp:
        return resp.read().decode()  # type: ignore[no-any-return]


def test_feature_writes_show_in_the_api_and_the_pages_at_the_next_request(
    served: tuple[Path, RuntimeInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp, info = served
    monkeypatch.chdir(tmp)
    client = ServerClient(info)
    client.run(RfmRequest())
    before = client.version
    assert before is not None
    seen = {p: _get(info, p) for p in ("/api/goals", "/api/surveys", "/api/automations")}
    pages = {p: _get(info, p) for p in ("/goals", "/feedback", "/automations")}
    assert "visible_goal" not in seen["/api/goals"] + pages["/goals"]
    db = ["--db", "served.duckdb"]
    goal = ["visible_goal", "--kind", "number", "--target", "5", "--by", "2030-01-01"]
    assert main([*db, "goals", "add", *goal]) == 0
    assert main([*db, "surveys", "create", "visible-survey", "--type", "nps"]) == 0
    rule = ["visible-rule", "--template", "win_back", "--channel", "log"]
    assert main([*db, "automations", "add", *rule]) == 0
    client.run(RfmRequest())
    assert client.version is not None and client.version >= before + 3  # one per write
    assert "visible_goal" in _get(info, "/api/goals")
    assert "visible-survey" in _get(info, "/api/surveys")
    assert "visible-rule" in json.dumps(json.loads(_get(info, "/api/automations")))
    assert "visible_goal" in _get(info, "/goals")
    assert "visible-rule" in _get(info, "/automations")
    assert main([*db, "automations", "delete", "visible-rule"]) == 0
    assert "visible-rule" not in _get(info, "/api/automations")
    assert main([*db, "goals", "delete", "visible_goal"]) == 0  # leave the copies equal
    assert main([*db, "surveys", "delete", "visible-survey"]) == 0
    assert "visible_goal" not in _get(info, "/goals")


def test_every_workspace_method_gives_the_same_answer_through_the_server(
    served: tuple[Path, RuntimeInfo],
) -> None:
    import pandas as pd

    tmp, info = served
    answers: dict[str, dict[str, Any]] = {}
    for name in ("direct", "served"):
        with Workspace(tmp / f"{name}.duckdb") as ws:
            assert (ws.remote is not None) == (name == "served")
            got: dict[str, Any] = {
                "tables": ws.tables(),
                "has_goals": ws.has_table("goals"),
                "has_nope": ws.has_table("nope"),
                "row_counts": ws.row_counts(),
                "sql": ws.sql("select customer_id, count(*) n from orders group by 1 order by 1"),
                "explain": re.sub(  # a VALUES table of a random name
                    r"memtable_\w+", "memtable", ws.explain("crr", period="quarter")
                ),
                "metrics": ws.metrics(["crr", "revenue"], last=2),
                "cohorts": ws.cohorts(period="quarter"),
                "segments": ws.segments("rfm"),
                "add_goal": ws.add_goal("py_goal", target=3, by="2031-01-01", kind="number"),
                "update_goal": ws.update_goal("py_goal", current=1),
                "goals": ws.goals(),
                "goal": ws.goal("py_goal"),
                "evaluate_goals": ws.evaluate_goals(as_of="2024-02-01"),
                "delete_goal": ws.delete_goal("py_goal"),
            }
            for method, kwargs in (("goal", {"name": "nope"}), ("sql", {"query": "selec 1"})):
                try:
                    getattr(ws, method)(**kwargs)
                except Exception as exc:  # the same class and sentence either way
                    got[f"{method} error"] = (type(exc).__name__, str(exc))
            answers[name] = got
    direct, through = answers["direct"], answers["served"]
    assert direct.keys() == through.keys()
    for key, value in direct.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(through[key], value, rtol=1e-9)
        else:
            assert through[key] == value, key
    assert info.url  # the served answers came through that server
