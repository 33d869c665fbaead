#!/usr/bin/python3
"""Regenerate .env.example from the configuration table in src/cli/config.c (every variable,
its default and its help). tests/contrib.sh checks that the result lists every variable."""
import os
import re

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
src = open(os.path.join(root, "src/cli/config.c")).read()
rows = re.findall(r'\{"([A-Z_]+)", (NULL|"[^"]*"), (?:NULL|"[^"]*"), (?:true|false),\s*((?:"[^"]*"\s*)+)\}', src)
out = ["# mongobak configuration: every variable with its default. Copy to .env (or to the file",
       "# named by --env-file / systemd EnvironmentFile) and set what you need. Precedence:",
       "# command-line flags > environment > this file > defaults. Any secret NAME can also be",
       "# read from a file with NAME_FILE=/path (e.g. SMTP_PASS_FILE=/run/secrets/smtp).", ""]
for name, default, helptext in rows:
    out.append("# " + "".join(re.findall(r'"([^"]*)"', helptext)))
    value = default.strip('"') if default != "NULL" else ""
    if name == "MONGODB_URI":
        value = "mongodb://user:password@localhost:27017/?authSource=admin"
    if " " in value or "*" in value:
        value = "'" + value + "'"
    commented = default == "NULL" and name != "MONGODB_URI"
    out.append(("# " if commented else "") + name + "=" + value)
    out.append("")
open(os.path.join(root, ".env.example"), "w").write("\n".join(out))
