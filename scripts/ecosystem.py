"""Ecosystem check behind scripts/ecosystem.sh.

Downloads pinned releases of public Django code bases once into ecosystem/projects/
(ignored by git), runs `cache-analyzer analyze --output-format json` on each, and compares
every finding with the verdicts in ecosystem/verdicts.tsv: per-rule counts and precision,
the findings nobody has judged yet, and the verdicts whose finding vanished.

A verdict row is: project, version, path, code, fingerprint, verdict, why. Problems (errors
and warnings) are judged tp, fp or debatable; opportunities (CA5xx) useful, noise or
debatable, counted in the tp and fp columns. The fingerprint is the JSON report's: it
survives edits elsewhere in the file.

With --fixes, every fix offered is compared with ecosystem/fix_verdicts.tsv (project,
version, path, code, fingerprint, applicability, verdict `right`/`wrong`, why): a fix
nobody has judged, or one judged wrong, fails the run, as a broken diff does.
"""

import argparse
import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "ecosystem" / "projects"
DOWNLOADS = ROOT / "ecosystem" / "downloads"
VERDICTS = ROOT / "ecosystem" / "verdicts.tsv"
ANALYZER = ROOT / "target" / "release" / "cache-analyzer"
VERDICT_FIELDS = ["project", "version", "path", "code", "fingerprint", "verdict", "why"]
FIX_VERDICTS = ROOT / "ecosystem" / "fix_verdicts.tsv"
FIX_VERDICT_FIELDS = ["project", "version", "path", "code", "fingerprint", "applicability",
                      "verdict", "why"]
PROBLEM_VERDICTS = {"tp", "fp", "debatable"}
# An opportunity is judged by whether a senior engineer would act on it.
OPPORTUNITY_VERDICTS = {"useful": "tp", "noise": "fp", "debatable": "debatable"}

# Applications and libraries with real cache use (each was grepped for `cache` before it
# was chosen), as PyPI source distributions: they carry templates and tests too.
SDISTS = [
    ("mayan-edms", "4.12.2"),
    ("pulpcore", "3.123.1"),
    ("label-studio", "1.23.2"),
    ("reviewboard", "8.1"),
    ("kolibri", "0.19.5"),
    ("evennia", "6.1.0"),
    ("askbot", "0.13.0"),
    ("hyperkitty", "1.3.12"),
    ("misago", "0.39.6"),
    ("mezzanine", "6.1.1"),
    ("openwisp-controller", "1.3.2"),
    ("galaxy-ng", "4.9.2"),
    ("django-machina", "1.3.1"),
    ("django-allauth", "65.22.1"),
    ("django-filer", "3.6.0"),
    ("netbox", "4.7.3"),
    ("nautobot", "3.2.7"),
]

