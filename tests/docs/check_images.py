#!/usr/bin/env python3
"""docs/img/<lab>.svg is the picture of every shipped lab, and not a stale one.

Usage: check_images.py SOURCE_DIR NETLAB_BINARY

For each topologies/*.yaml, `netlab graph --format svg` is drawn again and its
text (every label Graphviz placed: node titles, interfaces, addresses, routes,
NAT, VLANs, impairment) compared with the committed picture's. Coordinates are
not compared: they depend on the fonts installed, the words do not.
Regenerate with scripts/graphs.sh.
"""
import collections
import html
import pathlib
import re
import subprocess
import sys

TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)


def words(svg: str) -> collections.Counter:
    return collections.Counter(html.unescape(t) for t in TEXT.findall(svg))


def main() -> int:
    source, netlab = pathlib.Path(sys.argv[1]), sys.argv[2]
    labs = sorted((source / "topologies").glob("*.yaml"))
    problems = []
    for lab in labs:
        image = source / "docs" / "img" / (lab.stem + ".svg")
        drawn = subprocess.run([netlab, "graph", str(lab), "--format", "svg"], capture_output=True, text=True)
        if drawn.returncode != 0:
            problems.append(f"{lab.name}: netlab graph failed ({drawn.returncode}): {drawn.stdout}{drawn.stderr}")
            continue
        if not image.exists():
            problems.append(f"{image.relative_to(source)}: missing")
            continue
        want, have = words(drawn.stdout), words(image.read_text())
        if want != have:
            diff = sorted((want - have).elements())[:5] + ["-" + w for w in sorted((have - want).elements())[:5]]
            problems.append(f"{image.relative_to(source)}: stale (differs in {diff})")
    stems = {lab.stem for lab in labs}
    for image in sorted((source / "docs" / "img").glob("*.svg")):
        if image.stem not in stems:
            problems.append(f"{image.relative_to(source)}: no lab topologies/{image.stem}.yaml")
    for p in problems:
        print("check_images:", p)
    if problems:
        print("check_images: run scripts/graphs.sh to redraw the pictures")
        return 1
    print(f"check_images: {len(labs)} pictures current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
