#!/usr/bin/env bash
# Ecosystem check: analyse pinned public Django projects and compare every finding with the
# verdicts in ecosystem/verdicts.tsv; see README.md, "Development". Needs network access to
# PyPI the first time (the projects are cached under ecosystem/projects/ and bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
python3 scripts/ecosystem.py "$@"
