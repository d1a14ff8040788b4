#!/usr/bin/env python3
"""cut-botocore.py SERVICE-2.JSON COMMIT OP... > subset.json

Cuts the operations a fake serves, and every shape they reach, out of a botocore
service model (boto/botocore botocore/data/<service>/<version>/service-2.json,
Apache-2.0). Documentation strings are dropped; nothing else is changed. The result
names its source and licence in "_source"."""
import json
import sys

path, commit, ops = sys.argv[1], sys.argv[2], sys.argv[3:]
m = json.load(open(path))
keep_shapes, todo = set(), []


def reach(name):
    if name not in keep_shapes:
        keep_shapes.add(name)
        todo.append(name)


def strip(d):
    if isinstance(d, dict):
        return {k: strip(v) for k, v in d.items() if k != "documentation"}
    if isinstance(d, list):
        return [strip(v) for v in d]
    return d


out_ops = {}
for op in ops:
    if op in m["shapes"]:           # an error shape asked for by name (ThrottlingException)
        reach(op)
        continue
    o = m["operations"][op]
    out_ops[op] = strip(o)
    for k in ("input", "output"):
        if k in o:
            reach(o[k]["shape"])
    for e in o.get("errors", []):
        reach(e["shape"])
while todo:
    s = m["shapes"][todo.pop()]
    for mem in s.get("members", {}).values():
        reach(mem["shape"])
    for k in ("member", "key", "value"):
        if k in s:
            reach(s[k]["shape"])
print(json.dumps({
    "_source": {
        "repository": "https://github.com/boto/botocore",
        "path": path.split("repo/", 1)[-1],
        "commit": commit,
        "licence": "Apache-2.0 (see LICENSE-Apache-2.0 and NOTICE-botocore beside this file); "
                   "cut by cut-botocore.py: the listed operations and the shapes they reach, "
                   "documentation removed",
    },
    "metadata": m["metadata"],
    "operations": out_ops,
    "shapes": {k: strip(m["shapes"][k]) for k in sorted(keep_shapes)},
}, indent=1, sort_keys=False))
