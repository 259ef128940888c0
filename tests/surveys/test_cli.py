"""``retentionkit surveys …`` end to end on a workspace file (real CLI, real workspace)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from retentionkit.cli.app import main


def _cli(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_links_show_delete(db: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    d = str(db)
    trans = tmp_path / "t.toml"
    trans.write_text('pl = "Jak oceniasz dostawę?"\n[ru]\nquestion = "Как вам доставка?"\n')
    code, out, err = _cli(
        capsys,
        "--db",
        d,
        "surveys",
        "create",
        "delivery",
        "--type",
        "custom",
        "--scale",
        "1-10",
        "--question",
        "How was the delivery?",
        "--translations",
        str(trans),
        "--no-comment",
    )
    assert code == 0, err
    assert out.strip().splitlines()[-1].startswith("whsec_")
    code, out, err = _cli(capsys, "--db", d, "surveys", "create", "delivery", "--type", "nps")
    assert code == 2 and "already exists" in err
    code, out, _ = _cli(capsys, "--db", d, "surveys", "list", "--format", "json")
    assert json.loads(out)[0]["scale"] == "1-10"
    code, out, err = _cli(
        capsys,
        "--db",
        d,
        "surveys",
        "links",
        "delivery",
        "--segment",
        "channel=organic",
        "--expires",
        "2w",
        "--base-url",
        "https://shop.example",
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and set(rows[0]) == {"customer_id", "url", "expires_at"}
    assert all(r["url"].startswith("https://shop.example/s/") for r in rows)
    code, out, err = _cli(
        capsys, "--db", d, "surveys", "links", "delivery", "--all", "--format", "json"
    )
    assert code == 0 and len(json.loads(out)) == 500
    code, out, err = _cli(capsys, "--db", d, "surveys", "show", "delivery", "--format", "json")
    shown = json.loads(out)
    assert shown["customers_sent"] == 500 and shown["answers"] == 0
    code, out, err = _cli(capsys, "--db", d, "surveys", "rotate-secret")
    assert code == 0 and "2 secrets" in out
    code, out, err = _cli(capsys, "--db", d, "surveys", "delete", "delivery")
    assert code == 0
    code, out, err = _cli(capsys, "--db", d, "surveys", "show", "delivery")
    assert code == 2 and "Unknown survey 'delivery'" in err


def test_bad_input_is_one_sentence(db: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    d = str(db)
    cases = [
        (["create", "x", "--type", "stars"], "--type 'stars' is not one of: nps, csat, custom."),
        (["create", "x", "--type", "csat", "--scale", "2-7"], "--scale '2-7' is not one of"),
        (
            ["create", "x", "--type", "nps", "--translations", str(tmp_path / "no.toml")],
            "cannot be read",
        ),
        (["create", "x", "--type", "nps", "--map", "who=$.a"], "Mapping key 'who'"),
        (["links", "x", "--all"], "no survey exists yet"),
    ]
    for args, message in cases:
        code, out, err = _cli(capsys, "--db", d, "surveys", *args)
        assert code == 2, (args, err)
        assert message in err and "Traceback" not in err and err.count("\n") == 1, err
    _cli(capsys, "--db", d, "surveys", "create", "x", "--type", "nps")
    for args, message in [
        (["links", "x"], "Choose the customers with one of --customer, --segment or --all."),
        (["links", "x", "--customer", "C000001", "--all"], "Choose the customers"),
        (["links", "x", "--customer", "NOPE"], "--customer NOPE: no customer with that id"),
        (["links", "x", "--segment", "channel=nowhere"], "no customer has channel = 'nowhere'"),
        (["links", "x", "--segment", "shoe=1"], "has no column 'shoe'"),
        (["links", "x", "--all", "--expires", "soon"], "Duration 'soon' is not understood"),
        (["links", "x", "--all", "--base-url", "ftp://x"], "must start with http://"),
        (["links", "x", "--all", "--format", "table"], "--format"),
    ]:
        code, out, err = _cli(capsys, "--db", d, "surveys", *args)
        assert code == 2 and message in err and out == "", (args, err)
