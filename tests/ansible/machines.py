"""Simulated machines for the Ansible tests and benchmark: each one a network and
mount namespace with a tmpfs of its own on /run (so its own /run/netns, /run/netlab
and /run/sshd), joined to the others by an underlay bridge in the caller's
namespace, and running sshd on its underlay address. Call only inside a sandbox
(tests/browser/sandbox.py, pid_namespace=True: its end kills every sshd and SSH
session started here); the addresses exist in no other namespace."""
import os
import re
import shutil
import socket
import subprocess
import time

UNDERLAY = "underlay"  # the bridge in the sandbox's namespace
CONTROLLER = "10.99.0.254"  # the sandbox's own address on it: where ansible-playbook connects from
# The machine's own /run: a tmpfs private to its mount namespace, made before anything runs there.
MACHINE_INIT = """
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/netns /run/netlab /run/sshd
ip link set lo up
echo ready
exec sleep infinity
"""
SSHD_CONFIG = """\
ListenAddress {address}
HostKey {tmp}/host_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {tmp}/client_key.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
# Ansible needs no terminal: none means no utmp/wtmp/lastlog entry on the real machine's files.
PermitTTY no
PrintMotd no
PrintLastLog no
Subsystem sftp internal-sftp
"""


def missing_tools():
    """What the tests need and this machine lacks (scripts/install-deps.sh --test installs them)."""
    need = {"ansible-playbook": shutil.which("ansible-playbook"), "/usr/sbin/sshd": os.access("/usr/sbin/sshd", os.X_OK),
            "ssh-keygen": shutil.which("ssh-keygen"), "ssh": shutil.which("ssh")}
    return [name for name, found in need.items() if not found]


def sh(*argv, check=True, **kw):
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s" % (" ".join(argv), r.returncode, r.stdout))
    return r


