#!/usr/bin/env python3
"""Checks `netlab --json` documents against schema/json/<verb>.schema.json.

  check_json.py SOURCE_DIR VERB FILE
      FILE holds what `netlab --json VERB ...` printed on stdout: exactly one
      JSON document, valid under the verb's schema. Exit 0 valid, 1 not.
  check_json.py SOURCE_DIR --netlab NETLAB_BINARY
      Checks every schema, then runs the verbs that need no privileges
      (validate, graph, errors of the others) and checks what they print.

Exit 77 (ctest: skipped) when python3-jsonschema is missing. The schemas refer
to each other by relative file name ("common.schema.json#/definitions/x");
this script inlines those references, so it works with every jsonschema
version Debian ships.
"""
import copy
import glob
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError as e:
    print(f"check_json: skipped, {e.name} is not installed (apt-get install python3-jsonschema)")
    sys.exit(77)


def load_schema(schema_dir, name):
    """The schema in `name`, every reference to another file inlined."""
    files = {}

    def read(fname):
        if fname not in files:
            with open(os.path.join(schema_dir, fname)) as f:
                files[fname] = json.load(f)
        return files[fname]

    def resolve(ref):
        fname, _, pointer = ref.partition("#")
        node = read(fname)
        for part in filter(None, pointer.split("/")):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    def inline(node, depth=0):
        if depth > 50:
            raise RecursionError("schema references nest too deep")
        if isinstance(node, dict):
            if "$ref" in node and not node["$ref"].startswith("#"):
                return inline(copy.deepcopy(resolve(node["$ref"])), depth + 1)
            return {k: inline(v, depth) for k, v in node.items() if k != "$id"}
        if isinstance(node, list):
            return [inline(v, depth) for v in node]
        return node

    return inline(read(name))


def problems_of(schema, text):
    """Why `text` is not one valid document, or [] when it is."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        return [f"not one JSON document: {e}"]
    validator = jsonschema.Draft7Validator(schema)
    out = []
    for e in validator.iter_errors(doc):
        for deep in sorted(e.context or [e], key=lambda x: -len(x.absolute_path))[:3]:
            out.append(f"/{'/'.join(map(str, deep.absolute_path))}: {deep.message[:300]}")
    if isinstance(doc, dict) and doc.get("schema_version") != 1:
        out.append("schema_version is not 1")
    return out


def check_file(root, verb, path):
    schema = load_schema(os.path.join(root, "schema", "json"), f"{verb}.schema.json")
    with open(path) as f:
        problems = problems_of(schema, f.read())
    for p in problems:
        print(f"{verb}: {p}")
    return 1 if problems else 0


def run(netlab, args):
    return subprocess.run([netlab] + args, capture_output=True, text=True)


def check_unprivileged(root, netlab):
    schema_dir = os.path.join(root, "schema", "json")
    problems = []
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.schema.json"))):
        with open(path) as f:
            jsonschema.Draft7Validator.check_schema(json.load(f))
    good = sorted(glob.glob(os.path.join(root, "topologies", "*.yaml")))
    bad = sorted(glob.glob(os.path.join(root, "tests", "schema", "corpus", "bad", "*.yaml")))[:5]
    cases = []  # (verb, args, expected exit code)
    for path in good:
        cases.append(("validate", ["--json", "validate", path], 0))
        cases.append(("graph", ["--json", "graph", path], 0))
        cases.append(("graph", ["--json", "graph", "--format", "dot", path], 0))
        cases.append(("exercise", ["--json", "exercise", "list", path], 0))
    for path in bad:
        cases.append(("validate", ["--json", "validate", path], 2))
        cases.append(("graph", ["--json", "graph", path], 2))
    cases += [
        ("validate", ["--json", "validate", "/nonexistent/lab.yaml"], 2),
        ("error", ["--json", "nosuchverb"], 2),
        ("error", ["--json", "validate", "--nosuchflag", "x.yaml"], 2),
        ("error", ["--json", "plan", "/nonexistent/lab.yaml"], 2),
        ("error", ["--json", "up", "/nonexistent/lab.yaml"], 2),
        ("error", ["--json", "watch", "/nonexistent/lab.yaml"], 2),
        ("error", ["--json", "test", "/nonexistent/lab.yaml"], 2),
        ("exercise", ["--json", "exercise", "check", "/nonexistent/lab.yaml"], 2),
        ("error", ["--json", "status"], 2),
        ("error", ["--json", "down"], 2),
    ]
    schemas = {}
    for verb, args, rc in cases:
        if verb not in schemas:
            schemas[verb] = load_schema(schema_dir, f"{verb}.schema.json")
        r = run(netlab, args)
        what = "netlab " + " ".join(os.path.relpath(a, root) if a.startswith(root) else a for a in args)
        if r.returncode != rc:
            problems.append(f"{what}: exit {r.returncode}, expected {rc}: {r.stderr.strip()[:200]}")
        for p in problems_of(schemas[verb], r.stdout):
            problems.append(f"{what}: {p}")
        if rc != 0 and '"exit_code": %d' % rc not in r.stdout:
            problems.append(f"{what}: the JSON does not carry exit_code {rc}")
    for p in problems:
        print(p)
    print(f"check_json: {len(cases)} runs of netlab --json checked against schema/json, {len(problems)} problem(s)")
    return 1 if problems else 0


def main():
    if len(sys.argv) == 4 and sys.argv[2] == "--netlab":
        return check_unprivileged(sys.argv[1], sys.argv[3])
    if len(sys.argv) == 4:
        return check_file(sys.argv[1], sys.argv[2], sys.argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
