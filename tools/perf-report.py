#!/usr/bin/python3
"""tools/perf-report.py: docs/perf/ from the JSON files of tools/bench, in one command.

  tools/perf-report.py [--out DIR] [--doc FILE] [--no-chart] BENCH.json...

For each file (a configuration: one `tools/bench ... --json FILE` run), in the order given, it
writes a section of DIR/RESULTS.md (default docs/perf): the command, the dataset, the machine and
its load, the table of medians, the targets it checks, and a chart, DIR/NAME.png, drawn by
gnuplot: throughput (MB/s of BSON) and peak RSS (MB) of every variant, as bars, mongobak in
blue, mongodump/mongorestore in orange, the bare loops and zstd alone in grey. Then it rewrites
the block between the markers `<!-- perf-report: begin -->` and `<!-- perf-report: end -->` of
FILE (default docs/PERFORMANCE.md): every target of every configuration in one table, with a
link to its section, and the charts. Everything outside the markers (the hand-written analysis)
is left as it is. Without any file, the block says that nothing was measured yet.

RESULTS.md and the PNGs are generated: rerun this command rather than editing them. Smoke runs
(tools/bench --smoke) are marked as such: their figures are not measurements.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- perf-report: begin -->"
END = "<!-- perf-report: end -->"
COLORS = {"mongobak": "#1f77b4", "mongo-tools": "#ff7f0e", "baseline": "#8c8c8c"}


def die(msg):
    print("perf-report: error: %s" % msg, file=sys.stderr)
    sys.exit(1)


def family(variant):
    head = variant.split("-")[0]
    if head == "mb":
        return "mongobak"
    if head in ("md", "mr"):
        return "mongo-tools"
    return "baseline"


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "bench"


def table(run):
    rows, base = run["summary"], run.get("base")
    restore = run.get("mode") == "restore"
    cols = ["variant", "wall s", "(min-max)", "MB/s", "kdocs/s", "archive MB" if restore else "out MB",
            "ratio", "CPU s/GB", "RSS MB", "srv CPU s", "x " + (base or "?")]
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for v, r in rows.items():
        rel = rows[base]["wall"] / r["wall"] if base in rows else None
        name = v + (" (%d errors)" % r["errors"] if r["errors"] else "")
        cells = [name, fmt(r["wall"], ".2f"), "%.2f-%.2f" % (r["wall_min"], r["wall_max"]),
                 fmt(r["mbps"], ".0f"), fmt(r["kdocs"], ".0f"), fmt(r["out_mb"], ".0f"),
                 fmt(r["ratio"], ".2f"), fmt(r["cpu_per_gb"], ".2f"), fmt(r["rss_mb"], ".0f"),
                 fmt(r["server_cpu"], ".2f"), fmt(rel, ".2f")]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def target_rows(run, anchor):
    out = []
    for t in run.get("targets", []):
        verdict = "reached" if t["reached"] else "**missed**"
        if run.get("smoke"):
            verdict = "smoke run, not measured"
        out.append("| %s | [%s](%s) | %.2f | %s %.2f (issue %d) | %s |" % (
            t["what"], run["name"], anchor, t["value"], t["op"], t["target"], t["issue"], verdict))
    return out


def chart(run, path):
    """Two bar panels (throughput, peak RSS) per variant, drawn by gnuplot into path."""
    rows = run["summary"]
    with tempfile.TemporaryDirectory(prefix="perf-report-") as tmp:
        data = Path(tmp) / "data"
        lines = []
        for i, (v, r) in enumerate(rows.items()):
            color = int(COLORS[family(v)][1:], 16)
            lines.append("%d %s %.3f %.3f %d" % (i, v, r["mbps"] or 0, r["rss_mb"] or 0, color))
        data.write_text("\n".join(lines) + "\n")
        title = run["name"] + (" (SMOKE RUN: not a measurement)" if run.get("smoke") else "")
        width = max(640, 90 * len(rows) + 160)
        script = """
set terminal pngcairo size {w},720 font ",10"
set output "{out}"
set multiplot layout 2,1 title "{title}"
set style fill solid 0.9 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -30 nomirror
set yrange [0:*]
set key off
set xrange [-0.6:{n}-0.4]
set ylabel "MB/s of BSON (higher is better)"
plot "{data}" using 1:3:5:xtic(2) with boxes lc rgb variable, \\
     "" using 1:3:(sprintf("%.0f", $3)) with labels offset 0,0.6
set ylabel "peak RSS, MB (lower is better)"
plot "{data}" using 1:4:5:xtic(2) with boxes lc rgb variable, \\
     "" using 1:4:(sprintf("%.0f", $4)) with labels offset 0,0.6
