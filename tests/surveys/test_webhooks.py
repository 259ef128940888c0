"""Standard Webhooks: the specification's test vector, tolerance, replay, mapping."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from retentionkit.errors import AuthError
from retentionkit.surveys.webhooks import check_mapping, extract, sign, verify

# The Standard Webhooks reference test vector (standard-webhooks libraries, spec v1.0.0).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
AT = dt.datetime.fromtimestamp(TIMESTAMP, dt.UTC)


def _headers(sig: str = SIGNATURE, stamp: int = TIMESTAMP, msg: str = MSG_ID) -> dict[str, str]:
    return {"webhook-id": msg, "webhook-timestamp": str(stamp), "webhook-signature": sig}


def test_known_vector() -> None:
    assert sign(SECRET, MSG_ID, TIMESTAMP, BODY) == SIGNATURE
    assert verify(SECRET, _headers(), BODY, now=AT) == MSG_ID
    # several signatures (key rotation on the sender's side): one match is enough
    assert verify(SECRET, _headers("v1,bm9wZQ== " + SIGNATURE), BODY, now=AT) == MSG_ID


@pytest.mark.parametrize(
    ("headers", "body", "now", "reason"),
    [
        (_headers(), BODY + b" ", AT, "does not match"),
        (_headers("v1,bm9wZQ=="), BODY, AT, "does not match"),
        (_headers(msg="msg_other"), BODY, AT, "does not match"),
        (_headers(), BODY, AT + dt.timedelta(minutes=5, seconds=1), "5 minutes"),
        (_headers(), BODY, AT - dt.timedelta(minutes=5, seconds=1), "5 minutes"),
        ({"webhook-id": MSG_ID}, BODY, AT, "needs the headers"),
        (_headers(stamp="soon"), BODY, AT, "Unix time"),  # type: ignore[arg-type]
    ],
)
def test_refused(headers: dict[str, str], body: bytes, now: dt.datetime, reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        verify(SECRET, headers, body, now=now)


def test_edge_of_tolerance_is_accepted() -> None:
    assert verify(SECRET, _headers(), BODY, now=AT + dt.timedelta(minutes=5)) == MSG_ID


def test_mapping() -> None:
    mapping = check_mapping({"customer_id": "$.user.id", "score": "$.answers[0].value"})
    doc = {"user": {"id": "C9"}, "answers": [{"value": 7}]}
    assert extract(doc, mapping) == {
        "customer_id": "C9",
        "score": 7,
        "responded_at": None,
        "comment": None,
    }
    with pytest.raises(Exception, match="not one of"):
        check_mapping({"who": "$.a"})
    with pytest.raises(Exception, match="JSON path"):
        check_mapping({"score": "answers.0"})


def signed(secret: str, payload: dict[str, object], msg: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    return _headers(sign(secret, msg, stamp, body), stamp, msg), body
