#!/usr/bin/env bash
# The static analyser: clang's analyzer (clang --analyze) over every file of src/, with the
# flags CMake uses. Prints the findings and exits 1 when there are any.
#   tools/analyze.sh [BUILD_DIR]   (BUILD_DIR has compile_commands.json; default build-test)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-test}
/usr/bin/python3 - "$build/compile_commands.json" <<'PY'
import json, shlex, subprocess, sys
cmds = [c for c in json.load(open(sys.argv[1])) if "/src/" in c["file"]]
found = 0
for c in cmds:
    args = shlex.split(c["command"])
    keep = [a for a in args[1:] if a.startswith(("-I", "-D", "-isystem", "-std")) or a == "-isystem"]
    # -isystem takes the next argument
    flags, i = [], 1
    while i < len(args):
        a = args[i]
        if a == "-isystem":
            flags += [a, args[i + 1]]; i += 2; continue
        if a.startswith(("-I", "-D", "-std")):
            flags.append(a)
        i += 1
    r = subprocess.run(["clang", "--analyze", "-Xclang", "-analyzer-output=text", "-o", "/dev/null",
                        *flags, c["file"]], capture_output=True, text=True, cwd=c["directory"])
    out = "\n".join(l for l in r.stderr.splitlines() if "warning:" in l)
    if out:
        found += out.count("warning:")
        print(out)
print("static analysis: %d finding(s) in %d files" % (found, len(cmds)))
sys.exit(1 if found else 0)
PY
