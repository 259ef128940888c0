"""A restarted server's slow lane answers from the persistent result cache.

``serve`` opens the workspace file in its main lane at start. A lane opened later used to look
at the file's data state read-only, which DuckDB refuses while the same process holds the file
read-write: that lane then skipped the persistent cache, so the CLV and at-risk pages were
recomputed after every restart (minutes on a million customers)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retentionkit.clv import workflow
from retentionkit.service import ClvPredictRequest
from retentionkit.web.service import WorkspaceService


def test_a_restarted_servers_slow_lane_answers_from_the_persistent_cache(
    gen_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ws.duckdb"
    shutil.copy(gen_db, db)
    request = ClvPredictRequest()
    assert request.lane == "slow"

    first = WorkspaceService(db)
    first.run(lambda ws: ws.duck)  # as `serve` takes the file at start
    computed = first.request(request)
    first.close()

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("recomputed instead of read from the result cache")

    monkeypatch.setattr(workflow, "predict", no_fit)
    second = WorkspaceService(db)
    second.run(lambda ws: ws.duck)
    again = second.request(request)
    second.close()
    assert again.records() == computed.records()
