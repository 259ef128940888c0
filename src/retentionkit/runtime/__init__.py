"""Who owns an embedded workspace file (docs/architecture.md, "One owner per workspace").

* :mod:`.files` — the runtime file ``<workspace>.server.json`` a running ``serve`` writes next
  to the DuckDB file (pid, URL, a random local token; mode 0600), found and cleaned up here;
* :mod:`.client` — the client every CLI command and ``rk.Workspace`` use while a server owns
  the file: it sends the service request to ``POST /api/_local/run``;
* :mod:`.lock` — opening the file directly: a bounded wait while another process holds
  DuckDB's lock, then one sentence naming the holder (pid and command line).

Core package: never imports a face or the server.
"""

from __future__ import annotations

from retentionkit.runtime.files import RuntimeInfo, find_server, runtime_path

__all__ = ["RuntimeInfo", "find_server", "runtime_path"]