unset multiplot
""".format(w=width, out=path, title=title.replace('"', "'"), n=len(rows), data=data)
        r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
        if r.returncode != 0 or not path.exists():
            die("gnuplot failed for %s: %s" % (run["name"], r.stderr.strip()[-500:]))


def section(run, png):
    head = "## %s%s" % (run["name"], " (SMOKE RUN: not a measurement)" if run.get("smoke") else "")
    parts = [head, "", "`%s`" % run.get("command", "tools/bench"), "",
             "- %s" % run.get("title", ""),
             "- dataset: %s" % run.get("dataset", ""),
             "- machine: %s; started %s; load average %.2f at the start, %.2f at the end" % (
                 run.get("machine", "?"), run.get("started", "?"), run["load"][0], run["load"][1])
             if run.get("load") else "- machine: %s" % run.get("machine", "?"), ""]
    if png:
        parts += ["![%s: throughput and peak RSS per variant](%s)" % (run["name"], png.name), ""]
    parts += [table(run), ""]
    if run.get("targets"):
        parts += ["| target | configuration | measured | wanted | verdict |", "|---|---|---|---|---|"]
        parts += target_rows(run, "#" + anchor_of(run["name"]))
        parts.append("")
    return "\n".join(parts)


def anchor_of(name):
    return re.sub(r"[^a-z0-9 _-]", "", name.lower()).replace(" ", "-")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="*")
    ap.add_argument("--out", default=str(ROOT / "docs/perf"))
    ap.add_argument("--doc", default=str(ROOT / "docs/PERFORMANCE.md"))
    ap.add_argument("--no-chart", action="store_true")
    a = ap.parse_args()
    out = Path(a.out)
    doc = Path(a.doc)
    if not a.no_chart and a.json and not shutil.which("gnuplot"):
        die("gnuplot is not installed (tools/deps.sh test installs it), or pass --no-chart")
    runs = []
    for f in a.json:
        try:
            run = json.loads(Path(f).read_text())
        except (OSError, ValueError) as e:
            die("%s: %s" % (f, e))
        if "summary" not in run:
            die("%s is not a tools/bench --json file" % f)
        run.setdefault("name", Path(f).stem)
        runs.append(run)
    names = [r["name"] for r in runs]
    if len(set(names)) != len(names):
        die("two files have the same configuration name: give tools/bench --name")
    out.mkdir(parents=True, exist_ok=True)
    rel = os.path.relpath(out, doc.parent)
    sections, targets, charts = [], [], []
    for run in runs:
        png = None
        if not a.no_chart:
            png = out / ("%s.png" % slug(run["name"]))
            chart(run, png)
            charts.append("![%s](%s/%s)" % (run["name"], rel, png.name))
        sections.append(section(run, png))
        targets += target_rows(run, "%s/RESULTS.md#%s" % (rel, anchor_of(run["name"])))
    sources = ", ".join(os.path.relpath(Path(f).resolve(), ROOT) if Path(f).resolve().is_relative_to(ROOT)
                        else Path(f).name for f in a.json) or "no file yet"
    results = ["# Benchmark results (generated)", "",
               "Generated by `tools/perf-report.py` from the JSON of `tools/bench` (%s): do not edit; "
               "rerun the command. Medians of the repetitions; every run was checked (see "
               "[PERFORMANCE.md](../PERFORMANCE.md), \"The instruments\" and \"Round 2\")." % sources, ""]
    results += sections if sections else ["Nothing measured yet: run `tools/bench-round2.sh`.", ""]
    (out / "RESULTS.md").write_text("\n".join(results))
    block = [BEGIN, "<!-- generated by tools/perf-report.py: do not edit between the markers -->", ""]
    if runs:
        block += ["Measured configurations: %s; tables and charts in [%s/RESULTS.md](%s/RESULTS.md)." % (
            ", ".join(names), rel, rel), ""]
        if targets:
            block += ["| target | configuration | measured | wanted | verdict |", "|---|---|---|---|---|"]
            block += targets + [""]
        block += charts + ([""] if charts else [])
    else:
        block += ["Nothing measured yet for issue 17: on a quiet machine, run `tools/bench-round2.sh` "
                  "(it runs every configuration and then this report).", ""]
    block.append(END)
    if doc.exists():
        text = doc.read_text()
        if BEGIN not in text or END not in text:
            die("%s has no %s ... %s block" % (doc, BEGIN, END))
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        doc.write_text(head + "\n".join(block) + tail)
    print("perf-report: %d configuration(s) -> %s/RESULTS.md%s, %s" % (
        len(runs), out, " and %d chart(s)" % len(charts) if charts else "", doc), file=sys.stderr)


if __name__ == "__main__":
    main()
