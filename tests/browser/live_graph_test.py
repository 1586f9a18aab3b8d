#!/usr/bin/env python3
"""The live graph in a real browser: `netlab graph --serve` on a sandboxed lab,
headless Chromium (tests/browser/cdp.py) showing its page. The test deletes a
veth behind netlab's back and the page, without a reload, marks that link missing
within 2 s; `netlab up` repairs it and the page turns it ok. It also checks the
link counters move with traffic and that a click on a namespace shows what the
kernel has there.

usage: live_graph_test.py SOURCE_DIR NETLAB_BINARY
Exit 0 passed, 1 failed, 77 skipped (not root, or Chromium cannot run here)."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
import sandbox  # noqa: E402

PORT = 8080  # the sandbox has a network namespace of its own: nothing else listens
LAB = "veth-pair"


def run(*args, check=True):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s" % (" ".join(args), r.returncode, r.stdout))
    return r


def start_server(netlab, topo):
    server = subprocess.Popen([netlab, "graph", "--serve", topo, "--listen", "127.0.0.1:%d" % PORT],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = server.stdout.readline()
    if "serving lab" not in line:
        server.kill()
        raise AssertionError("graph --serve did not start: " + line + server.stdout.read())
    return server


def check_schema(source, text):
    """The /state document agrees with schema/json/live-state.schema.json (python3-jsonschema)."""
    sys.path.insert(0, os.path.join(source, "tests", "schema"))
    try:
        import check_json
    except SystemExit:  # jsonschema is not installed: nothing to check against
        return
    schema = check_json.load_schema(os.path.join(source, "schema", "json"), "live-state.schema.json")
    doc = json.loads(text)
    doc["schema_version"] = 1  # problems_of asks every --json document for it; /state has none
    schema["oneOf"][1]["properties"]["schema_version"] = {}
    problems = check_json.problems_of(schema, json.dumps(doc))
    assert not problems, "GET /state disagrees with its schema:\n" + "\n".join(problems)


def edge_state(page, link):
    return page.evaluate("(document.querySelector('#picture g.edge[data-object=\"%s\"]') || {dataset: {}}).dataset.state"
                         % link)


def main():
    source, netlab = sys.argv[1], sys.argv[2]
    sandbox.enter()
    topo = os.path.join(source, "topologies", LAB + ".yaml")
    link = "ns1:veth1--ns2:veth2"
    run(netlab, "up", "-q", topo)
    # Loopback only, unless asked: the page shows the lab's kernel state.
    refused = run(netlab, "graph", "--serve", topo, "--listen", "0.0.0.0:%d" % PORT, check=False)
    assert refused.returncode == 2 and "--allow-remote" in refused.stdout, refused.stdout
    server = start_server(netlab, topo)
    # One server per port (httplib's default SO_REUSEPORT would let a second share it).
    second = run(netlab, "graph", "--serve", topo, "--listen", "127.0.0.1:%d" % PORT, check=False)
    assert second.returncode == 1 and "Address already in use" in second.stdout, second.stdout
    try:
        try:
            browser = cdp.Chromium()
        except cdp.ChromiumUnavailable as e:
            print("skipped:", e)
            return sandbox.SKIP
        with browser:
            page = browser.open("http://127.0.0.1:%d/" % PORT)
            page.wait_for("document.body.dataset.converged === 'true'", timeout=10)
            assert edge_state(page, link) == "ok", edge_state(page, link)
            page.evaluate("window.netlabTestMark = 42")  # gone if the page reloads
            check_schema(source, page.evaluate("fetch('state').then(r => r.text())"))

            # Traffic moves the link's counters on the page.
            before = json.loads(page.evaluate("document.querySelector('g.edge[data-object=\"%s\"]').dataset.counters" % link))
            run("ip", "netns", "exec", "ns1", "ping", "-c", "3", "-i", "0.2", "-W", "1", "10.0.1.2")
            page.wait_for("JSON.parse(document.querySelector('g.edge[data-object=\"%s\"]').dataset.counters).a.tx_packets >= %d"
                          % (link, before["a"]["tx_packets"] + 3), timeout=3)
            rows = page.evaluate("document.querySelectorAll('#links tr[data-link=\"%s\"]').length" % link)
            assert rows == 2, "want a counter row per end, got %s" % rows

            # A click on ns1 shows its interfaces, addresses and routes as the kernel has them.
            page.evaluate("document.querySelector('#picture g.cluster').dispatchEvent(new MouseEvent('click', {bubbles: true}))")
            page.wait_for("document.querySelector('#node-interfaces tr[data-interface=\"veth1\"]') !== null", timeout=2)
            text = page.evaluate("document.getElementById('node').innerText")
            for want in ("veth1", "10.0.1.1/24", "10.0.1.0/24 dev veth1"):
                assert want in text, "node panel lacks %r:\n%s" % (want, text)

            # The kernel changes behind netlab's back: the link turns missing, live.
            changed = time.monotonic()
            run("ip", "netns", "exec", "ns1", "ip", "link", "del", "veth1")
            page.wait_for("(document.querySelector('#picture g.edge[data-object=\"%s\"]') || {dataset: {}}).dataset.state === 'missing'"
                          % link, timeout=2)
            seen = time.monotonic() - changed
            assert page.evaluate("window.netlabTestMark") == 42, "the page reloaded"
            summary = page.evaluate("document.getElementById('summary').textContent")
            assert "differ" in summary, summary
            check_schema(source, page.evaluate("fetch('state').then(r => r.text())"))
            print("link marked missing %.2f s after the veth was deleted" % seen)

            # up repairs it, and the page says so.
            run(netlab, "up", "-q", topo)
            repaired = page.wait_for("document.body.dataset.converged === 'true'", timeout=3)
            assert edge_state(page, link) == "ok", edge_state(page, link)
            assert page.evaluate("window.netlabTestMark") == 42, "the page reloaded"
            print("link ok again %.2f s after up returned" % repaired)

        # SIGTERM stops the server cleanly.
        server.terminate()
        rc = server.wait(timeout=10)
        assert rc == 0, "graph --serve exited %d after SIGTERM: %s" % (rc, server.stdout.read())
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        run(netlab, "down", "-q", topo, check=False)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
