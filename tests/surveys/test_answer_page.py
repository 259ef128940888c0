"""The public answer page over HTTP: languages, storing and replacing answers, bad input,
limits and security headers; answers reach the nps metric on the next request."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from retentionkit.surveys import store
from retentionkit.surveys.links import make_token, survey_link
from retentionkit.surveys.webhooks import sign
from retentionkit.web.ratelimit import RateLimits

FORM = {"content-type": "application/x-www-form-urlencoded"}


def _path(ws, customer: str, survey: str = "q4") -> str:  # type: ignore[no-untyped-def]
    return "/s/" + survey_link(ws, survey, customer).url.rsplit("/s/", 1)[1]


def _rows(ws, where: str = "survey_name = 'q4'") -> list[tuple]:  # type: ignore[no-untyped-def]
    return ws.con.raw_sql(
        f"SELECT response_id, survey, score, customer_id, comment, touchpoint "
        f"FROM survey_responses WHERE {where} ORDER BY response_id"
    ).fetchall()


@pytest.mark.parametrize(
    ("lang", "question", "send"),
    [
        ("en", "How likely are you to recommend Acme to a friend or colleague?", "Send"),
        ("pl", "Jak bardzo prawdopodobne jest, że polecisz Acme znajomemu", "Wyślij"),
        ("ru", "Насколько вероятно, что вы порекомендуете Acme другу или коллеге?", "Отправить"),
        ("zh", "您向朋友或同事推荐Acme的可能性有多大？", "提交"),
    ],
)
def test_page_in_each_language(make_client, ws, customer, lang, question, send) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    r = client.get(_path(ws, customer) + f"?lang={lang}")
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text
    assert question in r.text and send in r.text
    assert r.text.count('type="radio" name="score"') == 11
    assert "<fieldset" in r.text and "<legend>" in r.text
    assert "<script" not in r.text
    csp = r.headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'" in csp and "script-src" not in csp and "default-src 'none'" in csp
    )
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_language_from_header_and_customer_attribute(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    path = _path(ws, customer)
    if "language" not in ws.table("customers").columns:  # generated customers carry one
        ws.con.raw_sql("ALTER TABLE customers ADD COLUMN language VARCHAR")
    ws.con.raw_sql(
        "UPDATE customers SET language = NULL WHERE customer_id = ?", parameters=[customer]
    )
    assert "Wyślij" in client.get(path, headers={"accept-language": "pl-PL,en;q=0.5"}).text
    ws.con.raw_sql(
        "UPDATE customers SET language = 'ru' WHERE customer_id = ?", parameters=[customer]
    )
    r = client.get(path, headers={"accept-language": "pl-PL"})
    assert "Отправить" in r.text
    assert "提交" in client.get(path + "?lang=zh").text


def test_answer_is_stored_and_replaced_and_counts(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    path = _path(ws, customer)
    r = client.post(path + "?lang=pl", data={"score": "0", "comment": "<b>za drogo</b>"})
    assert r.status_code == 200 and "Dziękujemy!" in r.text
    assert "&lt;b&gt;" not in r.text  # the comment is not echoed at all
    rows = _rows(ws)
    assert len(rows) == 1
    assert rows[0][1:] == ("nps", 0.0, customer, "<b>za drogo</b>", "link")
    # answering again through the same link replaces the answer
    assert client.post(path, data={"score": "10"}).status_code == 200
    rows2 = _rows(ws)
    assert len(rows2) == 1 and rows2[0][0] == rows[0][0] and rows2[0][2] == 10.0
    # a second link of the same customer is a second answer
    assert client.post(_path(ws, customer), data={"score": "9"}).status_code == 200
    assert len(_rows(ws)) == 2
    # the generated answers are from earlier years: this year holds exactly these two
    now = ws.metrics("nps", period="year", last=1).iloc[-1]
    assert now["components"]["responses"] == 2 and now["value"] == 100.0


def test_the_served_nps_moves(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    """Through the server's cache: the API's nps changes right after an answer."""
    client = make_client()
    last = ws.con.raw_sql("SELECT max(responded_at) FROM survey_responses").fetchone()[0]
    url = "/api/metrics?metric=nps&period=year&last=1"
    first = client.get(url).json()
    path = _path(ws, customer)
    for _ in range(3):  # three detractors today
        client.post(_path(ws, customer), data={"score": "0"})
    client.post(path, data={"score": "0"})
    again = client.get(url).json()
    assert again != first
    assert last is not None


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        ({}, 422, "Wybierz ocenę od 0 do 10."),
        ({"score": "11"}, 422, "Wybierz ocenę od 0 do 10."),
        ({"score": "7.5"}, 422, "Wybierz ocenę od 0 do 10."),
        ({"score": "nan"}, 422, "Wybierz ocenę od 0 do 10."),
        ({"score": "5", "comment": "x" * 2001}, 422, "Komentarz jest za długi"),
    ],
)
def test_bad_answers_write_nothing(make_client, ws, customer, data, status, text) -> None:  # type: ignore[no-untyped-def]
    client = make_client(RateLimits(ip_rate=0, token_rate=0, max_body=100_000))
    r = client.post(_path(ws, customer) + "?lang=pl", data=data)
    assert r.status_code == status and text in r.text
    assert _rows(ws) == []


def test_tampered_unknown_expired(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    path = _path(ws, customer)
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    r = client.get(tampered + "?lang=ru")
    assert r.status_code == 404 and "Ссылка недействительна" in r.text
    assert client.post(tampered, data={"score": "5"}).status_code == 404
    assert client.get("/s/nothing-here").status_code == 404
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    token, _ = make_token(store.link_secrets(ws), "q4", customer, past)
    r = client.get(f"/s/{token}?lang=zh")
    assert r.status_code == 410 and "此链接已过期" in r.text
    assert client.post(f"/s/{token}", data={"score": "5"}).status_code == 410
    # a deleted survey's links are no longer valid
    from retentionkit.surveys.service import DeleteSurvey, run

    run(ws, DeleteSurvey("q4"))
    assert client.get(path).status_code == 404
    assert _rows(ws) == []


def test_oversized_malformed_and_foreign(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    client = make_client(RateLimits(ip_rate=0, token_rate=0, max_body=1000))
    path = _path(ws, customer)
    assert (
        client.post(path, content=b"score=5&comment=" + b"x" * 2000, headers=FORM).status_code
        == 413
    )
    assert client.post(path, content=b"\xff\xfe=\xff", headers=FORM).status_code == 400
    assert client.post(path, json={"score": 5}).status_code == 415
    r = client.post(path, data={"score": "5"}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post(path, data={"score": "5"}, headers={"origin": "null"})
    assert r.status_code == 403
    r = client.post(path, data={"score": "5"}, headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    assert _rows(ws) == []
    r = client.post(path, data={"score": "5"}, headers={"origin": "http://127.0.0.1:8000"})
    assert r.status_code == 200 and len(_rows(ws)) == 1
    # the page's own form under Referrer-Policy: no-referrer
    same = {"origin": "null", "sec-fetch-site": "same-origin"}
    assert client.post(path, data={"score": "6"}, headers=same).status_code == 200


def test_rate_limits(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    client = make_client(RateLimits(ip_rate=0, token_rate=0.01, token_burst=2))
    path = _path(ws, customer)
    codes = [client.post(path, data={"score": "5"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    other = _path(ws, customer)
    assert client.post(other, data={"score": "5"}).status_code == 200  # per token
    client = make_client(RateLimits(ip_rate=0.01, ip_burst=2, token_rate=0))
    codes = [client.get(path).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    # the signed webhook shares the per-IP bucket
    r = client.post("/api/surveys/q4/responses", content=b"{}")
    assert r.status_code == 429 and "Too many webhook deliveries" in r.json()["detail"]


def test_webhook_api(make_client, ws, customer) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    secret = ws.webhook_secret
    url = "/api/surveys/q4/responses"
    payload = {
        "customer_id": customer,
        "score": 3,
        "responded_at": "2024-05-01T10:00:00+02:00",
        "comment": "slow delivery",
    }
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, "msg_1", stamp, body),
        "content-type": "application/json",
    }
    bad = {**headers, "webhook-signature": sign(secret, "msg_1", stamp, body + b" ")}
    r = client.post(url, content=body, headers=bad)
    assert r.status_code == 401 and "does not match" in r.json()["detail"]
    assert _rows(ws) == []
    r = client.post(url, content=body, headers=headers)
    assert r.status_code == 200 and r.json()["stored"] is True
    r = client.post(url, content=body, headers=headers)  # replay: accepted once, stored once
    assert r.status_code == 200 and r.json()["stored"] is False
    rows = _rows(ws)
    assert len(rows) == 1 and rows[0][1:] == ("nps", 3.0, customer, "slow delivery", "webhook")
    when = ws.con.raw_sql(
        "SELECT responded_at FROM survey_responses WHERE survey_name='q4'"
    ).fetchone()[0]
    assert when == dt.datetime(2024, 5, 1, 8, 0)
    old = {**headers, "webhook-id": "msg_2", "webhook-timestamp": str(stamp - 301)}
    old["webhook-signature"] = sign(secret, "msg_2", stamp - 301, body)
    assert client.post(url, content=body, headers=old).status_code == 401
    huge = b"{" + b" " * 70000 + b"}"
    assert client.post(url, content=huge, headers=headers).status_code == 413
    junk = b"not json"
    h = {**headers, "webhook-id": "msg_3", "webhook-signature": sign(secret, "msg_3", stamp, junk)}
    r = client.post(url, content=junk, headers=h)
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]
    assert (
        client.post("/api/surveys/nope/responses", content=body, headers=headers).status_code == 422
    )
    assert len(_rows(ws)) == 1
    shown = client.get("/api/surveys/q4").json()
    assert shown["answers"] == 1 and shown["metric"] == "nps" and shown["value"] == -100.0


def test_no_other_route_became_public(make_client, ws) -> None:  # type: ignore[no-untyped-def]
    """On a public address reads still need a key; only /s/ and the signed webhook are open."""
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.service import WorkspaceService
    from retentionkit.web.settings import WebSettings

    settings = WebSettings(db=ws.path, host="0.0.0.0", warm_cache=False)
    app = create_app(settings)
    app.state.services[settings] = WorkspaceService(workspace=ws)
    with TestClient(app) as client:
        assert client.get("/api/surveys").status_code == 401
        assert client.get("/api/surveys/q4").status_code == 401
        assert client.get("/feedback").status_code == 401
        assert client.get("/s/whatever").status_code == 404  # public, but not valid
