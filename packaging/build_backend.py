"""The PEP 517 build backend: maturin's, which first checks that cargo is on PATH.

Without cargo, maturin would silently download a Rust toolchain (about 800 MB) into the
user's home directory; the build stops with a clear message instead, unless the user
opts in with CACHE_ANALYZER_FETCH_RUST=1.
"""

import os
import shutil

import maturin

FETCH_RUST = "CACHE_ANALYZER_FETCH_RUST"

# maturin's every hook (the sdist's too) fetches Rust when cargo is missing, unless told
# not to.
if os.environ.get(FETCH_RUST) != "1":
    os.environ.setdefault("MATURIN_NO_INSTALL_RUST", "1")


def _require_cargo():
    if shutil.which("cargo") or os.environ.get(FETCH_RUST) == "1":
        return
    raise SystemExit(
        "cache-analyzer compiles from Rust source and needs cargo (Rust 1.95 or newer) on "
        "PATH: install Rust from https://rustup.rs and retry, or set "
        f"{FETCH_RUST}=1 to let maturin download a toolchain (about 800 MB) into your "
        "home directory. The build takes about two minutes."
    )


def get_requires_for_build_wheel(config_settings=None):
    _require_cargo()
    return maturin.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings=None):
    _require_cargo()
    return maturin.get_requires_for_build_editable(config_settings)


build_wheel = maturin.build_wheel
build_editable = maturin.build_editable
build_sdist = maturin.build_sdist
get_requires_for_build_sdist = maturin.get_requires_for_build_sdist
prepare_metadata_for_build_wheel = maturin.prepare_metadata_for_build_wheel
prepare_metadata_for_build_editable = maturin.prepare_metadata_for_build_editable
