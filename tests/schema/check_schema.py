#!/usr/bin/env python3
"""Keeps schema/topology.schema.json and `netlab validate` in agreement.

Every topologies/*.yaml and tests/schema/corpus/good/*.yaml must be valid under
the schema and (given the netlab binary) under `netlab validate`; every
tests/schema/corpus/bad/*.yaml must be rejected by both, except the few in
VALIDATE_ONLY, which only the validator can see (cross-references). Exit 0 when all hold, 1 otherwise, 77
(ctest: skipped) when python3-yaml or python3-jsonschema is missing.

Usage: check_schema.py [SOURCE_DIR [NETLAB_BINARY]]
  SOURCE_DIR defaults to the repository this file is in.
"""
import glob
import json
import os
import subprocess
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # the Debian packages python3-jsonschema and python3-yaml
    print(f"check_schema: skipped, {e.name} is not installed (apt-get install python3-jsonschema python3-yaml)")
    sys.exit(77)

# Bad files that only `netlab validate` can reject: JSON Schema sees one value
# at a time and cannot follow a name to what it names, compare two values, or
# count bytes. The schema must accept each of these (so this list stays true),
# validate must reject it. docs/topology.md lists the same kinds of checks.
VALIDATE_ONLY = {
    "master-not-a-bridge.yaml": "cross-reference: 'master' must name a bridge of the same node",
    "link-to-undeclared-node.yaml": "cross-reference: a link endpoint must name a declared node",
    "check-from-unknown-node.yaml": "cross-reference: a check's 'from' must name a declared node",
    "macvlan-parent-missing.yaml": "cross-reference: 'parent' must name an interface of the same node",
    "route-via-outside-subnets.yaml": "cross-reference: a gateway must lie in a subnet of the node's addresses",
    "same-address-twice-in-node.yaml": "across interfaces: an address may appear once per node",
    "namespace-prefix-with-external-node.yaml": "across keys: a namespace_prefix renames no kind external node",
    "shared-with-namespace-prefix.yaml": "across keys: a namespace_prefix renames no shared host object",
    "two-host-nodes.yaml": "across nodes: at most one node of kind host",
    "two-pvids.yaml": "across list items: at most one pvid per port",
    "vlan-range-reversed.yaml": "comparing two numbers in one string: a range must not end before it starts",
    "created-in-unknown-node.yaml": "cross-reference: 'created_in' must name a declared node",
}

MIN_BAD = 30  # the corpus must keep at least this many bad files


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f)  # PyYAML expands merge keys (<<), as netlab's loader does


def netlab_accepts(netlab, path):
    """True when `netlab validate` accepts the file (exit 0), False on exit 2."""
    result = subprocess.run([netlab, "validate", path], capture_output=True, text=True)
    if result.returncode not in (0, 2):
        raise RuntimeError(f"netlab validate exited {result.returncode}: {result.stderr.strip()}")
    return result.returncode == 0


def first_error(validator, doc):
    for e in validator.iter_errors(doc):
        e = jsonschema.exceptions.best_match([e])  # the deepest cause, not "not valid under any of"
        return f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(here))
    netlab = sys.argv[2] if len(sys.argv) > 2 else None
    with open(os.path.join(root, "schema", "topology.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    corpus = os.path.join(root, "tests", "schema", "corpus")
    shipped = sorted(glob.glob(os.path.join(root, "topologies", "*.yaml")))
    good = shipped + sorted(glob.glob(os.path.join(corpus, "good", "*.yaml")))
    bad = sorted(glob.glob(os.path.join(corpus, "bad", "*.yaml")))
    if not shipped:
        problems.append("no topologies/*.yaml found")
    if len(bad) < MIN_BAD:
        problems.append(f"only {len(bad)} bad files in {corpus}/bad (at least {MIN_BAD})")
    names = {os.path.basename(p) for p in bad}
    for name in sorted(set(VALIDATE_ONLY) - names):
        problems.append(f"VALIDATE_ONLY names {name}, which is not in {corpus}/bad")
    for path in good:
        rel = os.path.relpath(path, root)
        if (e := first_error(validator, load_yaml(path))):
            problems.append(f"{rel}: valid, but the schema rejects it: {e}")
        if netlab and not netlab_accepts(netlab, path):
            problems.append(f"{rel}: valid, but netlab validate rejects it")
    for path in bad:
        rel, name = os.path.relpath(path, root), os.path.basename(path)
        schema_rejects = not validator.is_valid(load_yaml(path))
        if name in VALIDATE_ONLY and schema_rejects:
            problems.append(f"{rel}: the schema rejects it now: take it out of VALIDATE_ONLY")
        elif name not in VALIDATE_ONLY and not schema_rejects:
            problems.append(f"{rel}: invalid, but the schema accepts it")
        if netlab and netlab_accepts(netlab, path):
            problems.append(f"{rel}: invalid, but netlab validate accepts it")

    for p in problems:
        print(p)
    against = " (schema and netlab validate)" if netlab else ""
    print(f"check_schema: {len(good)} good and {len(bad)} bad files ({len(VALIDATE_ONLY)} only validate can reject)"
          f"{against}, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
