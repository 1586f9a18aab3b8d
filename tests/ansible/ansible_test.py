#!/usr/bin/env python3
"""contrib/ansible's playbooks against simulated machines (tests/ansible/machines.py):
namespaces with their own /run and sshd, joined by an underlay bridge, all inside one
sandbox; ansible-playbook connects to them over SSH from the sandbox's namespace.

usage: ansible_test.py SOURCE_DIR NETLAB_BINARY CASE
CASE: veth    2 machines, a cross-host veth: up + status + checks (ping, TCP), a second
              run changes nothing, check mode changes nothing, down leaves nothing
      bridge  a bridge spanning 3 machines, a namespace on each: all pairs ping
      nat     a router on m1 masquerades its LAN and forwards a port: reached from m2
      kill    one machine's netlab killed (SIGKILL) in the middle of up; the re-run converges
Exit 0 passed, 1 failed, 77 skipped (not root, or ansible-playbook or sshd missing)."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
import machines  # noqa: E402
import sandbox  # noqa: E402


def expect_run(cluster, playbook, topology, *args, changed=None):
    """A playbook run that must succeed; `changed`: the count every machine's recap must show."""
    rc, out, recap = cluster.playbook(playbook, topology, *args)
    assert rc == 0, "%s %s: exit %d\n%s" % (os.path.basename(playbook), " ".join(args), rc, out)
    assert set(recap) == {m.name for m in cluster.machines}, "recap names %s\n%s" % (sorted(recap), out)
    if changed is not None:
        bad = {h: c["changed"] for h, c in recap.items() if c["changed"] != changed}
        assert not bad, "%s %s: changed %s, want %d\n%s" % (os.path.basename(playbook), " ".join(args), bad, changed, out)
    return out


def expect_converged(cluster, topology):
    """Each machine's own netlab status says its part is converged."""
    for m in cluster.machines:
        r = m.run(cluster.netlab, "status", topology, "--host", m.name, check=False)
        assert r.returncode == 0, "%s: status exit %d\n%s" % (m.name, r.returncode, r.stdout)


def expect_empty(cluster):
    """No namespace, no link but lo and the underlay port, on any machine."""
    for m in cluster.machines:
        assert not m.netns() and not m.links(), "%s: left %s %s" % (m.name, m.netns(), m.links())


def report(out):
    """The playbook's two reports (the lines of the debug tasks' msg lists)."""
    return "\n".join(re.findall(r'^\s+"(\S+: .*|converged on .*|\d+ passed, \d+ failed)",?$', out, re.M))


def fatal(out):
    return "\n".join(line for line in out.splitlines() if line.startswith("fatal:"))[:2000]


def kernel_state(cluster):
    return {m.name: (m.netns(), m.links()) for m in cluster.machines}


def case_veth(cluster, pb, source):
    topo = os.path.join(HERE, "two-machines.yaml")
    m1, m2 = cluster.machines
    # Check mode on an empty lab: plan says what up would do, nothing is made.
    out = expect_run(cluster, pb("up.yml"), topo, "--check")
    assert "+ netns ns1" in out and "+ netns ns2" in out, out
    expect_empty(cluster)
    # The TCP check connects to a server on m2 (a check's `listen` node must be on its
    # `from` machine): started once ns2 exists, so up runs first, then site.yml again.
    expect_run(cluster, pb("up.yml"), topo)
    server = subprocess.Popen(m2.enter() + ["ip", "netns", "exec", "ns2", sys.executable, "-c",
                                            TCP_SERVER % ("10.0.0.2", 7000)])
    try:
        out = expect_run(cluster, pb("site.yml"), topo, changed=0)
        print(report(out))
        assert "converged on 2 of 2 machines" in out, out
        assert re.search(r"\b3 passed, 0 failed", out), out
        expect_converged(cluster, topo)
        before = kernel_state(cluster)
        expect_run(cluster, pb("site.yml"), topo, "--check", changed=0)
        expect_run(cluster, pb("down.yml"), topo, "--check")
        assert kernel_state(cluster) == before, "check mode changed %s to %s" % (before, kernel_state(cluster))
    finally:
        server.kill()
        server.wait()
    expect_run(cluster, pb("down.yml"), topo)
    expect_empty(cluster)
    expect_run(cluster, pb("down.yml"), topo, changed=0)


