#!/usr/bin/env python3
"""provider-docs.py ZONESYNC: rewrites the key tables of docs/providers.md and
docs/configuration.md from the providers' descriptors (`zonesync help provider TYPE
--markdown`). Each table stands between `<!-- keys: TYPE -->` and `<!-- /keys -->`;
tests/check_provider.c fails when a table and its descriptor disagree."""
import re
import subprocess
import sys

zonesync = sys.argv[1]


def table(m):
    t = m.group(1)
    out = subprocess.run([zonesync, "help", "provider", t, "--markdown"], check=True,
                         capture_output=True, text=True).stdout
    return "<!-- keys: %s -->\n%s<!-- /keys -->" % (t, out)


for path in ("docs/providers.md", "docs/configuration.md"):
    text = open(path).read()
    new = re.sub(r"<!-- keys: (\S+) -->\n.*?<!-- /keys -->", table, text, flags=re.S)
    if new != text:
        open(path, "w").write(new)
