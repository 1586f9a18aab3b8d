"""Runs the calling script again inside a sandbox: new network and mount
namespaces, tmpfs on /run/netns and /run/netlab, loopback up (as .ci/run and
tests/support/sandbox.hpp do). Nothing the script does to the kernel is seen
outside, and it all goes when the script ends. Exit 77 (skipped) without root.
With pid_namespace, also a PID namespace whose first process is the script: the
kernel kills every process the script left (daemons, SSH sessions) when it ends."""
import os
import subprocess
import sys

SKIP = 77


def enter(pid_namespace=False):
    if os.environ.get("NETLAB_BROWSER_SANDBOX") == "1":
        for d in ("/run/netns", "/run/netlab"):
            os.makedirs(d, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d], check=True)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    if os.geteuid() != 0:
        print("skipped: needs root (a sandbox of its own: network and mount namespaces)")
        sys.exit(SKIP)
    env = dict(os.environ, NETLAB_BROWSER_SANDBOX="1")
    pid = ["--pid", "--fork", "--kill-child", "--mount-proc"] if pid_namespace else []
    rc = subprocess.run(["unshare", "-n", "-m", "--propagation", "private"] + pid + [sys.executable] + sys.argv,
                        env=env).returncode
    sys.exit(rc)
