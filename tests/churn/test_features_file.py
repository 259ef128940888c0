"""Reading customer tables: label variants, ids with line numbers, type detection, coercion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retentionkit.churn.features_file import (
    check_id_column,
    coerce_features,
    infer_feature_types,
    parse_labels,
    read_features_file,
)
from retentionkit.errors import InputError, MissingFileError


def write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("yes", "no"),
    [
        ("Yes", "No"),
        ("yes", "NO"),
        ("true", "False"),
        ("TRUE", "false"),
        ("1", "0"),
        (" Yes ", "no"),
    ],
)
def test_label_variants_are_recognised(tmp_path: Path, yes: str, no: str) -> None:
    path = write(tmp_path, f"id,x,label\na,1,{yes}\nb,2,{no}\nc,3,{yes}\n")
    labels = parse_labels(read_features_file(path), "label")
    assert labels.tolist() == [1, 0, 1]


def test_labels_from_json_booleans_and_parquet_numbers(tmp_path: Path) -> None:
    json_path = tmp_path / "f.json"
    json_path.write_text('[{"id": 1, "y": true}, {"id": 2, "y": false}]', encoding="utf-8")
    assert parse_labels(read_features_file(json_path), "y").tolist() == [1, 0]
    pq = tmp_path / "f.parquet"
    pd.DataFrame({"id": ["a", "b", "c"], "y": [1.0, 0.0, np.nan]}).iloc[:2].to_parquet(pq)
    assert parse_labels(read_features_file(pq), "y").tolist() == [1, 0]


def test_unrecognised_label_names_line_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x,label\na,1,Yes\nb,2,No\nc,3,Maybe\nd,4,Perhaps\n")
    with pytest.raises(InputError) as err:
        parse_labels(read_features_file(path), "label")
    msg = str(err.value)
    assert "'Maybe' on line 4" in msg
    assert "(and 1 more rows)" in msg
    assert "Yes/No, true/false or 1/0" in msg


def test_blank_label_is_refused_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x,label\na,1,Yes\nb,2, \n")
    with pytest.raises(InputError, match="is blank on line 3"):
        parse_labels(read_features_file(path), "label")


def test_constant_label_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x,label\na,1,No\nb,2,no\nc,3,NO\n")
    with pytest.raises(InputError, match="on all 3 rows; a churn model needs both"):
        parse_labels(read_features_file(path), "label")


def test_missing_label_column_lists_columns_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x,Churn\na,1,Yes\n")
    with pytest.raises(InputError) as err:
        parse_labels(read_features_file(path), "churn")
    assert "has no column 'churn' (given as --label)" in str(err.value)
    assert "Did you mean 'Churn'?" in str(err.value)


def test_duplicate_id_names_value_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x\nC1,1\nC2,2\nC3,3\nC4,4\nC2,5\n")
    with pytest.raises(InputError) as err:
        check_id_column(read_features_file(path), "id")
    assert "Id 'C2' appears 2 times in column 'id'" in str(err.value)
    assert "on lines 3 and 6" in str(err.value)


def test_duplicate_id_lines_count_multiline_quoted_values(tmp_path: Path) -> None:
    path = write(tmp_path, 'id,note\nC1,"two\nlines"\nC2,x\nC1,y\n')
    with pytest.raises(InputError, match="on lines 2 and 5"):
        check_id_column(read_features_file(path), "id")


def test_blank_id_and_missing_id_column(tmp_path: Path) -> None:
    path = write(tmp_path, "id,x\nC1,1\n,2\n")
    with pytest.raises(InputError, match="is blank on line 3"):
        check_id_column(read_features_file(path), "id")
    with pytest.raises(InputError, match="has no column 'customer_id' \\(given as --id\\)"):
        check_id_column(read_features_file(path), "customer_id")


def test_ids_stay_text(tmp_path: Path) -> None:
    path = write(tmp_path, "id\tx\n007\t1\n010\t2\n", name="f.tsv")
    assert check_id_column(read_features_file(path), "id").tolist() == ["007", "010"]


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="does not exist"):
        read_features_file(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="Cannot tell the format"):
        read_features_file(write(tmp_path, "x", name="f.xlsx"))
    with pytest.raises(InputError, match="is empty"):
        read_features_file(write(tmp_path, "", name="e.csv"))


def test_numbers_stored_as_text_with_blanks_are_numeric(telco_path: Path) -> None:
    table = read_features_file(telco_path)
    types, dropped = infer_feature_types(table.frame, exclude=["customerID", "Churn"])
    assert types["TotalCharges"] == "numeric"
    assert types["tenure"] == "numeric"
    assert types["Contract"] == "categorical"
    assert dropped == {}
    data = coerce_features(table.frame, types)
    assert data["TotalCharges"].isna().sum() == 11  # the " " rows, all with tenure 0
    assert (table.frame.loc[data["TotalCharges"].isna(), "tenure"] == "0").all()


def test_unusable_columns_are_dropped_with_reasons() -> None:
    n = 120
    frame = pd.DataFrame(
        {
            "same": ["x"] * n,
            "blank": [" "] * n,
            "email": [f"u{i}@example.com" for i in range(n)],
            "signup": [f"2024-01-{i % 28 + 1:02d}" for i in range(n)],
            "plan": ["a", "b", "c"] * (n // 3),
            "spend": [str(i) for i in range(n)],
        }
    )
    types, dropped = infer_feature_types(frame)
    assert types == {"plan": "categorical", "spend": "numeric"}
    assert set(dropped) == {"same", "blank", "email", "signup"}
    assert "identifier" in dropped["email"]
    assert "dates" in dropped["signup"]


def test_text_in_numeric_column_is_refused_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "id,tenure\na,1\nb,abc\n")
    table = read_features_file(path)
    with pytest.raises(InputError) as err:
        coerce_features(table.frame, {"tenure": "numeric"}, where=table.where, source=str(path))
    assert "has 'abc' on line 3" in str(err.value)
    assert "uses it as a number" in str(err.value)
