"""Fork server for the kill -9 test (not a test module).

It imports retentionkit and validates SOURCE once (``prepare``; with the argument ``engine``
the engine path's ``plan`` and ``check``), then for every line ``DB SOURCE`` read on stdin forks
a child that prints ``writing``, writes the validated batches into DB (``write_batches``, or
``engine_ingest.write`` in its transaction: the write step of ``Workspace.ingest``), prints
``done`` and waits to be killed. The server prints ``pid N`` first and ``exit STATUS`` once
the child is gone.
Forking a process that never opened a database keeps a trial cheap: no interpreter start-up,
no imports, no parsing.

The child also prints where the write is — ``begin`` (the transaction opened: staging is
over), ``commit`` (the COMMIT statement is sent), ``committed`` — so the test can tell in which
phase each kill landed. The markers wrap ``retentionkit.backends.transaction`` in the child
only; the statements run are the product's own.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from retentionkit.config import Settings
from retentionkit.schema.ingest import IngestOptions, prepare, write_batches


def _say(text: str) -> None:
    os.write(1, (text + "\n").encode())


def _mark_phases() -> None:
    import retentionkit.backends as backends

    real = backends.transaction

    @contextlib.contextmanager
    def transaction(con: Any, **options: Any) -> Iterator[None]:
        with real(con, **options):
            _say("begin")
            yield
            _say("commit")
        _say("committed")

    backends.transaction = transaction  # write_batches imports it at call time


def _child(db: str, prepared: Any) -> None:
    import retentionkit.backends as backends

    _mark_phases()
    if MODE == "engine":  # the engine path's write: schema/engine_ingest.py on a plain connection
        from retentionkit.schema import engine_ingest

        raw = backends.open_duckdb(db)
        _say("writing")
        with backends.transaction(raw, data=True):
            engine_ingest.write(raw, prepared)
        raw.close()
    else:
        con = backends.connect(db)
        _say("writing")
        write_batches(con, [prepared])
        con.disconnect()
    _say("done")
    time.sleep(3600)  # the test kills every child, so its pid is never reused under it


#: ``pandas`` (write_batches, the default) or ``engine`` (engine_ingest.write), from argv.
MODE = sys.argv[1] if len(sys.argv) > 1 else "pandas"


def _validate(source: str) -> Any:
    if MODE == "engine":
        from retentionkit.schema import engine_ingest

        plan = engine_ingest.plan("orders", source, IngestOptions(), Settings())
        assert plan is not None and engine_ingest.check(plan), "the engine path declined"
        return plan
    return prepare("orders", source, IngestOptions(), Settings())


def main() -> None:
    cache: dict[str, tuple] = {}
    for line in sys.stdin:
        db, source = line.split()
        if source not in cache:  # validated once, in the parent; children only write
            cache[source] = _validate(source)
            _say("prepared")
        pid = os.fork()
        if pid == 0:
            try:
                _child(db, cache[source])
            except BaseException:  # tell the test why, instead of dying silently
                import traceback

                _say("error " + traceback.format_exc().replace("\n", " | "))
            finally:
                os._exit(0)
        _say(f"pid {pid}")
        _, status = os.waitpid(pid, 0)
        _say(f"exit {status}")


if __name__ == "__main__":
    main()
