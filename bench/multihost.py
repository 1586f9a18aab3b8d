#!/usr/bin/env python3
"""star-N on one simulated machine and split over two (bench/README.md, Multi-host):
the time of netlab on each machine (alone, the other idle; and all machines at once),
and of contrib/ansible's up.yml end to end (over SSH, tests/ansible/machines.py) and
re-run; each up followed by an untimed down.

The star of netlab_bench (n0..n(N-1), each eth0 a port of br0 in the host namespace,
br0 10.0.0.1/16 the default route) in three layouts:
  one     all on m1 (a `hosts:` of one machine)
  links   br0 on m1, the second half of the namespaces on m2: each of their links
          to br0 is a tunnel (N/2 vxlans on each machine)
  bridge  a bridge on each machine's host namespace, each with its half of the
          namespaces, joined by one tunnel (the gateway stays on m1)

usage: multihost.py [--netlab PATH] [--repeat R] [N]   (root; N default 1000)
Runs in a sandbox of its own: nothing is seen outside and all goes when it ends."""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "ansible"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "browser"))
import machines  # noqa: E402
import sandbox  # noqa: E402

HOSTS = {1: "hosts:\n  m1: {underlay: 10.99.0.1, ansible_host: 10.99.0.1}\n",
         2: "hosts:\n  m1: {underlay: 10.99.0.1, ansible_host: 10.99.0.1}\n"
            "  m2: {underlay: 10.99.0.2, ansible_host: 10.99.0.2}\n"}


def star(n, layout):
    """The topology text: compact, with ranges, as bench/star-1000.yaml."""
    half = n // 2 if layout != "one" else n
    y = ["name: star-%d-%s" % (n, layout), "version: 1", HOSTS[1 if layout == "one" else 2].rstrip(), "nodes:"]
    ports = "v{0..%d}" % (n - 1) if layout != "bridge" else "v{0..%d}" % (half - 1)
    y += ["  host:", "    kind: host", "    host: m1", "    interfaces:",
          "      br0: {kind: bridge, addresses: [10.0.0.1/16]}", "      %s: {master: br0}" % ports]
    if layout == "bridge":
        y += ["      trunk: {master: br0}",
              "  host2:", "    kind: host", "    host: m2", "    interfaces:", "      br0: {kind: bridge}",
              "      trunk: {master: br0}", "      v{%d..%d}: {master: br0}" % (half, n - 1)]
    for lo, hi, m in ((0, half - 1, "m1"), (half, n - 1, "m2")):
        if lo > hi:
            continue
        y += ["  n{%d..%d}:" % (lo, hi), "    host: %s" % m, "    interfaces:",
              '      eth0: {addresses: ["10.0.{(i+2)/256}.{(i+2)%256}/16"]}', "    routes: [default via 10.0.0.1]"]
    y.append("links:")
    if layout == "bridge":
        y += ['  - ["n{0..%d}:eth0", "host:v{i}"]' % (half - 1), '  - ["n{%d..%d}:eth0", "host2:v{i}"]' % (half, n - 1),
              "  - [host:trunk, host2:trunk]"]
    else:
        y.append('  - ["n{0..%d}:eth0", "host:v{i}"]' % (n - 1))
    return "\n".join(y) + "\n"


def timed(argv):
    t = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise SystemExit("%s: exit %d\n%s" % (" ".join(argv), r.returncode, r.stdout[-3000:]))
    return time.monotonic() - t


def on_all(cluster, verb, topo):
    """`netlab VERB FILE --host NAME` on every machine at once; {machine: seconds}, and the wall time."""
    times, t0 = {}, time.monotonic()

    def one(m):
        times[m.name] = timed(m.enter() + [cluster.netlab, "-q", verb, topo, "--host", m.name])

    threads = [threading.Thread(target=one, args=(m,)) for m in cluster.machines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(times) != len(cluster.machines):
        raise SystemExit("netlab %s failed on a machine" % verb)
    return times, time.monotonic() - t0


def settle(cluster):
    """Until the kernel's asynchronous namespace cleanup of the last down is over (bounded)."""
    end = time.monotonic() + 60
    while time.monotonic() < end and any(m.netns() or m.links() for m in cluster.machines):
        time.sleep(0.2)


def measure(cluster, n, layout, tmp, repeat):
    topo = os.path.join(tmp, "star-%d-%s.yaml" % (n, layout))
    with open(topo, "w") as f:
        f.write(star(n, layout))
    up_yml = os.path.join(SOURCE, "contrib", "ansible", "up.yml")
    down_yml = os.path.join(SOURCE, "contrib", "ansible", "down.yml")
    best = {}
    for _ in range(repeat):
        # Each machine's part with the others idle: its own cost, as on machines of their own.
        settle(cluster)
        alone = {m.name: timed(m.enter() + [cluster.netlab, "-q", "up", topo, "--host", m.name])
                 for m in cluster.machines}
        on_all(cluster, "down", topo)
        settle(cluster)
        # All at once, as the playbook runs them: here they share one kernel (RTNL) and its cores.
        times, wall = on_all(cluster, "up", topo)
        noop, _ = on_all(cluster, "up", topo)
        on_all(cluster, "down", topo)
        settle(cluster)
        t = time.monotonic()
        rc, out, _ = cluster.playbook(up_yml, topo)
        playbook = time.monotonic() - t
        if rc != 0:
            raise SystemExit("up.yml: exit %d\n%s" % (rc, out[-3000:]))
        t = time.monotonic()
        rc, out, recap = cluster.playbook(up_yml, topo)
        rerun = time.monotonic() - t
        if rc != 0 or any(c["changed"] for c in recap.values()):
            raise SystemExit("up.yml re-run: exit %d or changes\n%s" % (rc, out[-3000:]))
        cluster.playbook(down_yml, topo)
        row = dict(("netlab up %s, alone" % m, s) for m, s in sorted(alone.items()))
        row.update(("netlab up %s, all at once" % m, s) for m, s in sorted(times.items()))
        row.update({"netlab up, all machines (wall)": wall, "no-op netlab up (slowest machine)": max(noop.values()),
                    "up.yml": playbook, "up.yml re-run (no changes)": rerun})
        for k, v in row.items():
            best[k] = min(best.get(k, v), v)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1000)
    ap.add_argument("--netlab", default=os.path.join(SOURCE, "build", "release", "apps", "netlab"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--layouts", default="one,links,bridge")
    args = ap.parse_args()
    missing = machines.missing_tools()
    if missing:
        raise SystemExit("multihost.py: %s not installed (scripts/install-deps.sh --test)" % ", ".join(missing))
    netlab = os.path.abspath(args.netlab)
    sandbox.enter(pid_namespace=True)
    with tempfile.TemporaryDirectory(prefix="netlab-bench-mh-") as tmp:
        os.chmod(tmp, 0o755)
        cluster = machines.Cluster(2, tmp, netlab)
        try:
            for layout in args.layouts.split(","):
                # A one-machine lab's inventory has m1 only: m2 idles, as a machine outside the lab would.
                if layout == "one":
                    cluster.machines, rest = cluster.machines[:1], cluster.machines[1:]
                row = measure(cluster, args.n, layout, tmp, args.repeat)
                if layout == "one":
                    cluster.machines += rest
                print("star-%d %s (best of %d; load average now %.1f):" % (args.n, layout, args.repeat, os.getloadavg()[0]))
                for k, v in row.items():
                    print("  %-40s %7.2f s" % (k, v))
                sys.stdout.flush()
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
