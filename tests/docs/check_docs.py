#!/usr/bin/env python3
"""Runs every netlab command that README.md and docs/*.md show, and compares.

What a document shows, and what is checked:

* a fenced block with `$ CMD` lines (a terminal session): each CMD runs, in
  order, in one sandbox per document (so a `$ ip ... down` by hand or a
  `$ echo $?` sees what the commands before it did), with `netlab` replaced by
  the built binary and the source tree as working directory. The lines under a
  command are its expected output (stdout and stderr), compared in shape:
  timings ("in 6 ms", "(0.10 ms)") and runs of blanks do not count, every
  other character does; a line `...` stands for any number of lines. A
  trailing `(exit N)` on the last line, or a following `$ echo $?`, gives the
  exit code; otherwise it must be 0.
* a ```sh block: lines that run the built binary (`build/.../netlab ...` or
  `netlab ...`) run too, and must exit 0 (their output is not shown).
* `<!-- doctest: setup: CMD -->` before a block runs CMD first (e.g. the lab
  the text says is up); `<!-- doctest: skip -->` leaves the next block out.
* a ```yaml block whose `name:` is a shipped lab (topologies/NAME.yaml) must
  say what that file says: keys it leaves out are fine, but every key it shows
  has the file's value and every list the file's items, all of them unless
  the block marks itself shortened (a `# ...` or `alike` comment), then in order.
  A text the file gives per language ({en: ..., zh: ...}) may be shown as a
  plain string: its English version.
* a path into a build tree (`build/release/apps/netlab`) names a file that
  the build makes (checked against BUILD_DIR).

Needs root (each document runs in new network and mount namespaces with tmpfs
on /run/netns and /run/netlab, made with unshare(1)); exits 77 (ctest:
skipped) without root or without python3-yaml, 1 when a document and the
program disagree (a diff per command), 0 when they agree.

Usage: check_docs.py SOURCE_DIR NETLAB_BINARY BUILD_DIR [DOC...]
"""
import difflib
import glob
import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("check_docs: skipped, python3-yaml is not installed")
    sys.exit(77)

NETLAB_PATH = re.compile(r"^(?:\S*/)?netlab(?=\s)")
BUILD_PATH = re.compile(r"\bbuild/[\w.-]+/([\w./-]*[\w-])")
TIMING = re.compile(r"\d+(?:\.\d+)? ?(?:ms|us|µs|s)\b")
EXIT = re.compile(r"\s*\(exit (\d+)\)\s*$")


class Step:
    """One command of a document and what the document says it prints."""

    def __init__(self, doc, line, cmd, kind):
        self.doc, self.line, self.cmd, self.kind = doc, line, cmd, kind
        self.expected = []  # output lines; None for a ```sh command (not shown)
        self.rc = 0  # None: not checked (a following `echo $?` checks it)
        self.setup = False


def blocks(path):
    """(line, info, lines, directives, the text's last lines before it) of each fenced block of a markdown file."""
    out, directives, block, prose = [], [], None, []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if block is None:
                m = re.match(r"\s*<!--\s*doctest:\s*(.*?)\s*-->", line)
                if m:
                    directives.append(m.group(1))
                elif line.startswith("```"):
                    block = (n, line[3:].strip(), [], directives, " ".join(prose[-3:]))
                    directives = []
                elif line.strip():
                    prose.append(line)
            elif line.startswith("```"):
                out.append(block)
                block = None
            else:
                block[2].append(line)
    return out


