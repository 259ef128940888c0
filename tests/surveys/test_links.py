"""Signed links: round trip, tampering, expiry, secret rotation, one response_id per link."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.errors import InputError, UnknownNameError
from retentionkit.surveys import store
from retentionkit.surveys.links import (
    ExpiredLinkError,
    InvalidLinkError,
    SurveyLink,
    make_token,
    read_token,
    survey_link,
)


def _token(link: SurveyLink) -> str:
    return link.url.rsplit("/s/", 1)[1]


def test_survey_link_signature_and_claims(ws, customer) -> None:  # type: ignore[no-untyped-def]
    link = survey_link(ws, "q4", customer, expires="7d", base_url="https://shop.example/")
    assert isinstance(link, SurveyLink)
    assert link.customer_id == customer
    assert link.url.startswith("https://shop.example/s/")
    left = link.expires_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=6, hours=23) < left <= dt.timedelta(days=7)
    claims = read_token(store.link_secrets(ws), _token(link))
    assert (claims.survey, claims.customer_id) == ("q4", customer)
    assert claims.response_id.startswith("s-")
    # a timedelta works too (automations)
    assert survey_link(ws, "q4", customer, expires=dt.timedelta(hours=2)).url


def test_two_links_two_response_ids(ws, customer) -> None:  # type: ignore[no-untyped-def]
    keys = store.link_secrets(ws)
    a = read_token(keys, _token(survey_link(ws, "q4", customer)))
    b = read_token(keys, _token(survey_link(ws, "q4", customer)))
    assert a.response_id != b.response_id


def test_unknown_survey_and_empty_customer(ws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownNameError, match="Unknown survey 'nope'; expected one of: q4"):
        survey_link(ws, "nope", "C1")
    with pytest.raises(InputError, match="empty"):
        survey_link(ws, "q4", "  ")


@settings(max_examples=60, deadline=None)
@given(pos=st.integers(min_value=0, max_value=200), char=st.sampled_from("AbZ09-_."))
def test_any_changed_character_is_not_valid(pos: int, char: str) -> None:
    keys = ["k1"]
    token, _ = make_token(keys, "q4", "C000001", dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
    i = pos % len(token)
    if token[i] == char:
        return
    tampered = token[:i] + char + token[i + 1 :]
    try:
        claims = read_token(keys, tampered)
    except InvalidLinkError:
        return
    # base64 padding bits: a different text may decode to the same signed bytes
    assert (claims.survey, claims.customer_id) == ("q4", "C000001")


def test_expired_and_foreign_secret() -> None:
    soon = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    token, _ = make_token(["k1"], "q4", "C1", soon)
    with pytest.raises(ExpiredLinkError):
        read_token(["k1"], token, now=soon)
    assert read_token(["k1"], token, now=soon - dt.timedelta(seconds=1)).customer_id == "C1"
    with pytest.raises(InvalidLinkError):
        read_token(["other"], token, now=soon - dt.timedelta(days=1))
    for junk in ("", "abc", "a.b.c", "W10.xxx.yyy"):
        with pytest.raises(InvalidLinkError):
            read_token(["k1"], junk)


def test_rotation_keeps_old_links(ws, customer) -> None:  # type: ignore[no-untyped-def]
    old = _token(survey_link(ws, "q4", customer))
    assert store.add_secret(ws) == 2
    new = _token(survey_link(ws, "q4", customer))
    keys = store.link_secrets(ws)
    assert read_token(keys, old).customer_id == customer
    assert read_token(keys, new).customer_id == customer
    # the new link is signed with the new secret only
    with pytest.raises(InvalidLinkError):
        read_token(keys[:1], new)
