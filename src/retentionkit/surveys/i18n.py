"""Translations of the survey answer page: gettext catalogs (``locale/<lang>/LC_MESSAGES/
messages.po``, kept in the repo and edited by hand or with Babel's tools) compiled in memory
by Babel on first use, so a fresh clone needs no build step.

Language of a page (:func:`choose_language`): the ``?lang=`` parameter, else the customer's
``language`` attribute, else the browser's Accept-Language (highest q first), else English.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "MESSAGES",
    "choose_language",
    "translator",
]

LOCALE_DIR = Path(__file__).parent / "locale"
#: Languages of the answer page; English is the source language of the catalogs.
LANGUAGES: tuple[str, ...] = ("en", "pl", "ru", "zh")
#: Every message of the answer page (the msgids every catalog must translate).
MESSAGES: tuple[str, ...] = (
    "Survey",
    "How likely are you to recommend {company} to a friend or colleague?",
    "How likely are you to recommend us to a friend or colleague?",
    "How satisfied were you with your recent purchase?",
    "How would you rate your experience with us?",
    "Not at all likely",
    "Extremely likely",
    "Very dissatisfied",
    "Very satisfied",
    "Poor",
    "Excellent",
    "Anything you would like to tell us? (optional)",
    "Send",
    "Thank you!",
    "Your answer has been saved. You can change it with the same link until it expires.",
    "This link is not valid",
    "Please check that the whole link was copied, or ask us for a new one.",
    "This link has expired",
    "Survey links are valid for a limited time. Please ask us for a new one.",
    "Please choose a score from {min} to {max}.",
    "Too many answers in a short time. Please try again in a minute.",
    "Your comment is too long; please keep it under {limit} characters.",
    "{low} = {low_label}, {high} = {high_label}",
)


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@functools.cache
def translator(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English: the messages as written)."""
    if lang not in LANGUAGES or lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-")[0].lower()


def _accepted(header: str) -> Iterable[str]:
    """Accept-Language tags by descending q (RFC 9110 §12.5.4), ties in header order."""
    ranked = []
    for pos, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag.strip() and q > 0:
            ranked.append((-q, pos, _primary(tag)))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(query: str | None, customer: str | None, accept_language: str | None) -> str:
    """``?lang=``, else the customer's language attribute, else Accept-Language, else ``en``."""
    for candidate in (query, customer):
        if candidate and _primary(candidate) in LANGUAGES:
            return _primary(candidate)
    for tag in _accepted(accept_language or ""):
        if tag in LANGUAGES:
            return tag
    return "en"
