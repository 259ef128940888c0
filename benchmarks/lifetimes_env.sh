#!/usr/bin/env bash
# Build a separate virtual environment with lifetimes 0.11.3, the reference implementation our
# CLV tests compare against. lifetimes needs numpy<2 and pandas<2, so it cannot share the main
# .venv (numpy 2.x, pandas 3.x). Usage, from the repository root:
#
#     bash benchmarks/lifetimes_env.sh
#     benchmarks/.venv-lifetimes/bin/python benchmarks/lifetimes_reference.py
#
# The environment is only needed to regenerate tests/data/lifetimes_reference.json and for the
# lifetimes timing in benchmarks/bench_clv.py; the test suite itself never needs it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-lifetimes"
py="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet \
    "lifetimes==0.11.3" "numpy<2" "pandas<2" "scipy<1.13"
"$venv/bin/python" - <<'PY'
import lifetimes, numpy, pandas, scipy
print(f"lifetimes {lifetimes.__version__}, numpy {numpy.__version__}, "
      f"pandas {pandas.__version__}, scipy {scipy.__version__}")
PY
