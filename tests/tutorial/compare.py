#!/usr/bin/env python3
"""Does a teaching lab leave the kernel as the tutorial's own commands do?

For one lab, tests/tutorial/LAB.sh (the tutorial's literal `ip`, `sysctl` and
`iptables` commands) runs in one sandbox and `netlab up topologies/LAB.yaml`
in another; each sandbox is new network and mount namespaces with tmpfs on
/run/netns and /run/netlab (as tests/browser/sandbox.py and .ci/run make
them). In each, once IPv6 duplicate address detection is over, the state of
the sandbox's own namespace ("host") and of every namespace in /run/netns is
read with `ip -j` and normalised:

* links: name, kind, flags, operstate, mtu, txqlen, master, the veth's peer
  (namespace:name), the bridge's and the port's settings, tun/tap settings;
* addresses, IPv6 link-local included: a link-local address's value comes
  from the (random) MAC, so it is compared as `fe80::/64 link-local`;
* routes of every table, both families (the local table too);
* sysctls: ip_forward and every link's IPv4 and IPv6 `forwarding`,
  `addr_gen_mode` and `disable_ipv6`;
* NAT: the `nat:` items `netlab export` reads from the namespace's nftables
  (netlab's own table, or iptables-nft's `ip nat`).

The differences netlab makes on purpose (docs/tutorial.md, "How close to the
tutorial") are normalised away, each counted and printed: the route protocol
(netlab's 78 against `ip route add`'s boot), the `netlab:LAB` alias on links
and `lo`, the veth queue count (netlab asks for 1, `ip link add` gets one per
CPU), MAC values the tutorial leaves random (netlab derives stable ones; a MAC
the script sets must be the file's), and NAT's own table. Anything else that
differs fails the test, with both sides printed.

Two comment lines in LAB.sh say more: `# deliberate: ipv4-only` (the lab
keeps its namespaces IPv4-only on purpose: the tutorial's link-local
addresses are expected missing), and `# the lab starts here` (what comes
before it is made before the lab, e.g. container-netns's "container", and
runs before `netlab up` too).

Usage: compare.py SOURCE_DIR NETLAB_BINARY LAB
Exit 0: the same; 1: different; 77 (ctest: skipped): not root.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

SKIP = 77
INSIDE = "NETLAB_TUTORIAL_SANDBOX"

# Keys of `ip -d` link details that are not state a lab sets: counters, timers,
# identifiers made of MACs or allocation order, and ones netlab is known to set
# differently (normalised separately below).
VOLATILE = re.compile(r"(_timer|_id|_counter)$|^(id|no|bridge_id|root_id|designated_.*|root_port|root_path_cost"
                      r"|topology_change.*|gc_timer|hello_timer|tcn_timer|group_addr|mcast_.*_cnt)$")


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r.stdout


def ip_json(ns, args):
    out = sh(f"ip {'-n ' + ns if ns else ''} -j {args}")
    return json.loads(out) if out.strip() else []


def in_ns(ns, cmd):
    return f"ip netns exec {ns} {cmd}" if ns else cmd


def namespaces():
    names = sorted(os.path.basename(p) for p in glob.glob("/run/netns/*"))
    return [None] + names  # None: the sandbox's own namespace, the lab's `host`


def ns_name(ns):
    return ns or "host"


def settle():
    """Wait until no address is tentative (IPv6 DAD: about a second), at most 10 s."""
    deadline = time.time() + 10
    while time.time() < deadline:
        if not any("tentative" in a for ns in namespaces() for l in ip_json(ns, "addr show")
                   for a in [json.dumps(l.get("addr_info", []))]):
            return
        time.sleep(0.2)


def netnsid_names(ns):
    """nsid -> namespace name, as seen from ns (an id without a name is the sandbox's own)."""
    return {e["nsid"]: e.get("name", "host") for e in ip_json(ns, "netns list-id")}


def link_entry(l, ns, ids, names_by_index):
    info = l.get("linkinfo", {})
    kind = info.get("info_kind", "loopback" if "LOOPBACK" in l.get("flags", []) else "")
    e = {
        "kind": kind,
        "flags": sorted(l.get("flags", [])),
        "operstate": l.get("operstate"),
        "mtu": l.get("mtu"),
        "txqlen": l.get("txqlen"),
        "master": l.get("master"),
        "alias": l.get("ifalias"),
        "mac": l.get("address"),
        "queues": [l.get("num_tx_queues"), l.get("num_rx_queues")],
    }
    if kind == "veth":
        if "link_netnsid" in l:
            e["peer"] = ("netnsid", ids.get(l["link_netnsid"], "?"), l.get("link_index"))
        else:
            e["peer"] = ("same", ns_name(ns), l.get("link") or names_by_index.get(l.get("link_index")))
    for key in ("info_data", "info_slave_data"):
        if key in info:
            e[key] = {k: v for k, v in info[key].items() if not VOLATILE.search(k)}
    return e


def addr_entry(a):
    local = a.get("local")
    if a.get("family") == "inet6" and a.get("scope") == "link":
        local = "fe80::/64 link-local"  # from the MAC: random in the tutorial
    keep = {k: v for k, v in a.items() if k not in ("local", "valid_life_time", "preferred_life_time")}
    keep["local"] = local
    return keep


def route_entry(r, link_locals):
    r = dict(r)
    if r.get("dst") in link_locals:
        r["dst"] = "fe80::(link-local)"
    r.pop("expires", None)
    r.setdefault("protocol", "boot")  # ip -j leaves out the default, what `ip route add` writes
    return r


def sysctls(ns, links):
    keys = ["net/ipv4/ip_forward"]
    for dev in ["all", "default"] + links:
        keys += [f"net/ipv4/conf/{dev}/forwarding", f"net/ipv6/conf/{dev}/forwarding",
                 f"net/ipv6/conf/{dev}/addr_gen_mode", f"net/ipv6/conf/{dev}/disable_ipv6"]
    paths = " ".join(f"/proc/sys/{k}" for k in keys)
    out = sh(in_ns(ns, f"sh -c 'grep -H . {paths} 2>/dev/null; true'"))
    return dict(line.removeprefix("/proc/sys/").split(":", 1) for line in out.splitlines())


def dump_ns(ns):
    links = ip_json(ns, "-d link show")
    ids = netnsid_names(ns)
    by_index = {l["ifindex"]: l["ifname"] for l in links}
    out = {"links": {}, "addresses": {}, "routes": [], "ifindex": {l["ifname"]: l["ifindex"] for l in links}}
    # 3 (NET_ADDR_SET): the MAC was given, by `ip link set address` or by netlab; 1: random.
    assign = sh(in_ns(ns, "sh -c 'grep -H . /sys/class/net/*/addr_assign_type'"))
    assign = {p.split("/")[-2]: v for p, v in (line.split(":", 1) for line in assign.splitlines())}
    for l in links:
        out["links"][l["ifname"]] = link_entry(l, ns, ids, by_index)
        out["links"][l["ifname"]]["mac_set"] = assign.get(l["ifname"])
    link_locals = set()
    for l in ip_json(ns, "addr show"):
        for a in l.get("addr_info", []):
            if a.get("family") == "inet6" and a.get("scope") == "link":
                link_locals.add(a.get("local"))
        out["addresses"][l["ifname"]] = sorted((addr_entry(a) for a in l.get("addr_info", [])),
                                               key=lambda a: json.dumps(a, sort_keys=True))
    for fam in ("-4", "-6"):
        out["routes"] += [route_entry(r, link_locals) for r in ip_json(ns, f"{fam} route show table all")]
    out["routes"].sort(key=lambda r: json.dumps(r, sort_keys=True))
    out["sysctls"] = sysctls(ns, [l["ifname"] for l in links])
    return out


def dump_nat(netlab):
    """Each node's `nat:` items, as `netlab export` reads them from nftables."""
    if not netlab:
        return {}
    out = sh(f"{netlab} export --name tutorial --no-macs 2>/dev/null", check=False)
    try:
        import yaml
    except ImportError:
        return {}
    doc = yaml.safe_load(out) or {}
    return {n: (v or {}).get("nat", []) for n, v in (doc.get("nodes") or {}).items() if (v or {}).get("nat")}


def dump(netlab):
    state = {ns_name(ns): dump_ns(ns) for ns in namespaces()}
    # A veth's peer: its namespace (by nsid) and the name of the link with that ifindex there.
    for name, ns in state.items():
        for link in ns["links"].values():
            peer = link.get("peer")
            if peer and peer[0] == "netnsid":
                other = state.get(peer[1], {}).get("ifindex", {})
                link["peer"] = f"{peer[1]}:" + next((n for n, i in other.items() if i == peer[2]), "?")
            elif peer:
                link["peer"] = f"{peer[1]}:{peer[2]}"
        del ns["ifindex"]
    state["nat"] = dump_nat(netlab)
    return state


def inside(mode, path, netlab):
    for d in ("/run/netns", "/run/netlab"):
        os.makedirs(d, exist_ok=True)
        sh(f"mount -t tmpfs -o mode=0755 tmpfs {d}")
    sh("mount -t sysfs sysfs /sys")  # this namespace's links in /sys/class/net (addr_assign_type)
    if mode == "tutorial":
        r = subprocess.run(["bash", "-euo", "pipefail", path], capture_output=True, text=True)
    else:
        # What the tutorial makes before the lab (a script's lines above "# the lab starts here").
        script = os.path.join(os.path.dirname(__file__), os.path.basename(path).removesuffix(".yaml") + ".sh")
        with open(script, encoding="utf-8") as f:
            before = f.read().partition("\n# the lab starts here\n")
        if before[1]:
            subprocess.run(["bash", "-euo", "pipefail", "-c", before[0]], check=True)
        r = subprocess.run([netlab, "up", "-q", path], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"{mode} {path}: exit {r.returncode}\n{r.stdout}{r.stderr}", file=sys.stderr)
        return 1
    settle()
    json.dump(dump(netlab), sys.stdout, sort_keys=True)
    return 0


def run_sandboxed(mode, path, netlab):
    env = dict(os.environ, **{INSIDE: "1"})
    r = subprocess.run(["unshare", "-n", "-m", "--propagation", "private", sys.executable, __file__, "--inside",
                        mode, path, netlab], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{mode} sandbox: exit {r.returncode}\n{r.stderr}")
    return json.loads(r.stdout)


def ipv4_only(t, ll, note):
    """A lab that keeps its namespaces IPv4-only on purpose (`# deliberate: ipv4-only`
    in its script): the tutorial's links have what netlab's have not."""
    for dev, addrs in t["addresses"].items():
        if dev != "lo" and any(a["local"] == "fe80::/64 link-local" for a in addrs):
            note("IPv4-only namespaces (the lab's choice): no fe80:: link-local")
            t["addresses"][dev] = [a for a in addrs if a["local"] != "fe80::/64 link-local"]
    t["routes"] = [r for r in t["routes"] if r.get("dst") not in ("fe80::/64", "fe80::(link-local)")]
    for key, value in ll["sysctls"].items():
        if key.endswith("addr_gen_mode") and key in t["sysctls"]:
            t["sysctls"][key] = value


def normalise(tut, lab, lab_name, deliberate):
    """Takes the deliberate differences out of both states; returns what each one changed."""
    seen = {}

    def note(what):
        seen[what] = seen.get(what, 0) + 1

    if "ipv4-only" in deliberate:
        for name in set(tut) & set(lab) - {"nat", "host"}:
            ipv4_only(tut[name], lab[name], note)

    owner = f"netlab:{lab_name}"
    for name in set(tut) & set(lab) - {"nat"}:
        t, l = tut[name], lab[name]
        for dev in set(t["links"]) & set(l["links"]):
            tl, ll = t["links"][dev], l["links"][dev]
            if ll["alias"] == owner and tl["alias"] is None:
                note(f"link alias {owner} (ownership tag)")
                ll["alias"] = None
            if tl["kind"] == "veth" and tl["queues"] != ll["queues"]:
                note(f"veth queues: netlab {ll['queues']}, ip link add {tl['queues']}")
                ll["queues"] = tl["queues"]
            # A MAC the tutorial leaves to the kernel is random; netlab's is derived
            # (stable across runs). One the script sets by hand must be the file's.
            if tl["mac_set"] != "3" and tl["mac"] != ll["mac"]:
                note("MAC values (random in the tutorial, derived by netlab)")
                ll["mac"] = tl["mac"]
            tl.pop("mac_set")  # how the MAC came about (3: set by hand or by netlab), not state
            ll.pop("mac_set")
        for dev, tl in t["links"].items():
            if tl["kind"] == "bridge" and dev in l["links"] and not any(x["master"] == dev for x in t["links"].values()):
                empty_bridge(t, l, dev, note)
        for r in l["routes"]:
            if r.get("protocol") == "78" or r.get("protocol") == 78:
                note("route protocol 78 (netlab's) where ip route add writes boot")
                r["protocol"] = "boot"
    return seen


def empty_bridge(t, l, dev, note):
    """A bridge without ports. netlab gives it a MAC, and the kernel turns a bridge's
    carrier off whenever its MAC is set while no port is up (br_stp_change_bridge_id);
    `ip link add br6 type bridge` sets none, so the bridge keeps the carrier it was
    made with, and an IPv6 link-local address with it. Once a port is up they agree."""
    tl, ll = t["links"][dev], l["links"][dev]
    if tl["flags"] == ll["flags"] and tl["operstate"] == ll["operstate"]:
        return
    note("a bridge without ports: no carrier with netlab's MAC, so no fe80:: on it")
    tl["flags"], tl["operstate"] = ll["flags"], ll["operstate"]
    t["addresses"][dev] = [a for a in t["addresses"].get(dev, []) if a["local"] != "fe80::/64 link-local"]
    t["routes"] = [r for r in t["routes"] if r.get("dev") != dev or r.get("dst") not in
                   ("fe80::/64", "fe80::(link-local)", "ff00::/8")]


def diff(a, b, path=""):
    """Lines saying where a (tutorial) and b (netlab) differ."""
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}/{k}: only netlab has {json.dumps(b[k], sort_keys=True)}")
            elif k not in b:
                out.append(f"{path}/{k}: only the tutorial has {json.dumps(a[k], sort_keys=True)}")
            else:
                out += diff(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(x, dict) for x in a + b):
        sa = {json.dumps(x, sort_keys=True) for x in a}
        sb = {json.dumps(x, sort_keys=True) for x in b}
        return [f"{path}: only the tutorial has {x}" for x in sorted(sa - sb)] + \
            [f"{path}: only netlab has {x}" for x in sorted(sb - sa)]
    if a != b:
        out.append(f"{path}: tutorial {json.dumps(a, sort_keys=True)}, netlab {json.dumps(b, sort_keys=True)}")
    return out


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--inside":
        sys.exit(inside(sys.argv[2], sys.argv[3], sys.argv[4]))
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if os.geteuid() != 0:
        print("skipped: needs root (two sandboxes of its own: network and mount namespaces)")
        sys.exit(SKIP)
    source, netlab, lab = sys.argv[1:]
    script = os.path.join(source, "tests", "tutorial", lab + ".sh")
    topo = os.path.join(source, "topologies", lab + ".yaml")
    with open(script, encoding="utf-8") as f:
        text = f.read()
        deliberate = re.findall(r"^# deliberate: (\S+)", text, re.M)
        if re.search(r"^\s*(ip netns exec \S+ )?iptables ", text, re.M) and not shutil.which("iptables"):
            print(f"skipped: {lab}.sh uses iptables, which is not installed")
            sys.exit(SKIP)
    tut = run_sandboxed("tutorial", script, netlab)
    got = run_sandboxed("lab", topo, netlab)
    seen = normalise(tut, got, lab, deliberate)
    problems = diff(tut, got)
    for what, n in sorted(seen.items()):
        print(f"known difference ({n}x): {what}")
    for p in problems:
        print(f"DIFFERENT {p}")
    print(f"{lab}: " + ("the same as the tutorial's commands" if not problems else f"{len(problems)} differences"))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
