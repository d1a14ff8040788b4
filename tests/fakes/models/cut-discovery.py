#!/usr/bin/env python3
"""cut-discovery.py DISCOVERY.JSON SOURCE-REPO SOURCE-PATH COMMIT RESOURCE.METHOD... > subset.json

Cuts the methods a fake serves, and every schema they reach, out of a Google API
discovery document (the dns v1 document Google publishes and its client libraries ship).
Descriptions are dropped; nothing else is changed. The result names its source in
"_source"."""
import json
import sys

path, repo, spath, commit, wanted = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
d = json.load(open(path))


def strip(x):
    if isinstance(x, dict):
        # documentation strings go; a property that happens to be called "description" stays
        return {k: strip(v) for k, v in x.items()
                if not (k in ("description", "enumDescriptions") and not isinstance(v, dict))}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x


schemas, todo = set(), []


def refs(x):
    if isinstance(x, dict):
        if "$ref" in x and x["$ref"] not in schemas:
            schemas.add(x["$ref"])
            todo.append(x["$ref"])
        for v in x.values():
            refs(v)
    elif isinstance(x, list):
        for v in x:
            refs(v)


resources = {}
for w in wanted:
    r, m = w.split(".")
    meth = d["resources"][r]["methods"][m]
    resources.setdefault(r, {"methods": {}})["methods"][m] = strip(meth)
    refs(meth)
while todo:
    refs(d["schemas"][todo.pop()])
out = {
    "_source": {"repository": repo, "path": spath, "commit": commit, "revision": d.get("revision"),
                "licence": "Apache-2.0 (see LICENSE-Apache-2.0 beside this file); cut by cut-discovery.py: "
                           "the listed methods and the schemas they reach, descriptions removed"},
}
for k in ("rootUrl", "servicePath", "baseUrl", "name", "version", "parameters"):
    if k in d:
        out[k] = strip(d[k])
out["resources"] = resources
out["schemas"] = {k: strip(d["schemas"][k]) for k in sorted(schemas)}
print(json.dumps(out, indent=1))
