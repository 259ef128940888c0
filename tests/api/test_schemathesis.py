"""The OpenAPI document describes the API: schemathesis generates requests from it (in
process, ASGI; bounded examples) and runs all its checks on every operation (issue 12 item 6).
Exceptions to the checks are listed in docs/web.md ("API contract")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.slow

#: The one check left out (docs/web.md, "API contract"): positive_data_acceptance expects
#: every schema-valid request to succeed, but some values are valid only against the data —
#: a segment attribute the workspace does not have, a date range with no data, a CLV model
#: the data do not identify — and are refused with 422 and one sentence, as documented.
EXCLUDED = [positive_data_acceptance]

#: Generated cases per operation (bounded: the suite runs in ``make test`` on 2 cores).
MAX_EXAMPLES = 15

#: The same cases on every run. Drawn afresh, one run in ten drew a daily KPI report from the
#: year 2000 or a model-based CLV over 400 monthly periods for several operations at once and
#: took 14 minutes instead of 2 (each such request is a valid, slow one: docs/web.md, "API
#: contract"); a fixed draw keeps ``make test`` under its 30 minutes and a failure reproducible.
DERANDOMIZE = True


def test_api_conforms_to_its_openapi_document(gen_db: Path, tmp_path: Path) -> None:
    """Every operation, every check (schemathesis' pytest plugin does not run on pytest 9, so
    the operations are driven here with Hypothesis)."""
    from hypothesis import given

    from retentionkit.server import create_app
    from retentionkit.web.settings import WebSettings

    db = tmp_path / "ws.duckdb"
    shutil.copy(gen_db, db)
    app = create_app(WebSettings(db=db, public_read=True, warm_cache=False))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(excluded_checks=EXCLUDED)

        try:
            check()
        except Exception as exc:
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
