#!/usr/bin/env bash
# Builds the binary wheel for this machine's platform into dist/ (or the directory given
# with --out): `pip install dist/cache_analyzer-*.whl` then installs cache-analyzer with
# no Rust toolchain. Run it once per platform; .github/workflows/wheels.yml does that in
# CI. Needs Rust (rustup) and Python 3.9+ (`$PYTHON`, default `python3`); maturin is
# installed into target/wheel-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/wheel-venv
if [ ! -x "$venv/bin/maturin" ] && [ ! -x "$venv/Scripts/maturin.exe" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "maturin==1.16.0" 2>/dev/null ||
        "$venv/Scripts/python" -m pip install --quiet "maturin==1.16.0"
fi
maturin="$venv/bin/maturin"
[ -x "$maturin" ] || maturin="$venv/Scripts/maturin.exe"
# --locked: the wheel holds exactly the dependencies Cargo.lock pins.
"$maturin" build --release --locked --out dist "$@"