# The benchmark corpus (scripts/bench.py), as wheels: sentry publishes no usable sdist.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import PACKAGES as BENCH_PACKAGES  # noqa: E402
from bench import CORPUS as BENCH_CORPUS  # noqa: E402
from bench import prepare_corpus  # noqa: E402


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def sdist_url(name, version):
    """The sdist's URL and sha256 from PyPI's simple index (PEP 691 JSON)."""
    request = urllib.request.Request(f"https://pypi.org/simple/{name}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        index = json.load(r)
    for entry in index["files"]:
        for suffix in (".tar.gz", ".zip"):
            stem = entry["filename"].removesuffix(suffix)
            if stem != entry["filename"] and normalize(stem) == normalize(f"{name}-{version}"):
                return entry["url"], entry["hashes"]["sha256"]
    sys.exit(f"{name}=={version} has no sdist on PyPI")


def prepare_sdist(name, version):
    target = PROJECTS / f"{name}-{version}"
    if target.exists():
        return target
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    url, sha256 = sdist_url(name, version)
    archive = DOWNLOADS / url.rsplit("/", 1)[1]
    if not archive.exists() or hashlib.sha256(archive.read_bytes()).hexdigest() != sha256:
        print(f"downloading {name} {version}", file=sys.stderr)
        with urllib.request.urlopen(url, timeout=600) as r:
            data = r.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            sys.exit(f"{url}: sha256 does not match PyPI's")
        archive.write_bytes(data)
    partial = target.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(partial)
    else:
        with tarfile.open(archive) as t:
            t.extractall(partial, filter="data")
    # An sdist holds one top-level directory, name-version/: analyse what is inside it.
    inner = list(partial.iterdir())
    root = inner[0] if len(inner) == 1 and inner[0].is_dir() else partial
    root.rename(target)
    shutil.rmtree(partial, ignore_errors=True)
    return target


def projects():
    """(name, version, directory) of every project, downloading what is missing."""
    found = [(n, v, prepare_sdist(n, v)) for n, v in SDISTS]
    prepare_corpus()
    found += [(n, v, BENCH_CORPUS / f"{n}-{v}") for n, v, _ in BENCH_PACKAGES]
    return found


def analyse(directory):
    result = subprocess.run(
        [str(ANALYZER), "analyze", str(directory), "--output-format", "json", "--exit-zero"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        sys.exit(f"cache-analyzer failed on {directory}:\n{result.stderr}")
    return json.loads(result.stdout)


def read_fix_verdicts():
    if not FIX_VERDICTS.exists():
        return {}
    with FIX_VERDICTS.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for number, row in enumerate(rows, start=2):
        if row["verdict"] not in {"right", "wrong"} or row["applicability"] not in {"safe", "unsafe"}:
            sys.exit(f"{FIX_VERDICTS}:{number}: a fix's applicability is safe or unsafe, "
                     f"its verdict right or wrong")
    return {(r["project"], r["path"], r["code"], r["fingerprint"]): r for r in rows}


def read_verdicts():
    if not VERDICTS.exists():
        return []
    with VERDICTS.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for number, row in enumerate(rows, start=2):
        if row["code"].startswith("CA5"):
            if row["verdict"] not in OPPORTUNITY_VERDICTS:
                sys.exit(f"{VERDICTS}:{number}: an opportunity's verdict is useful, noise or "
                         f"debatable, not {row['verdict']!r}")
            row["verdict"] = OPPORTUNITY_VERDICTS[row["verdict"]]
        elif row["verdict"] not in PROBLEM_VERDICTS:
            sys.exit(f"{VERDICTS}:{number}: verdict must be tp, fp or debatable, not {row['verdict']!r}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", action="append", help="only these projects (repeatable)")
    parser.add_argument("--opportunities", action="store_true",
                        help="also require verdicts for opportunities (CA5xx)")
    parser.add_argument("--unjudged", type=Path,
                        help="write the unjudged findings to this TSV, verdict left empty, "
                             "with the message, for judging")
    parser.add_argument("--findings", type=Path,
                        help="write every finding (project, path, line, code, message) as JSON lines")
    parser.add_argument("--fixes", type=Path, metavar="DIR",
                        help="also check the fixes: write each project's `--diff --unsafe-fixes` "
                             "to DIR/<project>.diff, apply it with `patch -p1` to a copy, and "
                             "require the copy to parse and a second diff to be empty")
    args = parser.parse_args()

    verdicts = read_verdicts()
    by_key = {(r["project"], r["path"], r["code"], r["fingerprint"]): r for r in verdicts}
    selected = [p for p in projects() if not args.project or p[0] in args.project]
    seen = set()
    counts = defaultdict(Counter)
    unjudged = []
    all_findings = []
    reports = {}
    for name, version, directory in selected:
        report = reports[name] = analyse(directory)
        for d in report["diagnostics"]:
            needs_verdict = d["severity"] != "opportunity" or args.opportunities
            key = (name, d["path"], d["code"], d["fingerprint"])
            all_findings.append({"project": name, "version": version, **d})
            verdict = by_key.get(key)
            if verdict is not None:
                seen.add(key)
                counts[d["code"]][verdict["verdict"]] += 1
            elif needs_verdict:
                counts[d["code"]]["unjudged"] += 1
                unjudged.append((name, version, d))
            else:
                counts[d["code"]]["opportunity"] += 1
    names = {p[0] for p in selected}
    vanished = [r for r in verdicts if r["project"] in names
                and (r["project"], r["path"], r["code"], r["fingerprint"]) not in seen]

    print("(for opportunities, tp counts `useful` and fp `noise`)")
    print(f"{'rule':6} {'found':>5} {'tp':>4} {'fp':>4} {'deb':>4} {'new':>4}  precision  strict")
    for code in sorted(counts):
        c = counts[code]
        total = sum(c.values())
        judged = c["tp"] + c["fp"]
        precision = f"{c['tp'] / judged:.2f}" if judged else "-"
        strict_total = judged + c["debatable"]
        strict = f"{c['tp'] / strict_total:.2f}" if strict_total else "-"
        print(f"{code:6} {total:5} {c['tp']:4} {c['fp']:4} {c['debatable']:4} "
              f"{c['unjudged']:4}  {precision:>9}  {strict:>6}")
    print(f"{len(selected)} projects, {sum(sum(c.values()) for c in counts.values())} findings")

    for name, version, d in unjudged:
        print(f"unjudged: {name} {d['path']}:{d['line']}: {d['code']} {d['message']}")
    # A false positive that vanished is a fix: counted, and kept in the file so that it is
    # caught if it comes back. A true positive that vanished is a loss of recall, listed
    # each run; a debatable one is counted.
    fixed = [r for r in vanished if r["verdict"] == "fp"]
    settled = [r for r in vanished if r["verdict"] == "debatable"]
    lost = [r for r in vanished if r["verdict"] == "tp"]
    print(f"{len(fixed)} false positives and {len(settled)} debatable findings judged "
          f"earlier are no longer reported; {len(lost)} true positives are not either:")
    for r in lost:
        print(f"vanished: {r['project']} {r['path']}: {r['code']} {r['fingerprint']} "
              f"({r['why']})")

    broken_fixes = check_fixes(selected, reports, args.fixes) if args.fixes else 0

    if args.unjudged:
        with args.unjudged.open("w", newline="") as f:
            writer = csv.writer(f, delimiter="\t", lineterminator="\n")
            writer.writerow(VERDICT_FIELDS + ["line", "message"])
            for name, version, d in unjudged:
                writer.writerow([name, version, d["path"], d["code"], d["fingerprint"], "", "",
                                 d["line"], d["message"]])
    if args.findings:
        with args.findings.open("w") as f:
            for finding in all_findings:
                f.write(json.dumps(finding) + "\n")
    # A finding nobody has judged may be a new false positive.
    return 1 if unjudged or broken_fixes else 0


def check_fixes(selected, reports, out_dir):
    """Per project: the fixes offered, by rule and applicability, each judged right in
    ecosystem/fix_verdicts.tsv; the diff applied to a copy must leave every file parsing and
    nothing more to fix. The number of fixes unjudged or wrong and of projects whose diff
    fails."""
    import tempfile

    out_dir.mkdir(parents=True, exist_ok=True)
    offered = defaultdict(Counter)
    failures = broken = 0
    judged = read_fix_verdicts()
    for name, version, directory in selected:
        report = reports[name]
        for d in report["diagnostics"]:
            fix = d.get("fix")
            if not fix:
                continue
            offered[d["code"]][fix["applicability"]] += 1
            verdict = judged.get((name, d["path"], d["code"], d["fingerprint"]))
            where = f"{name} {d['path']}:{d['line']}: {d['code']} {fix['applicability']} fix"
            if verdict is None:
                print(f"unjudged: {where} ({fix['message']}), fingerprint {d['fingerprint']}")
                failures += 1
            elif verdict["verdict"] == "wrong" or verdict["applicability"] != fix["applicability"]:
                print(f"wrong: {where} ({verdict['applicability']} {verdict['verdict']}: "
                      f"{verdict['why']})")
                failures += 1
        diff = subprocess.run([str(ANALYZER), "analyze", ".", "--diff", "--unsafe-fixes", "--no-cache"],
                              cwd=directory, capture_output=True, text=True)
        (out_dir / f"{name}.diff").write_text(diff.stdout)
        if not diff.stdout:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / name
            shutil.copytree(directory, copy, symlinks=True)
            patched = subprocess.run(["patch", "-p1", "--quiet"], cwd=copy, input=diff.stdout,
                                     capture_output=True, text=True)
            errors_before = sum(1 for d in report["diagnostics"] if d["code"] == "CA000")
            after = analyse(copy)
            errors_after = sum(1 for d in after["diagnostics"] if d["code"] == "CA000")
            again = subprocess.run([str(ANALYZER), "analyze", ".", "--diff", "--unsafe-fixes", "--no-cache"],
                                   cwd=copy, capture_output=True, text=True)
            problems = []
            if patched.returncode != 0:
                problems.append(f"patch -p1 failed: {patched.stdout}{patched.stderr}")
            if errors_after > errors_before:
                problems.append(f"{errors_after - errors_before} more files fail to parse")
            if again.stdout:
                problems.append("a second --diff is not empty")
            for problem in problems:
                print(f"fix check: {name}: {problem}")
            broken += bool(problems)
    print("fixes offered (safe / unsafe):")
    for code in sorted(offered):
        print(f"{code:6} {offered[code]['safe']:5} {offered[code]['unsafe']:5}")
    print(f"fix check: {len(selected) - broken} of {len(selected)} projects' diffs apply, "
          f"parse and leave nothing to fix; diffs in {out_dir}")
    return failures + broken


if __name__ == "__main__":
    sys.exit(main())
