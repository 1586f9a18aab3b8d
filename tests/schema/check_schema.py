#!/usr/bin/env python3
"""Checks schema/topology.schema.json against the shipped topologies.

Every topologies/*.yaml must be valid under the schema; a set of snippets that
format v1 accepts must be valid; a set it rejects must be invalid. Given the
netlab binary, the snippets also go through `netlab validate`, so the schema
and the validator are checked to agree. Exit 0 when all hold, 1 otherwise, 77
(ctest: skipped) when python3-yaml or python3-jsonschema is missing.

Usage: check_schema.py [SOURCE_DIR [NETLAB_BINARY]]
  SOURCE_DIR defaults to the repository this file is in.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import textwrap

try:
    import jsonschema
    import yaml
except ImportError as e:  # the Debian packages python3-jsonschema and python3-yaml
    print(f"check_schema: skipped, {e.name} is not installed (apt-get install python3-jsonschema python3-yaml)")
    sys.exit(77)

# A minimal valid lab; each snippet below is merged into a copy of it.
BASE = {"name": "t", "nodes": {"ns1": None}}

# Snippets format v1 accepts: the schema must not be stricter than netlab.
VALID = {
    "ipv6 and routes in both forms": """
        nodes:
          r:
            forwarding: true
            interfaces:
              eth0: {kind: dummy, addresses: [10.0.0.1/24, "2001:db8::1/64"], mtu: 1400, mac: "02:00:00:00:00:01"}
            routes:
              - default via 10.0.0.254
              - 192.0.2.0/24 dev eth0 metric 10
              - 198.51.100.7 via 10.0.0.2
              - {to: "2001:db8:1::/48", via: "2001:db8::2"}
              - {to: default, dev: eth0, metric: 5}
    """,
    "every interface kind": """
        nodes:
          n:
            interfaces:
              br0: {kind: bridge, state: down}
              d0: {kind: dummy, master: br0}
              t0: {kind: tun, user: 1000, group: netdev, multi_queue: true}
              t1: {kind: tap, user: alice}
              m0: {kind: macvlan, parent: d0, mode: vepa}
              v10: {kind: vlan, parent: d0, id: 10}
              vx0: {kind: vxlan, id: 42, remote: 192.0.2.2, local: 192.0.2.1, dstport: 4789, dev: d0}
              q0: {kind: dummy, impair: {rate: 10mbit, delay: 10ms, jitter: 2ms, loss: 1%, duplicate: 0.5, limit: 1000}}
    """,
    "bridge vlan filtering and port vlans": """
        nodes:
          sw:
            interfaces:
              br0: {kind: bridge, vlan_filtering: true, vlans: [1 pvid untagged]}
              t0: {kind: tap, master: br0, vlans: [10 pvid untagged, 20-29, "30 untagged", 40]}
              t1: {kind: tap, master: br0, vlans: [{id: 5, pvid: true, untagged: true}, {id: "100-200"}, {id: 300}]}
              t2: {kind: tap, master: br0, vlans: []}
    """,
    "external nodes, sysctls, nat, null containers": """
        version: 1
        message: hello
        nodes:
          a: {kind: external, netns: other}
          b: {kind: external, path: /proc/1/ns/net}
          c: {kind: external, pid: 2}
          host:
            kind: host
            loopback: true
            sysctls: {net.ipv4.conf.all.rp_filter: 0, net.ipv6.conf.all.disable_ipv6: false}
            nat:
              - masquerade:
              - {masquerade: {source: 10.0.0.0/8, out: eth0}}
              - {snat: {source: 10.0.0.0/8, to: 192.0.2.1}}
              - {dnat: {protocol: udp, port: "5000-5010", to: "10.0.0.2:6000", in: eth0}}
              - {dnat: {protocol: tcp, port: 80, to: "[2001:db8::5]:8080"}}
              - {dnat: {protocol: tcp, port: 81, to: 10.0.0.3}}
          d:
            interfaces:
            routes:
        links:
        checks:
    """,
    "links and checks in every form": """
        nodes: {a: , b: }
        links:
          - [a:eth0, b:eth0]
          - endpoints: [a:eth1, b:eth1]
            impair: {delay: 100us, rate: 1000000}
        checks:
          - {from: a, ping: 10.0.0.2}
          - {from: a, ping: "2001:db8::2", expect: fail, timeout: 0.5}
          - {from: b, tcp: "10.0.0.1:80", listen: a, timeout: 500ms}
          - {from: b, tcp: "[2001:db8::1]:22", timeout: 2s}
    """,
}

# Snippets format v1 rejects that a schema can see.
INVALID = {
    "unknown top-level key": "nodez: {}",
    "lab name with '..'": "name: a..b",
    "lab name too long": "name: " + "x" * 33,
    "node name starting with '-'": "nodes: {-ns: }",
    "interface name over 15 bytes": "nodes: {n: {interfaces: {abcdefghijklmnop: {kind: dummy}}}}",
    "interface name with ':'": "nodes: {n: {interfaces: {'a:b': {kind: dummy}}}}",
    "lo declared": "nodes: {n: {interfaces: {lo: {kind: dummy}}}}",
    "unknown node key": "nodes: {n: {interface: {}}}",
    "unknown interface kind": "nodes: {n: {interfaces: {x: {kind: ethernet}}}}",
    "address without prefix": "nodes: {n: {interfaces: {x: {kind: dummy, addresses: [10.0.0.1]}}}}",
    "mtu too small": "nodes: {n: {interfaces: {x: {kind: dummy, mtu: 67}}}}",
    "multicast mac": "nodes: {n: {interfaces: {x: {kind: dummy, mac: '01:00:5e:00:00:01'}}}}",
    "parent on a veth": "nodes: {n: {interfaces: {x: {parent: y}}}}",
    "vlan without id": "nodes: {n: {interfaces: {x: {kind: vlan, parent: y}}}}",
    "vlan id out of range": "nodes: {n: {interfaces: {x: {kind: vlan, parent: y, id: 4095}}}}",
    "macvlan without parent": "nodes: {n: {interfaces: {x: {kind: macvlan}}}}",
    "netns key on a netns node": "nodes: {n: {netns: other}}",
    "external with two references": "nodes: {n: {kind: external, netns: a, pid: 1}}",
    "external with no reference": "nodes: {n: {kind: external}}",
    "loopback maybe": "nodes: {n: {loopback: maybe}}",
    "route with neither via nor dev": "nodes: {n: {routes: [10.0.0.0/24 metric 5]}}",
    "route mapping without to": "nodes: {n: {routes: [{via: 10.0.0.1}]}}",
    "sysctl outside net.": "nodes: {n: {sysctls: {kernel.panic: 1}}}",
    "NAT rule with two keys": "nodes: {n: {nat: [{masquerade: {}, snat: {to: 10.0.0.1}}]}}",
    "snat without to": "nodes: {n: {nat: [{snat: {source: 10.0.0.0/8}}]}}",
    "dnat with bad protocol": "nodes: {n: {nat: [{dnat: {protocol: icmp, port: 1, to: 10.0.0.1}}]}}",
    "link with three endpoints": "links: [[ns1:a, ns1:b, ns1:c]]",
    "link to itself": "links: [[ns1:a, ns1:a]]",
    "endpoint without ifname": "links: [[ns1, ns1:b]]",
    "jitter without delay": "links: [{endpoints: [ns1:a, ns1:b], impair: {jitter: 1ms}}]",
    "rate below tbf's 8kbit": "links: [{endpoints: [ns1:a, ns1:b], impair: {rate: 7999}}]",
    "rate above 16gbit": "links: [{endpoints: [ns1:a, ns1:b], impair: {rate: 16000000001}}]",
    "check with ping and tcp": "checks: [{from: ns1, ping: 10.0.0.1, tcp: '10.0.0.1:80'}]",
    "check without a probe": "checks: [{from: ns1}]",
    "listen on a ping check": "checks: [{from: ns1, ping: 10.0.0.1, listen: ns1}]",
    "version 2": "version: 2",
    "vlan_filtering on a tap": "nodes: {n: {interfaces: {t: {kind: tap, vlan_filtering: true}}}}",
    "vlan id out of range on a port": "nodes: {n: {interfaces: {b: {kind: bridge, vlan_filtering: true}, t: {kind: tap, master: b, vlans: [5000]}}}}",
    "vlan with an unknown word": "nodes: {n: {interfaces: {b: {kind: bridge, vlan_filtering: true}, t: {kind: tap, master: b, vlans: ['10 tagged']}}}}",
    "vlan mapping without id": "nodes: {n: {interfaces: {b: {kind: bridge, vlan_filtering: true}, t: {kind: tap, master: b, vlans: [{pvid: true}]}}}}",
}


def lab(snippet):
    doc = dict(BASE)
    doc.update(yaml.safe_load(textwrap.dedent(snippet)))
    return doc


def netlab_accepts(netlab, doc):
    """True when `netlab validate` accepts the document (exit 0), False on exit 2."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(doc, f)
        f.flush()
        result = subprocess.run([netlab, "validate", f.name], capture_output=True, text=True)
    if result.returncode not in (0, 2):
        raise RuntimeError(f"netlab validate exited {result.returncode}: {result.stderr.strip()}")
    return result.returncode == 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(here))
    netlab = sys.argv[2] if len(sys.argv) > 2 else None
    with open(os.path.join(root, "schema", "topology.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    problems = []

    files = sorted(glob.glob(os.path.join(root, "topologies", "*.yaml")))
    if not files:
        problems.append("no topologies/*.yaml found")
    for path in files:
        with open(path) as f:
            for e in validator.iter_errors(yaml.safe_load(f)):
                e = jsonschema.exceptions.best_match([e])  # the deepest cause, not "not valid under any of"
                problems.append(f"{os.path.relpath(path, root)}: /{'/'.join(map(str, e.absolute_path))}: {e.message}")
    for title, snippet in VALID.items():
        for e in validator.iter_errors(lab(snippet)):
            e = jsonschema.exceptions.best_match([e])
            problems.append(f"valid snippet '{title}' rejected: /{'/'.join(map(str, e.absolute_path))}: {e.message}")
    for title, snippet in INVALID.items():
        if validator.is_valid(lab(snippet)):
            problems.append(f"invalid snippet '{title}' accepted")
    if netlab:
        for title, snippet in VALID.items():
            if not netlab_accepts(netlab, lab(snippet)):
                problems.append(f"valid snippet '{title}' rejected by netlab validate")
        for title, snippet in INVALID.items():
            if netlab_accepts(netlab, lab(snippet)):
                problems.append(f"invalid snippet '{title}' accepted by netlab validate")

    for p in problems:
        print(p)
    against = " (schema and netlab validate)" if netlab else ""
    print(f"check_schema: {len(files)} topologies, {len(VALID)} valid and {len(INVALID)} invalid snippets{against}, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
