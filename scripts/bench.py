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


def medians(samples):
    return tuple(median([s[i] for s in samples]) for i in range(3))


def alternate(first, second, runs, before=None):
    """Medians of `runs` alternating runs of two commands after a warm-up of each;
    `before(i)` runs before every sample (to edit a file, or empty a cache)."""
    run(first)
    run(second)
    ours, theirs = [], []
    for i in range(runs):
        if before:
            before(i)
        ours.append(run(first))
        if before:
            before(i)
        theirs.append(run(second))
    return medians(ours), medians(theirs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    prepare_corpus()
    ruff = prepare_ruff()
    files, lines, size, templates = corpus_size(CORPUS)
    our_cache = BENCH / "cache-analyzer-cache"
    ruff_cache = BENCH / "ruff-cache"

    def analyzer(path=CORPUS, cached=False):
        cache = ["--cache-dir", str(our_cache)] if cached else ["--no-cache"]
        return [str(ANALYZER), "analyze", str(path), "--output-format", "json"] + cache

    def ruff_check(path=CORPUS, cached=False):
        cache = ["--cache-dir", str(ruff_cache)] if cached else ["--no-cache"]
        return [str(ruff), "check", "--isolated", "--select", "DJ", "--exit-zero"] \
            + cache + [str(path)]

    cold = alternate(analyzer(), ruff_check(), args.runs)
    shutil.rmtree(our_cache, ignore_errors=True)
    shutil.rmtree(ruff_cache, ignore_errors=True)
    warm = alternate(analyzer(cached=True), ruff_check(cached=True), args.runs)

    # One file changed between runs, in a copy of the corpus (the scaling copies share
    # the corpus's files through hard links).
    edited_corpus = BENCH / "edited"
    if not edited_corpus.exists():
        shutil.copytree(CORPUS, edited_corpus)
    edited = next(edited_corpus.glob("django-*/django/db/models/query.py"))
    original = edited.read_bytes()

    def edit(i):
        edited.write_bytes(original + f"\n# edit {i} {time.time_ns()}\n".encode())

    run(analyzer(edited_corpus, cached=True))
    run(ruff_check(edited_corpus, cached=True))
    one_changed = alternate(analyzer(edited_corpus, cached=True),
                            ruff_check(edited_corpus, cached=True), args.runs, edit)
    edited.write_bytes(original)

    timings = subprocess.run(analyzer() + ["--timings"], capture_output=True, text=True)
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
        walls = [run(analyzer(target))[0] for _ in range(3)]
        scaling.append((copies, median(walls)))

    outputs = {}
    threads_rss = {}
    for threads in ("1", "2", "8"):
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        threads_rss[threads] = median([run(analyzer(), env)[2] for _ in range(3)])
        outputs[f"{threads} cold"] = subprocess.run(analyzer(), capture_output=True,
                                                    env=env).stdout
        outputs[f"{threads} warm"] = subprocess.run(analyzer(cached=True),
                                                    capture_output=True, env=env).stdout
    deterministic = len(set(outputs.values())) == 1

    (ours_wall, ours_cpu, ours_rss), (ruff_wall, ruff_cpu, ruff_rss) = cold
    (warm_wall, warm_cpu, warm_rss), (ruff_warm_wall, ruff_warm_cpu, ruff_warm_rss) = warm
    (edit_wall, edit_cpu, edit_rss), (ruff_edit_wall, ruff_edit_cpu, ruff_edit_rss) = one_changed
    cpu_model = next((line.split(":", 1)[1].strip()
                      for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), platform.processor())
    one = scaling[0][1]
    four = dict(scaling)[4]

    def verdict(held):
        return "met" if held else "**not met**"

    targets = [
        ("cold wall ≤ 0.8 × Ruff `--no-cache`", f"{ours_wall / ruff_wall:.2f} ×",
         ours_wall <= 0.8 * ruff_wall),
        ("cold peak RSS ≤ 64 MiB", f"{ours_rss:.1f} MiB", ours_rss <= 64),
        ("warm wall ≤ Ruff warm", f"{warm_wall / ruff_warm_wall:.2f} ×",
         warm_wall <= ruff_warm_wall),
        ("one file changed ≤ 1.5 × our warm run", f"{edit_wall / warm_wall:.2f} ×",
         edit_wall <= 1.5 * warm_wall),
        ("4 copies ≤ 4.4 × one copy", f"{four / one:.2f} ×", four <= 4.4 * one),
        ("identical JSON at 1, 2 and 8 threads, cold and warm",
         "yes" if deterministic else "NO", deterministic),
    ]

    def row(label, wall, cpu, rss):
        return f"| {label} | {wall:.3f} s | {cpu:.3f} s | {rss:.1f} MiB |\n"

    report = f"""# Benchmarks

Measured by `scripts/bench.sh` on {datetime.date.today().isoformat()}: {os.cpu_count()} cores,
{cpu_model}, {platform.system()} {platform.release()}.

Corpus: {", ".join(f"{n} {v}" for n, v, _ in PACKAGES)} (unpacked wheels):
{files:,} Python files, {lines:,} lines, {size / 1e6:.1f} MB, {templates:,} templates.

Medians of {args.runs} alternating runs after a warm-up of each, `cache-analyzer analyze
--output-format json` against `ruff check --isolated --select DJ` ({RUFF_VERSION}):

| | wall | CPU | peak RSS |
|---|---|---|---|
""" + row("cache-analyzer, cold (`--no-cache`)", ours_wall, ours_cpu, ours_rss) \
      + row("Ruff, cold (`--no-cache`)", ruff_wall, ruff_cpu, ruff_rss) \
      + row("cache-analyzer, warm (nothing changed)", warm_wall, warm_cpu, warm_rss) \
      + row("Ruff, warm (its cache, nothing changed)", ruff_warm_wall, ruff_warm_cpu,
            ruff_warm_rss) \
      + row("cache-analyzer, one file changed", edit_wall, edit_cpu, edit_rss) \
      + row("Ruff, one file changed", ruff_edit_wall, ruff_edit_cpu, ruff_edit_rss) \
      + """
Targets (issue 17):

| target | measured | |
|---|---|---|
""" + "".join(f"| {name} | {value} | {verdict(held)} |\n" for name, value, held in targets) \
      + f"""
Peak RSS of the cold run by worker threads (`RAYON_NUM_THREADS`, median of 3):
{", ".join(f"{t}: {r:.1f} MiB" for t, r in threads_rss.items())}.

Phase timings (`--timings`, one cold run):

```
{timing_line}
```

Scaling (cold, over copies of the corpus, median of 3):

| copies | wall | per copy | vs. one copy |
|---|---|---|---|
""" + "".join(
        f"| {c} | {w:.3f} s | {w / c:.3f} s | {w / one:.2f}× |\n" for c, w in scaling
    ) + f"""
To rerun: `scripts/bench.sh` (add `--runs N` for more samples). The first run downloads the
wheels and Ruff into `bench/` (about 250 MB, ignored by git).
"""
    (ROOT / "BENCHMARKS.md").write_text(report)
    print(report)
    if not deterministic:
        sys.exit("the JSON output differs between thread counts or between cold and warm")


if __name__ == "__main__":
    main()