def case_bridge(cluster, pb, source):
    topo = os.path.join(source, "topologies", "multi-host-bridge.yaml")
    out = expect_run(cluster, pb("site.yml"), topo)
    print(report(out))
    assert "converged on 3 of 3 machines" in out, out
    assert re.search(r"\b6 passed, 0 failed", out), out
    expect_converged(cluster, topo)
    expect_run(cluster, pb("site.yml"), topo, changed=0)
    expect_run(cluster, pb("down.yml"), topo)
    expect_empty(cluster)


def case_nat(cluster, pb, source):
    topo = os.path.join(HERE, "two-machines-nat.yaml")
    m1 = cluster.machines[0]
    expect_run(cluster, pb("up.yml"), topo)
    # The port forward's target: a server in lan on m1, reached from isp on m2.
    server = subprocess.Popen(m1.enter() + ["ip", "netns", "exec", "lan", sys.executable, "-c",
                                            TCP_SERVER % ("192.168.10.2", 80)])
    try:
        out = expect_run(cluster, pb("site.yml"), topo, changed=0)
        print(report(out))
        assert "converged on 2 of 2 machines" in out and re.search(r"\b3 passed, 0 failed", out), out
    finally:
        server.kill()
        server.wait()
    expect_run(cluster, pb("down.yml"), topo)
    expect_empty(cluster)


def case_kill(cluster, pb, source):
    topo = os.path.join(HERE, "two-machines-many.yaml")
    m2 = cluster.machines[1]
    # The first up runs in the background; m2's netlab is killed once part of its share exists.
    result = {}
    t = threading.Thread(target=lambda: result.update(run=cluster.playbook(pb("up.yml"), topo)))
    t.start()
    killed = None
    while killed is None and t.is_alive():
        pids = m2.netlab_pids()
        if pids and len(m2.netns()) >= 20:
            try:
                os.kill(pids[0], signal.SIGKILL)
                killed = pids[0]
            except ProcessLookupError:
                pass  # it just ended: the assertion below says so
        time.sleep(0.02)
    t.join()
    rc, out, recap = result["run"]
    assert killed, "m2's netlab finished before it could be killed (the lab is too small for this machine?)\n" + out
    assert rc != 0 and recap["m2"]["failed"] == 1 and recap["m1"]["failed"] == 0, "exit %d\n%s" % (rc, out)
    print("m2's netlab killed with %d namespaces made; up.yml said:\n%s" % (len(m2.netns()), fatal(out)))
    r = m2.run(cluster.netlab, "status", topo, "--host", "m2", check=False)
    assert r.returncode == 3, "m2 after the kill: status exit %d, want 3 (half made)\n%s" % (r.returncode, r.stdout)
    expect_run(cluster, pb("up.yml"), topo)
    expect_converged(cluster, topo)
    out = expect_run(cluster, pb("status.yml"), topo, changed=0)
    assert "converged on 2 of 2 machines" in out, out
    expect_run(cluster, pb("down.yml"), topo)
    expect_empty(cluster)


# A TCP server for a check to connect to: accepts and closes, until killed.
TCP_SERVER = """
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("%s", %d))
s.listen(16)
while True:
    s.accept()[0].close()
"""

CASES = {"veth": (2, case_veth), "bridge": (3, case_bridge), "nat": (2, case_nat), "kill": (2, case_kill)}


def main():
    source, netlab, case = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    count, run_case = CASES[case]
    missing = machines.missing_tools()
    if missing:
        print("skipped: %s not installed (scripts/install-deps.sh --test installs ansible-core and openssh-server)"
              % ", ".join(missing))
        return sandbox.SKIP
    if subprocess.run([netlab, "help", "inventory"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        print("skipped: this netlab has no `inventory` verb (multi-host labs)")
        return sandbox.SKIP
    sandbox.enter(pid_namespace=True)
    with tempfile.TemporaryDirectory(prefix="netlab-ansible-") as tmp:
        os.chmod(tmp, 0o755)
        cluster = machines.Cluster(count, tmp, netlab)
        try:
            run_case(cluster, lambda name: os.path.join(source, "contrib", "ansible", name), source)
        except AssertionError as e:
            print("FAIL:", e)
            for m in cluster.machines:
                print("--- %s sshd log\n%s" % (m.name, m.log()))
            return 1
        finally:
            cluster.stop()
    print("passed: ansible %s" % case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