def steps_of(doc, source_dir):
    """The commands a document shows, in order, and the problems of its yaml blocks."""
    steps, problems = [], []
    for start, info, lines, directives, before in blocks(doc):
        if "skip" in directives:
            continue
        for d in directives:
            if d.startswith("setup:"):
                s = Step(doc, start, d[len("setup:"):].strip(), "setup")
                s.expected, s.setup = None, True
                steps.append(s)
        if info == "yaml":
            problems += yaml_problems(doc, start, lines, before, source_dir)
        elif info in ("sh", "bash", "shell"):
            for i, l in enumerate(lines, start + 1):
                cmd = l.split("  #")[0].strip()
                if NETLAB_PATH.match(cmd):
                    s = Step(doc, i, cmd, "sh")
                    s.expected = None
                    steps.append(s)
        elif any(l.startswith("$ ") for l in lines):
            for i, l in enumerate(lines, start + 1):
                if l.startswith("$ "):
                    steps.append(Step(doc, i, l[2:], "session"))
                elif steps and steps[-1].kind == "session" and steps[-1].expected is not None:
                    steps[-1].expected.append(l)
    for i, s in enumerate(steps):
        if s.expected:
            while s.expected and not s.expected[-1].strip():
                s.expected.pop()
            if s.expected:
                m = EXIT.search(s.expected[-1])
                if m:
                    s.rc = int(m.group(1))
                    s.expected[-1] = s.expected[-1][: m.start()]
        if i + 1 < len(steps) and steps[i + 1].cmd.strip() == "echo $?":
            s.rc = None
    return steps, problems


def shown_in(shown, real, shortened, where):
    """Why the yaml value `shown` does not say what `real` says ("" if it does)."""
    if isinstance(shown, str) and isinstance(real, dict) and isinstance(real.get("en"), str):
        real = real["en"]  # a text in several languages, shown in English
    if isinstance(shown, dict):
        if not isinstance(real, dict):
            return f"{where}: the file has {real!r}"
        for k, v in shown.items():
            if k not in real:
                return f"{where}/{k}: not in the file"
            why = shown_in(v, real[k], shortened, f"{where}/{k}")
            if why:
                return why
        return ""
    if isinstance(shown, list):
        if not isinstance(real, list):
            return f"{where}: the file has {real!r}"
        if not shortened and len(shown) != len(real):
            return f"{where}: {len(shown)} items shown, the file has {len(real)}"
        j = 0
        for i, v in enumerate(shown):
            while j < len(real) and shown_in(v, real[j], shortened, ""):
                if not shortened:
                    return f"{where}[{i}]: {shown_in(v, real[j], shortened, '')}"
                j += 1
            if j == len(real):
                return f"{where}[{i}]: {v!r} is not in the file (in this order)"
            j += 1
        return ""
    if isinstance(shown, str) and isinstance(real, str) and shown.strip() == real.strip():
        return ""
    return "" if shown == real else f"{where}: shown {shown!r}, the file has {real!r}"


def yaml_problems(doc, start, lines, before, source_dir):
    text = "\n".join(lines)
    try:
        shown = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(shown, dict) or not isinstance(shown.get("name"), str):
        return []
    path = os.path.join(source_dir, "topologies", shown["name"] + ".yaml")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        real = yaml.safe_load(f)
    shortened = bool(re.search(r"#\s*\.\.\.|\balike\b", text)) or "shortened" in before
    why = shown_in(shown, real, shortened, "")
    rel = os.path.relpath(path, source_dir)
    return [f"{os.path.relpath(doc, source_dir)}:{start}: the yaml block differs from {rel}: {why}"] if why else []


def normal(line):
    """A line as compared: timings and runs of blanks do not count."""
    return re.sub(r"\s+", " ", TIMING.sub("<time>", line)).strip()


def matches(want, have):
    """Whether `have` (lines) is `want` (lines, `...` for any number of lines), compared by normal()."""
    memo = {}

    def m(i, j):
        if (i, j) not in memo:
            if i == len(want):
                r = j == len(have)
            elif want[i].strip() == "...":
                r = m(i + 1, j) or (j < len(have) and m(i, j + 1))
            else:
                r = j < len(have) and normal(want[i]) == normal(have[j]) and m(i + 1, j + 1)
            memo[(i, j)] = r
        return memo[(i, j)]

    return m(0, 0)


