"""The answer page's catalogs: every message translated in every language, placeholders kept,
language negotiation."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from retentionkit.surveys.i18n import LANGUAGES, MESSAGES, catalog_path, choose_language, translator

TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_message_is_untranslated(lang: str) -> None:
    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    ids = {m.id for m in catalog if m.id}
    assert ids == set(MESSAGES), f"{lang}: catalog and MESSAGES differ"
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"{lang}: {message.id!r} is untranslated"
        assert not message.fuzzy, f"{lang}: {message.id!r} is fuzzy"
        fields = set(re.findall(r"\{(\w+)\}", message.id))
        assert set(re.findall(r"\{(\w+)\}", message.string)) == fields, message.id
        if lang in ("ru", "zh") and message.id not in (
            "{low} = {low_label}, {high} = {high_label}",
        ):
            assert not re.search(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", message.string)), (
                f"{lang}: {message.string!r} still has Latin words"
            )


def test_standard_questions() -> None:
    nps = "How likely are you to recommend {company} to a friend or colleague?"
    assert translator("pl").gettext(nps).startswith("Jak bardzo prawdopodobne jest, że polecisz")
    assert translator("ru").gettext(nps).startswith("Насколько вероятно, что вы порекомендуете")
    assert translator("zh").gettext(nps) == "您向朋友或同事推荐{company}的可能性有多大？"
    assert translator("en").gettext(nps) == nps


@pytest.mark.parametrize(
    ("query", "customer", "header", "expected"),
    [
        ("pl", "ru", "zh", "pl"),
        (None, "ru", "zh", "ru"),
        ("xx", "ru-RU", None, "ru"),
        (None, None, "de-DE,zh-CN;q=0.8,pl;q=0.9", "pl"),
        (None, None, "zh-Hans-CN,en;q=0.5", "zh"),
        (None, None, "de, fr;q=0.5", "en"),
        (None, None, None, "en"),
        (None, None, "pl;q=0", "en"),
    ],
)
def test_choose_language(query, customer, header, expected) -> None:  # type: ignore[no-untyped-def]
    assert choose_language(query, customer, header) == expected
