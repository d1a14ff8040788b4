"""discovery.py - a Google API discovery document (models/*-discovery.json) put to work for
a fake: which method a request is, its path and query parameters checked against the
method's parameters (and the document's global ones: unknown parameters, bad integers,
values outside an enum are refused), its JSON body checked against the request schema
(unknown properties, wrong JSON types, formats int32/uint64, enums, arrays), and the fake's
own answers checked against the response schema. Nothing here knows a particular API.

A request the document does not allow raises Invalid: the fake answers 400 and records it,
and the test that caused it fails."""
import json
import re
from urllib.parse import parse_qsl, unquote


class Invalid(Exception):
    """The request breaks the discovery document."""


class Discovery:
    def __init__(self, path):
        with open(path) as f:
            d = json.load(f)
        self.d = d
        self.schemas = d["schemas"]
        self.base = "/" + d.get("servicePath", "")
        self.routes = []
        for rname, res in d["resources"].items():
            for mname, m in res["methods"].items():
                rx = "^/" + re.sub(r"\\\{(\w+)\\\}", lambda mo: "(?P<%s>[^/]+)" % mo.group(1),
                                   re.escape(m["path"])) + "$"
                self.routes.append((m["httpMethod"], re.compile(rx), "%s.%s" % (rname, mname), m))

    def match(self, method, path):
        """(method id, its description, path parameters) of a request, or (None, None, None)."""
        for hm, rx, mid, m in self.routes:
            mo = rx.match(path)
            if mo and hm == method:
                return mid, m, {k: unquote(v) for k, v in mo.groupdict().items()}
        return None, None, None

    def check_param(self, name, spec, value):
        t = spec.get("type")
        if "enum" in spec and value not in spec["enum"]:
            raise Invalid("parameter %s: %r is not one of %s" % (name, value, ", ".join(spec["enum"])))
        if t == "integer":
            if not re.fullmatch(r"-?[0-9]+", value):
                raise Invalid("parameter %s: %r is not an integer" % (name, value))
            v = int(value)
            if spec.get("format") == "int32" and not -2 ** 31 <= v < 2 ** 31:
                raise Invalid("parameter %s: %d is not an int32" % (name, v))
            return v
        if t == "boolean" and value not in ("true", "false"):
            raise Invalid("parameter %s: %r is not true or false" % (name, value))
        return value

    def parse(self, mid, m, path_params, query, body):
        """The method's parameters (path and query) and its body, validated."""
        params = {}
        for k, v in path_params.items():
            params[k] = self.check_param(k, m["parameters"][k], v)
        for k, v in parse_qsl(query, keep_blank_values=True):
            spec = m.get("parameters", {}).get(k) or self.d.get("parameters", {}).get(k)
            if not spec or spec.get("location") != "query":
                raise Invalid("%s: unknown query parameter %r" % (mid, k))
            if k in params:
                raise Invalid("%s: query parameter %r given twice" % (mid, k))
            params[k] = self.check_param(k, spec, v)
        for k, spec in m.get("parameters", {}).items():
            if spec.get("required") and k not in params:
                raise Invalid("%s: required parameter %s missing" % (mid, k))
        obj = None
        if "request" in m:
            if not body:
                raise Invalid("%s: a JSON body is required" % mid)
            try:
                obj = json.loads(body)
            except ValueError as e:
                raise Invalid("%s: the body is not JSON: %s" % (mid, e))
            self.check(m["request"]["$ref"], obj, m["request"]["$ref"])
        elif body:
            raise Invalid("%s takes no body" % mid)
        return params, obj

    def check(self, schema, v, where):
        """v against a schema (a name or an inline schema)."""
        s = self.schemas[schema] if isinstance(schema, str) else schema
        if "$ref" in s:
            return self.check(s["$ref"], v, where)
        t = s.get("type")
        if t == "object":
            if not isinstance(v, dict):
                raise Invalid("%s: expected an object" % where)
            props = s.get("properties", {})
            for k, x in v.items():
                if k in props:
                    self.check(props[k], x, "%s.%s" % (where, k))
                elif "additionalProperties" in s:
                    self.check(s["additionalProperties"], x, "%s.%s" % (where, k))
                else:
                    raise Invalid("%s: unknown property %r" % (where, k))
        elif t == "array":
            if not isinstance(v, list):
                raise Invalid("%s: expected an array" % where)
            for i, x in enumerate(v):
                self.check(s["items"], x, "%s[%d]" % (where, i))
        elif t == "string":
            if not isinstance(v, str):
                raise Invalid("%s: expected a string, found %r" % (where, v))
            if "enum" in s and v not in s["enum"]:
                raise Invalid("%s: %r is not one of %s" % (where, v, ", ".join(s["enum"])))
            if s.get("format") in ("int64", "uint64") and not re.fullmatch(r"-?[0-9]+", v):
                raise Invalid("%s: %r is not an %s" % (where, v, s["format"]))
        elif t == "integer":
            if not isinstance(v, int) or isinstance(v, bool):
                raise Invalid("%s: expected an integer, found %r" % (where, v))
            if s.get("format") == "int32" and not -2 ** 31 <= v < 2 ** 31:
                raise Invalid("%s: %d is not an int32" % (where, v))
        elif t == "boolean":
            if not isinstance(v, bool):
                raise Invalid("%s: expected true or false" % where)
        elif t == "number":
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise Invalid("%s: expected a number" % where)

    def answer(self, m, obj):
        """The fake's own answer, checked against the method's response schema."""
        if "response" in m:
            try:
                self.check(m["response"]["$ref"], obj, m["response"]["$ref"])
            except Invalid as e:
                raise AssertionError("fake bug: answer breaks the document: %s" % e)
        return obj