def run_doc(doc, source_dir, binary):
    """Runs one document's commands (we are in its sandbox); returns its problems."""
    steps, problems = steps_of(doc, source_dir)[0], []
    rel = os.path.relpath(doc, source_dir)
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8")
    prev_rc = 0
    for s in steps:
        cmd = s.cmd
        if NETLAB_PATH.match(cmd):
            cmd = NETLAB_PATH.sub(binary, cmd, count=1)
        # `$?` of a command is the exit code of the one before it, as in the terminal.
        p = subprocess.run(["bash", "-c", f"(exit {prev_rc}); {cmd}"], cwd=source_dir, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        prev_rc = p.returncode
        have = p.stdout.rstrip("\n").split("\n") if p.stdout.strip() else []
        where = f"{rel}:{s.line}: $ {s.cmd}"
        if s.rc is not None and p.returncode != s.rc:
            problems.append(f"{where}\n  exit {p.returncode}, the document says {s.rc}\n"
                            + "".join(f"  | {l}\n" for l in have))
        if s.expected is not None and not matches(s.expected, have):
            diff = difflib.unified_diff([normal(l) for l in s.expected], [normal(l) for l in have],
                                        "shown in " + rel, "printed by netlab", lineterm="", n=2)
            problems.append(f"{where}\n  the output differs (- shown, + printed; timings as <time>):\n"
                            + "".join(f"  {l}\n" for l in list(diff)[2:]))
    return problems


def sandboxed(doc, source_dir, binary):
    """Re-runs this script for one document inside a fresh sandbox."""
    # Bridged frames skip the IP hooks in the sandbox, as on a machine without br_netfilter
    # (the documents show that machine; `up` warns on the other). The sysctl is the
    # sandbox's own from Linux 5.3 on; before, it is the machine's, and left alone.
    script = ("set -e; for d in /run/netns /run/netlab; do mkdir -p $d; mount -t tmpfs -o mode=0755 tmpfs $d; done; "
              "ip link set lo up; "
              'if [ "$(printf "5.3\\n%s\\n" "$(uname -r)" | sort -V | head -n1)" = 5.3 ]; then '
              "sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null || true; fi; "
              'exec "$0" "$@"')
    return subprocess.run(["unshare", "-n", "-m", "--propagation", "private", "bash", "-c", script,
                           sys.executable, os.path.abspath(__file__), "--in-sandbox", source_dir, binary, doc],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def path_problems(docs, source_dir, build_dir):
    problems = []
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for m in BUILD_PATH.finditer(line):
                    if not os.path.exists(os.path.join(build_dir, m.group(1))):
                        problems.append(f"{os.path.relpath(doc, source_dir)}:{n}: {m.group(0)}: "
                                        f"a build makes no {m.group(1)} (checked in {build_dir})")
    return problems


def main(argv):
    if len(argv) >= 2 and argv[1] == "--in-sandbox":
        source_dir, binary, doc = argv[2:5]
        problems = run_doc(doc, source_dir, binary)
        print("\n".join(problems))
        return 1 if problems else 0
    if len(argv) < 4:
        print(__doc__)
        return 2
    source_dir, binary, build_dir = (os.path.abspath(a) for a in argv[1:4])
    docs = [os.path.abspath(d) for d in argv[4:]] or [os.path.join(source_dir, "README.md")] + sorted(
        glob.glob(os.path.join(source_dir, "docs", "*.md")))
    if os.geteuid() != 0:
        print("check_docs: skipped, needs root (each document runs in its own sandbox)")
        return 77
    problems = path_problems(docs, source_dir, build_dir)
    for doc in docs:
        steps, yaml_bad = steps_of(doc, source_dir)
        problems += yaml_bad
        if not steps:
            continue
        r = sandboxed(doc, source_dir, binary)
        print(f"check_docs: {os.path.relpath(doc, source_dir)}: {len(steps)} commands, "
              + ("as shown" if r.returncode == 0 else "differs"))
        if r.returncode != 0 and r.stdout.strip():
            problems.append(r.stdout.rstrip())
        elif r.returncode != 0:
            problems.append(f"{doc}: the sandbox failed (exit {r.returncode})")
    if problems:
        print("\n\n".join(problems))
        print(f"\ncheck_docs: {len(problems)} problem(s): make the document show what the program does")
        return 1
    print("check_docs: every command shown does what the documents say")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
