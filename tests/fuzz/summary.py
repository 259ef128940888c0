"""Sum the fuzz counters of every worker (``RK_FUZZ_REPORT``.gw0, .gw1 …) and print them as
the table of docs/reliability.md: ``python tests/fuzz/summary.py fuzz-report.json``."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(target: str) -> int:
    base = Path(target)
    files = sorted(base.parent.glob(base.name + ".*")) or ([base] if base.exists() else [])
    if not files:
        print(f"no fuzz report at {target}", file=sys.stderr)
        return 1
    total: Counter[str] = Counter()
    seconds = 0
    for path in files:
        counts = json.loads(path.read_text())
        seconds = max(seconds, counts.pop("seconds", 0))
        total.update(counts)
    rows = sorted(k for k in total if k.startswith("cases_"))
    print(f"{'kind':<32} {'cases':>7} {'accepted':>9} {'refused':>8}")
    for key in rows:
        kind = key.removeprefix("cases_")
        split = [total.get(f"{side}_{kind}") for side in ("accepted", "refused")]
        shown = [f"{n:,}" if n is not None else "–" for n in split]
        print(f"{kind:<32} {total[key]:>7,} {shown[0]:>9} {shown[1]:>8}")
    print(
        f"total: {total['cases']:,} cases, {total['accepted']:,} accepted, "
        f"{total['refused']:,} refused, {total['internal_errors']:,} internal errors / 5xx, "
        f"{total['partial_writes']:,} partial writes; {seconds:,} s wall ({len(files)} worker(s))"
    )
    routes = sorted(k for k in total if k.startswith("route "))
    print(f"{len(routes)} routes: " + ", ".join(f"{k[6:]} {total[k]}" for k in routes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "fuzz-report.json"))
