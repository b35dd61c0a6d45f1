#!/usr/bin/env bash
# Benchmark cache-analyzer against Ruff on a real Django-ecosystem corpus; see BENCHMARKS.md.
# Needs network access to PyPI the first time (the corpus and Ruff are cached under bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
python3 scripts/bench.py "$@"