class Machine:
    """One simulated machine: `name` (as in the file's hosts:) at 10.99.0.INDEX."""

    def __init__(self, name, index, tmp):
        self.name, self.address = name, "10.99.0.%d" % index
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.holder = subprocess.Popen(["unshare", "-n", "-m", "--propagation", "private", "sh", "-c", MACHINE_INIT],
                                       stdout=subprocess.PIPE, text=True)
        assert self.holder.stdout.readline().strip() == "ready", name + ": the machine did not start"
        self.pid = self.holder.pid
        # Its underlay port: eth0 inside, u-NAME a port of the underlay bridge.
        sh("ip", "link", "add", "u-" + name, "type", "veth", "peer", "name", "eth0", "netns", str(self.pid))
        sh("ip", "link", "set", "u-" + name, "master", UNDERLAY, "up")
        self.run("ip", "addr", "add", self.address + "/24", "dev", "eth0")
        self.run("ip", "link", "set", "eth0", "up")
        with open(os.path.join(self.dir, "sshd_config"), "w") as f:
            f.write(SSHD_CONFIG.format(address=self.address, tmp=tmp, dir=self.dir))
        self.sshd_log = open(os.path.join(self.dir, "sshd.log"), "w")
        # -D: stays a child of ours; -e: its log goes to sshd.log, not the real machine's syslog.
        self.sshd = subprocess.Popen(self.enter() + ["/usr/sbin/sshd", "-D", "-e", "-f", self.dir + "/sshd_config"],
                                     stdout=self.sshd_log, stderr=subprocess.STDOUT)

    def enter(self):
        return ["nsenter", "-t", str(self.pid), "-n", "-m"]

    def run(self, *argv, check=True):
        """A command on this machine (its namespaces, its /run)."""
        return sh(*(self.enter() + list(argv)), check=check)

    def wait_for_sshd(self, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.sshd.poll() is not None:
                raise AssertionError("%s: sshd exited %d:\n%s" % (self.name, self.sshd.returncode, self.log()))
            try:
                socket.create_connection((self.address, 22), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("%s: sshd not listening on %s:22 after %ds" % (self.name, self.address, timeout))

    def log(self):
        with open(os.path.join(self.dir, "sshd.log")) as f:
            return f.read()

    def netns(self):
        return self.run("ip", "netns", "list").stdout.split()

    def links(self):
        """Every link of the machine's own namespace but its loopback and underlay port."""
        names = re.findall(r"^\d+: ([^:@]+)", self.run("ip", "-o", "link", "show").stdout, re.M)
        return [n for n in names if n not in ("lo", "eth0")]

    def netlab_pids(self):
        """netlab processes working on this machine's part (`--host NAME`; by its
        arguments, as its main thread may be inside a node's namespace)."""
        pids = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue  # gone meanwhile
            if os.path.basename(argv[0]) == b"netlab" and b"--host" in argv[:-1] \
                    and argv[argv.index(b"--host") + 1] == self.name.encode():
                pids.append(int(pid))
        return pids

    def stop(self):
        for p in (self.sshd, self.holder):
            p.kill()
            p.wait()
        self.sshd_log.close()


class Cluster:
    """N machines m1..mN with sshd, a client key, and what ansible-playbook needs to reach them."""

    def __init__(self, count, tmp, netlab):
        self.tmp, self.netlab = tmp, netlab
        sh("ip", "link", "add", UNDERLAY, "type", "bridge")
        sh("ip", "addr", "add", CONTROLLER + "/24", "dev", UNDERLAY)
        sh("ip", "link", "set", UNDERLAY, "up")
        for key in ("host_key", "client_key"):
            sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "netlab-test", "-f", os.path.join(tmp, key))
        self.machines = [Machine("m%d" % i, i, tmp) for i in range(1, count + 1)]
        for m in self.machines:
            m.wait_for_sshd()
        self.home = os.path.join(tmp, "home")  # ansible's ~/.ansible, not root's real one
        os.makedirs(self.home)
        with open(os.path.join(tmp, "ansible.cfg"), "w"):
            pass  # an empty config: no ansible.cfg of the cwd or of ~ applies
        with open(os.path.join(tmp, "access.yml"), "w") as f:
            # Added to `netlab inventory`'s output as a second inventory, as a user would.
            f.write("all:\n  vars:\n"
                    "    ansible_user: root\n"
                    "    ansible_ssh_private_key_file: %s/client_key\n"
                    # -F /dev/null: no ssh_config of this machine can send the connection elsewhere
                    "    ansible_ssh_common_args: -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null\n"
                    "    ansible_python_interpreter: /usr/bin/python3\n"
                    "    netlab_binary: %s\n"
                    "    netlab_dir: /run/netlab-topology\n" % (tmp, netlab))

    def inventory(self, topology):
        """`netlab inventory FILE` as the user runs it; each ansible_host must be one of our machines."""
        path = os.path.join(self.tmp, "inventory.yml")
        text = sh(self.netlab, "inventory", topology).stdout
        ours = {m.address for m in self.machines}
        for address in re.findall(r"ansible_host:\s*\"?([^\"\s]+)", text):
            assert address in ours, "the inventory names %s, not a machine of this test" % address
        with open(path, "w") as f:
            f.write(text)
        return path

    def playbook(self, playbook, topology, *args, timeout=600):
        """Runs ansible-playbook; returns (exit code, output, {host: recap counts})."""
        env = dict(os.environ, HOME=self.home, ANSIBLE_CONFIG=os.path.join(self.tmp, "ansible.cfg"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.tmp, "ansible-local"),
                   ANSIBLE_REMOTE_TMP="/run/ansible-tmp",  # the machine's own tmpfs
                   # Ansible's default SSH multiplexing stays (a master per machine, kept 60 s,
                   # its socket under HOME): the sandbox's PID namespace ends the masters with it.
                   ANSIBLE_PIPELINING="True",
                   ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="False", ANSIBLE_FORKS="10")
        argv = ["ansible-playbook", "-i", self.inventory(topology), "-i", os.path.join(self.tmp, "access.yml"),
                playbook, "-e", "netlab_topology=" + topology] + list(args)
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=timeout)
        recap = {}
        for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", r.stdout, re.M):
            recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
        return r.returncode, r.stdout, recap

    def stop(self):
        for m in self.machines:
            m.stop()
