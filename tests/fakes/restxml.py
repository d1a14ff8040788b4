"""restxml.py - a botocore "rest-xml" service model (models/*.json) put to work for a fake:
which operation a request is, its input checked member by member against the model
(URI labels, query string, headers, the XML body: root element, namespace, element order,
required members, types, enums, lengths and ranges), and output shapes written as the
service writes them. Nothing here knows a particular service; route53.py uses it.

A request the model does not allow raises Invalid: the fake answers 400 and records it,
and the test that caused it fails."""
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote


class Invalid(Exception):
    """The request breaks the model (what the service answers with InvalidInput)."""


class Model:
    def __init__(self, path):
        with open(path) as f:
            m = json.load(f)
        self.shapes = m["shapes"]
        self.ops = m["operations"]
        self.ns = None
        for op in self.ops.values():
            ns = op.get("input", {}).get("xmlNamespace", {}).get("uri")
            if ns:
                self.ns = ns
        self.routes = []
        for name, op in self.ops.items():
            uri = op["http"]["requestUri"]
            rx = "^" + re.sub(r"\\\{(\w+)(\\\+)?\\\}",
                              lambda mo: "(?P<%s>%s)" % (mo.group(1), ".+" if mo.group(2) else "[^/]+"),
                              re.escape(uri.rstrip("/"))) + "/?$"
            self.routes.append((op["http"]["method"], re.compile(rx), name))

    # ---- requests -------------------------------------------------------------------
    def match(self, method, path):
        """The operation name and URI labels of a request, or (None, None)."""
        for m, rx, name in self.routes:
            mo = rx.match(path)
            if mo and m == method:
                return name, {k: unquote(v) for k, v in mo.groupdict().items()}
        return None, None

    def parse_request(self, op, labels, query, headers, body):
        """The input of operation op as a dict of member -> value, validated."""
        spec = self.ops[op]
        if "input" not in spec:
            if body:
                raise Invalid("%s takes no body" % op)
            return {}
        shape_name = spec["input"]["shape"]
        shape = self.shapes[shape_name]
        out = {}
        body_members = {}
        qs = parse_qsl(query, keep_blank_values=True)
        seen_q = {}
        for k, v in qs:
            if k in seen_q:
                raise Invalid("query parameter %r given twice" % k)
            seen_q[k] = v
        for mname, mem in shape.get("members", {}).items():
            loc = mem.get("location")
            lname = mem.get("locationName", mname)
            if loc == "uri":
                if lname in labels:
                    out[mname] = self.scalar(mem["shape"], labels[lname], "%s.%s" % (shape_name, mname))
            elif loc == "querystring":
                if lname in seen_q:
                    out[mname] = self.scalar(mem["shape"], seen_q.pop(lname), "query %s" % lname)
            elif loc == "header":
                v = headers.get(lname)
                if v is not None:
                    out[mname] = self.scalar(mem["shape"], v, "header %s" % lname)
            else:
                body_members[mname] = mem
        if seen_q:
            raise Invalid("%s: unknown query parameter(s) %s" % (op, ", ".join(sorted(seen_q))))
        if body_members:
            if not body:
                raise Invalid("%s: an XML body is required" % op)
            root_name = spec["input"].get("locationName", shape_name)
            ns = spec["input"].get("xmlNamespace", {}).get("uri")
            try:
                root = ET.fromstring(body)
            except ET.ParseError as e:
                raise Invalid("%s: the body is not well-formed XML: %s" % (op, e))
            want = "{%s}%s" % (ns, root_name) if ns else root_name
            if root.tag != want:
                raise Invalid("%s: root element %s, expected %s" % (op, root.tag, want))
            out.update(self.structure_children(shape_name, shape, root, body_members, ns, root_name))
        elif body:
            raise Invalid("%s takes no body" % op)
        for req in shape.get("required", []):
            if req not in out:
                raise Invalid("%s: required member %s missing" % (shape_name, req))
        return out

    def structure_children(self, shape_name, shape, elem, members, ns, where):
        if (elem.text or "").strip():
            raise Invalid("%s: text inside a structure" % where)
        order = list(members)
        out, last = {}, -1
        for child in elem:
            tag = child.tag
            if ns:
                if not tag.startswith("{%s}" % ns):
                    raise Invalid("%s: element %s is not in namespace %s" % (where, tag, ns))
                tag = tag[len(ns) + 2:]
            names = {members[m].get("locationName", m): m for m in members}
            if tag not in names:
                raise Invalid("%s: unexpected element <%s> in %s" % (where, tag, shape_name))
            mname = names[tag]
            idx = order.index(mname)
            if idx == last:
                raise Invalid("%s: <%s> given twice" % (where, tag))
            if idx < last:
                raise Invalid("%s: <%s> out of order (the model's order is %s)" % (where, tag, ", ".join(order)))
            last = idx
            if (child.tail or "").strip():
                raise Invalid("%s: text after <%s>" % (where, tag))
            out[mname] = self.value(members[mname]["shape"], child, ns, "%s/%s" % (where, tag))
        for req in shape.get("required", []):
            if req in members and req not in out:
                raise Invalid("%s: required element <%s> missing" % (where, members[req].get("locationName", req)))
        return out

    def value(self, shape_name, elem, ns, where):
        shape = self.shapes[shape_name]
        t = shape["type"]
        if t == "structure":
            return self.structure_children(shape_name, shape, elem, shape.get("members", {}), ns, where)
        if t == "list":
            if (elem.text or "").strip():
                raise Invalid("%s: text inside a list" % where)
            mem = shape["member"]
            item = mem.get("locationName", "member")
            items = []
            for child in elem:
                tag = child.tag[len(ns) + 2:] if ns and child.tag.startswith("{%s}" % ns) else child.tag
                if tag != item:
                    raise Invalid("%s: list item <%s>, expected <%s>" % (where, tag, item))
                items.append(self.value(mem["shape"], child, ns, "%s/%s" % (where, item)))
            if "min" in shape and len(items) < shape["min"]:
                raise Invalid("%s: at least %d <%s> required" % (where, shape["min"], item))
            if "max" in shape and len(items) > shape["max"]:
                raise Invalid("%s: at most %d <%s> allowed" % (where, shape["max"], item))
            return items
        if len(elem):
            raise Invalid("%s: elements inside a %s" % (where, t))
        return self.scalar(shape_name, elem.text or "", where)

    def scalar(self, shape_name, text, where):
        shape = self.shapes[shape_name]
        t = shape["type"]
        if t == "string":
            if "enum" in shape and text not in shape["enum"]:
                raise Invalid("%s: %r is not one of %s" % (where, text, ", ".join(shape["enum"])))
            if "min" in shape and len(text) < shape["min"]:
                raise Invalid("%s: shorter than %d characters" % (where, shape["min"]))
            if "max" in shape and len(text) > shape["max"]:
                raise Invalid("%s: longer than %d characters" % (where, shape["max"]))
            if "pattern" in shape and not re.search(shape["pattern"], text):
                raise Invalid("%s: does not match %s" % (where, shape["pattern"]))
            return text
        if t in ("long", "integer"):
            if not re.fullmatch(r"-?[0-9]+", text):
                raise Invalid("%s: %r is not an integer" % (where, text))
            v = int(text)
            if "min" in shape and v < shape["min"] or "max" in shape and v > shape["max"]:
                raise Invalid("%s: %d outside %s..%s" % (where, v, shape.get("min"), shape.get("max")))
            return v
        if t == "boolean":
            if text not in ("true", "false"):
                raise Invalid("%s: %r is not true or false" % (where, text))
            return text == "true"
        if t == "timestamp":
            return text
        raise Invalid("%s: shape type %s not supported by the fake" % (where, t))

    # ---- responses ------------------------------------------------------------------
    def render(self, shape_name, data, root=None):
        """(XML bytes, headers) of an output shape; members with location header go to
        headers. The fake's own answers are checked against the model as well."""
        shape = self.shapes[shape_name]
        headers = {}
        el = ET.Element(root or shape_name)
        if self.ns:
            el.set("xmlns", self.ns)
        body = {}
        for mname, mem in shape.get("members", {}).items():
            if mname not in data:
                continue
            if mem.get("location") == "header":
                headers[mem.get("locationName", mname)] = str(data[mname])
            else:
                body[mname] = mem
        for req in shape.get("required", []):
            if req not in data:
                raise AssertionError("fake bug: %s.%s missing in an answer" % (shape_name, req))
        for mname, mem in body.items():
            self.emit(el, mem.get("locationName", mname), mem["shape"], data[mname])
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(el), headers

    def emit(self, parent, tag, shape_name, v):
        shape = self.shapes[shape_name]
        t = shape["type"]
        el = ET.SubElement(parent, tag)
        if t == "structure":
            for req in shape.get("required", []):
                if req not in v:
                    raise AssertionError("fake bug: %s.%s missing in an answer" % (shape_name, req))
            for mname, mem in shape.get("members", {}).items():
                if mname in v:
                    self.emit(el, mem.get("locationName", mname), mem["shape"], v[mname])
        elif t == "list":
            for item in v:
                self.emit(el, shape["member"].get("locationName", "member"), shape["member"]["shape"], item)
        elif t == "boolean":
            el.text = "true" if v else "false"
        elif t == "timestamp":
            el.text = v if isinstance(v, str) else v.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        else:
            if t == "string" and "enum" in shape and v not in shape["enum"]:
                raise AssertionError("fake bug: %r not in %s" % (v, shape_name))
            el.text = str(v)


def now():
    return datetime.now(timezone.utc)
