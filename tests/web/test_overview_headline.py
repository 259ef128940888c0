"""The overview is named after the period most of its cards show (the later one on a tie); a
card whose data end in another period says which one."""

from __future__ import annotations

from retentionkit.pages.overview import _headline


def test_the_period_most_cards_show_names_the_page() -> None:
    assert _headline(["2018-07"] * 8 + ["2018-09"] * 2) == "2018-07"


def test_a_tie_goes_to_the_later_period() -> None:
    assert _headline(["2018-07", "2018-09", "2018-09", "2018-07"]) == "2018-09"


def test_no_cards_no_headline() -> None:
    assert _headline([]) == ""
