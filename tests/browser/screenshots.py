#!/usr/bin/env python3
"""docs/img/<lab>-live.png: the live graph (`netlab graph --serve`) of every
shipped lab, as headless Chromium shows it. Each lab is brought up in one
sandbox (tests/browser/sandbox.py), its checks run (so the link counters are not
all zero), the first namespace clicked (so the kernel view shows), then
screenshotted and taken down (a lab in DRIFT is also shown after changes by hand). External namespaces a lab attaches to are made
first, as the lab's comments tell a user to. Run by scripts/live-screenshots.sh.

usage: screenshots.py SOURCE_DIR NETLAB_BINARY [LAB...]"""
import os
import pathlib
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
import sandbox  # noqa: E402

PORT = 8080
# Labs also shown drifted, as docs/img/<lab>-live-drift.png: a change by hand.
DRIFT = {"bridge-nat": [["ip", "-n", "ns2", "link", "set", "vethD", "down"],
                        ["ip", "-n", "ns3", "link", "del", "vethF"]]}


def external_namespaces(path):
    doc = yaml.safe_load(path.read_text())
    return [n["netns"] for n in (doc.get("nodes") or {}).values()
            if isinstance(n, dict) and n.get("kind") == "external" and "netns" in n]


def save(png, out):
    out.write_bytes(png)
    # 256 colours are plenty for flat boxes and text, at a third of the bytes.
    subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--output", str(out), "256", "--", str(out)],
                   check=False)


def shoot(browser, netlab, lab, out):
    for ns in external_namespaces(lab):
        subprocess.run(["ip", "netns", "add", ns], check=True)
    up = subprocess.run([netlab, "up", "-q", str(lab)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if up.returncode != 0:  # e.g. this kernel lacks 802.1Q: the old picture stays
        for ns in external_namespaces(lab):
            subprocess.run(["ip", "netns", "del", ns], check=False)
        return "skipped, up failed: " + up.stdout.strip().splitlines()[0]
    subprocess.run([netlab, "test", "-q", str(lab)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = subprocess.Popen([netlab, "graph", "--serve", str(lab), "--listen", "127.0.0.1:%d" % PORT],
                              stdout=subprocess.PIPE, text=True)
    try:
        if "serving lab" not in server.stdout.readline():
            raise RuntimeError("graph --serve did not start for " + lab.name)
        page = browser.open("http://127.0.0.1:%d/" % PORT)
        page.wait_for("document.body.dataset.converged !== undefined", timeout=10)
        page.evaluate("document.querySelector('#picture g.cluster').dispatchEvent(new MouseEvent('click', {bubbles: true}))")
        time.sleep(0.3)
        save(page.screenshot(), out)
        if lab.stem in DRIFT:
            for cmd in DRIFT[lab.stem]:
                subprocess.run(cmd, check=True)
            page.wait_for("document.body.dataset.converged === 'false'", timeout=5)
            page.evaluate("document.querySelector('#picture g.cluster').dispatchEvent(new MouseEvent('click', {bubbles: true}))")
            time.sleep(0.3)
            save(page.screenshot(), out.with_name(lab.stem + "-live-drift.png"))
        page.send("Page.close")
        return None
    finally:
        server.terminate()
        server.wait(timeout=10)
        subprocess.run([netlab, "down", "-q", str(lab)], check=True)
        for ns in external_namespaces(lab):
            subprocess.run(["ip", "netns", "del", ns], check=False)


def main():
    source, netlab = pathlib.Path(sys.argv[1]).resolve(), os.path.abspath(sys.argv[2])
    only = set(sys.argv[3:])
    sandbox.enter()
    labs = [p for p in sorted((source / "topologies").glob("*.yaml")) if not only or p.stem in only]
    with cdp.Chromium(width=1400, height=800) as browser:
        for lab in labs:
            out = source / "docs" / "img" / (lab.stem + "-live.png")
            skipped = shoot(browser, netlab, lab, out)
            if skipped:
                print("%s: %s" % (out.relative_to(source), skipped))
            else:
                print("%s (%d KiB)" % (out.relative_to(source), (out.stat().st_size + 1023) // 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
