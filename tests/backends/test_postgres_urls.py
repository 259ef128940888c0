"""PostgreSQL URLs without a server: the password never shows, and each libpq failure becomes
one sentence that says what to do."""

from __future__ import annotations

import pytest

from retentionkit.backends.postgres import _advice, redact


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://rk:s3cret@db.example/shop", "postgresql://rk:***@db.example/shop"),
        ("postgres://rk:p%40ss:w@db:5433/shop", "postgres://rk:***@db:5433/shop"),
        ("postgresql://rk@db/shop", "postgresql://rk@db/shop"),
        (
            "postgresql://rk@/shop?host=/var/run/postgresql",
            "postgresql://rk@/shop?host=/var/run/postgresql",
        ),
        (
            "postgresql://rk@db/shop?password=s3cret&sslmode=require",
            "postgresql://rk@db/shop?password=***&sslmode=require",
        ),
    ],
)
def test_redact_hides_the_password(url: str, shown: str) -> None:
    assert redact(url) == shown
    assert "s3cret" not in redact(url) and "p%40ss" not in redact(url)


URL = "postgresql://rk:s3cret@db.example:5432/shop"


@pytest.mark.parametrize(
    ("libpq", "fragment"),
    [
        ('FATAL:  password authentication failed for user "rk"', "refused the credentials"),
        ('FATAL:  database "shop" does not exist', "createdb shop"),
        ('FATAL:  Peer authentication failed for user "rk"', "peer authentication"),
        ('could not translate host name "db.example" to address', "host name db.example"),
        ("connection refused\n\tIs the server running", "check that the server is running"),
        ("timeout expired", "connect timeout"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.5"', "pg_hba.conf"),
    ],
)
def test_advice_is_one_sentence_without_the_password(libpq: str, fragment: str) -> None:
    text = _advice(URL, libpq)
    assert fragment in text
    assert "s3cret" not in text and "postgresql://rk:***@db.example:5432/shop" in text
    assert "\n" not in text and text.endswith(".")
