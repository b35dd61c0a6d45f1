"""Benchmark harness behind scripts/bench.sh.

Downloads the corpus wheels once into bench/ (ignored by git), installs Ruff into a virtual
environment there, then times `cache-analyzer analyze` against `ruff check` on the same
files, alternating runs, and writes the results to BENCHMARKS.md.
"""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WHEELS = BENCH / "wheels"
CORPUS = BENCH / "corpus"
VENV = BENCH / "venv"
ANALYZER = ROOT / "target" / "release" / "cache-analyzer"
RUFF_VERSION = "0.17.5"

# (distribution, version, --python-version for `pip download`)
PACKAGES = [
    ("django", "6.1.3", "3.12"),
    ("wagtail", "8.0.1", "3.12"),
    ("weblate", "2026.10.1", "3.12"),
    ("pretix", "2026.8.0", "3.12"),
    ("django-oscar", "4.2.1", "3.12"),
    ("django-cms", "5.1.3", "3.12"),
    ("djangorestframework", "3.18.3", "3.12"),
    ("sentry", "23.7.1", "3.8"),
]


def prepare_corpus():
    WHEELS.mkdir(parents=True, exist_ok=True)
    for name, version, python in PACKAGES:
        target = CORPUS / f"{name}-{version}"
        if target.exists():
            continue
        before = set(WHEELS.iterdir())
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--python-version", python,
             f"{name}=={version}", "-d", str(WHEELS)],
            check=True,
        )
        wheel = next(
            (w for w in WHEELS.iterdir() if w not in before and w.suffix == ".whl"),
            None,
        ) or next(WHEELS.glob(f"{name.replace('-', '_')}-{version}-*.whl"), None) \
          or next(WHEELS.glob(f"{name.capitalize()}-{version}-*.whl"), None)
        if wheel is None:
            sys.exit(f"cannot find the wheel of {name}=={version} in {WHEELS}")
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(partial)
        partial.rename(target)


def prepare_ruff():
    ruff = VENV / "bin" / "ruff"
    if not ruff.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet",
                        f"ruff=={RUFF_VERSION}"], check=True)
    return ruff


def run(command, env=None):
    """Wall seconds, CPU seconds (user + system of the child) and peak RSS in MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{command[0]} exited with {code}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def corpus_size(path):
    files = lines = size = templates = 0
    for file in path.rglob("*"):
        if file.suffix == ".py" and file.is_file():
            files += 1
            data = file.read_bytes()
            size += len(data)
            lines += data.count(b"\n")
        elif file.suffix == ".html" and "templates" in file.parts:
            templates += 1
    return files, lines, size, templates


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    prepare_corpus()
    ruff = prepare_ruff()
    files, lines, size, templates = corpus_size(CORPUS)
    analyzer = [str(ANALYZER), "analyze", str(CORPUS), "--output-format", "json"]
    ruff_check = [str(ruff), "check", "--no-cache", "--isolated", "--select", "DJ",
                  "--exit-zero", str(CORPUS)]

    run(analyzer)
    run(ruff_check)
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(run(analyzer))
        theirs.append(run(ruff_check))
    results = {}
    for label, samples in (("cache-analyzer", ours), ("ruff", theirs)):
        results[label] = tuple(median([s[i] for s in samples]) for i in range(3))

    timings = subprocess.run(analyzer + ["--timings"], capture_output=True, text=True)
    timing_line = timings.stderr.strip().splitlines()[-1]

    scaling = []
    scale_dir = BENCH / "scaling"
    for copies in (1, 2, 4):
        target = scale_dir / str(copies)
        if not target.exists():
            target.mkdir(parents=True)
            for copy in range(copies):
                subprocess.run(["cp", "-al", str(CORPUS), str(target / f"copy{copy}")],
                               check=True)
        walls = [run([str(ANALYZER), "analyze", str(target), "--output-format", "json"])[0]
                 for _ in range(3)]
        scaling.append((copies, median(walls)))

    outputs = {}
    for threads in ("1", "2", "8"):
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        outputs[threads] = subprocess.run(analyzer, capture_output=True, env=env).stdout
    deterministic = len(set(outputs.values())) == 1

    ours_wall, ours_cpu, ours_rss = results["cache-analyzer"]
    ruff_wall, ruff_cpu, ruff_rss = results["ruff"]
    cpu_model = next((line.split(":", 1)[1].strip()
                      for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), platform.processor())
    one = scaling[0][1]
    report = f"""# Benchmarks

Measured by `scripts/bench.sh` on {datetime.date.today().isoformat()}: {os.cpu_count()} cores,
{cpu_model}, {platform.system()} {platform.release()}.

Corpus: {", ".join(f"{n} {v}" for n, v, _ in PACKAGES)} (unpacked wheels):
{files:,} Python files, {lines:,} lines, {size / 1e6:.1f} MB, {templates:,} templates.

Medians of {args.runs} alternating runs after a warm-up:

| | wall | CPU | peak RSS |
|---|---|---|---|
| `cache-analyzer analyze --output-format json` | {ours_wall:.3f} s | {ours_cpu:.3f} s | {ours_rss:.1f} MiB |
| `ruff check --no-cache --isolated --select DJ` ({RUFF_VERSION}) | {ruff_wall:.3f} s | {ruff_cpu:.3f} s | {ruff_rss:.1f} MiB |
| ratio cache-analyzer / Ruff | {ours_wall / ruff_wall:.2f} | {ours_cpu / ruff_cpu:.2f} | {ours_rss / ruff_rss:.2f} |

Phase timings (`--timings`, one run):

```
{timing_line}
```

Scaling (same analysis over copies of the corpus, median of 3):

| copies | wall | per copy | vs. one copy |
|---|---|---|---|
""" + "".join(
        f"| {c} | {w:.3f} s | {w / c:.3f} s | {w / one:.2f}× |\n" for c, w in scaling
    ) + f"""
JSON output identical at `RAYON_NUM_THREADS` 1, 2 and 8: {"yes" if deterministic else "NO"}.

To rerun: `scripts/bench.sh` (add `--runs N` for more samples). The first run downloads the
wheels and Ruff into `bench/` (about 250 MB, ignored by git).
"""
    (ROOT / "BENCHMARKS.md").write_text(report)
    print(report)
    if not deterministic:
        sys.exit("the JSON output differs between thread counts")


if __name__ == "__main__":
    main()
