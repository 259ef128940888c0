"""``retentionkit init`` writes a commented settings file that loads back."""

from __future__ import annotations

import tomllib

import pytest

from retentionkit.cli.app import main
from retentionkit.config import CONFIG_FILENAME, load_settings


def test_init_writes_a_commented_toml_that_loads_back(tmp_db, capsys):
    rc = main(["--db", str(tmp_db), "init", "--timezone", "Europe/Warsaw", "--currency", "PLN"])
    assert rc == 0, capsys.readouterr().err
    path = tmp_db.parent / CONFIG_FILENAME
    text = path.read_text(encoding="utf-8")
    assert text.count("\n#") > 10  # commented
    tomllib.loads(text)
    settings = load_settings(path)
    assert settings.timezone == "Europe/Warsaw"
    assert settings.currency == "PLN"
    assert settings.survey_scale("csat").max == 5
    assert tmp_db.exists()


def test_init_needs_force_to_overwrite(tmp_db, capsys):
    assert main(["--db", str(tmp_db), "init"]) == 0
    capsys.readouterr()
    assert main(["--db", str(tmp_db), "init", "--timezone", "Asia/Tokyo"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err
    assert load_settings(tmp_db.parent / CONFIG_FILENAME).timezone == "UTC"
    assert main(["--db", str(tmp_db), "init", "--timezone", "Asia/Tokyo", "--force"]) == 0
    assert load_settings(tmp_db.parent / CONFIG_FILENAME).timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["--customer-definition", "loyal"], "customer_definition"),
    ],
)
def test_init_refuses_bad_options(tmp_db, capsys, args, fragment):
    assert main(["--db", str(tmp_db), "init", *args]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err
    assert not (tmp_db.parent / CONFIG_FILENAME).exists()


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ('timezone = "Mars/Olympus"', "unknown time zone 'Mars/Olympus'"),
        ('customer_definition = "loyal"', "'activity' or 'contractual'"),
        ("timezone = ", "not valid TOML"),
    ],
)
def test_bad_setting_in_the_file_is_one_sentence(tmp_db, tmp_path, capsys, setting, fragment):
    assert main(["--db", str(tmp_db), "init"]) == 0
    path = tmp_db.parent / CONFIG_FILENAME
    text = path.read_text(encoding="utf-8")
    key = setting.split("=")[0].strip()
    lines = [setting if line.startswith(f"{key} =") else line for line in text.splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = tmp_path / "orders.csv"
    data.write_text("order_id,customer_id,ordered_at,amount\n1,c,2024-01-01,1\n")
    capsys.readouterr()
    assert main(["--db", str(tmp_db), "ingest", "orders", str(data)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert CONFIG_FILENAME in err and fragment in err
    assert "Traceback" not in err
