// Labs that span machines (docs/multi-host.md), end to end: 2 and 3 "machines",
// each a network + mount namespace of the test's sandbox with its own tmpfs
// /run/netns and /run/netlab, joined by an underlay bridge (10.99.0.0/24); on
// each, `netlab --host mN` runs through nsenter, as Ansible would run it there.
#include <catch2/catch.hpp>

#include "../support/cli.hpp"
#include "../support/holder.hpp"
#include "../support/skip.hpp"

#include <nlohmann/json.hpp>

#include <sched.h>
#include <sys/mount.h>

#include <memory>
#include <string>
#include <vector>

using namespace nltest;

namespace {

/// The machine's own network and mount namespaces, with private /run/netns and
/// /run/netlab; run in the holder child.
bool enter_machine() {
  return ::unshare(CLONE_NEWNET | CLONE_NEWNS) == 0 &&
         ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         ::mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755") == 0 &&
         ::mount("tmpfs", "/run/netlab", "tmpfs", 0, "mode=0755") == 0;
}

/// One simulated machine: a child process holding its own network and mount
/// namespaces (with private /run/netns and /run/netlab) until the test ends.
class SimMachine {
public:
  SimMachine(std::string name, int index) : m_name(std::move(name)), m_index(index), m_holder(enter_machine) {
    // Its underlay: a veth to the bridge `ul` of the sandbox.
    const std::string ul = "ul" + std::to_string(m_index);
    REQUIRE(sh("ip link add " + ul + " type veth peer name eth0 netns " + m_holder.pid()).rc == 0);
    REQUIRE(sh("ip link set " + ul + " master ul up").rc == 0);
    REQUIRE(in("ip link set lo up && ip link set eth0 up && ip addr add " + underlay() + "/24 dev eth0").rc == 0);
  }

  std::string underlay() const { return "10.99.0." + std::to_string(m_index); }
  const std::string& name() const { return m_name; }

  /// A shell command run inside the machine.
  Run in(const std::string& cmd) const { return sh(enter() + "sh -c '" + cmd + "'"); }
  /// netlab ARGS on this machine, with --host NAME after them.
  Run netlab(const std::string& args, const std::string& env = "") const {
    Run r = sh(enter() + "env " + env + " " + NETLAB_BINARY + " " + args + " --host " + m_name);
    UNSCOPED_INFO("[" << m_name << "] $ netlab " << args << "  -> " << r.rc << "\n" << r.out);
    return r;
  }
  /// Nothing of any lab on this machine: no namespace, no tagged link, no nft table, no state.
  void require_nothing_left() const {
    INFO("machine " << m_name);
    CHECK(in("ls /run/netns | wc -l").out == "0\n");
    CHECK(in("ip -o link show | grep -c \"alias netlab\" || true").out == "0\n");
    CHECK(in("ip -o link show type vxlan | wc -l").out == "0\n");
    CHECK(in("nft list tables 2>/dev/null | grep -c netlab || true").out == "0\n");
    CHECK(in("ls /run/netlab | wc -l").out == "0\n");
  }

private:
  std::string m_name;
  int m_index;
  NsHolder m_holder;

  /// Shell prefix that runs a command in the machine's namespaces.
  std::string enter() const { return "nsenter -t " + m_holder.pid() + " -n -m -- "; }
};

/// The machines of a test and the underlay bridge between them.
struct Cluster {
  std::vector<std::unique_ptr<SimMachine>> machines;
  explicit Cluster(int n) {
    if (sh("ip link add ul type bridge && ip link set ul up").rc != 0) skip("no bridge support");
    if (sh("ip link add vxprobe type vxlan id 1 dstport 4789 local 127.0.0.1 && ip link del vxprobe").rc != 0)
      skip("no vxlan support in this kernel");
    for (int i = 1; i <= n; ++i) machines.push_back(std::make_unique<SimMachine>("m" + std::to_string(i), i));
  }
  SimMachine& operator[](std::size_t i) { return *machines[i]; }
};

std::string hosts_section(int n) {
  std::string out = "hosts:\n";
  for (int i = 1; i <= n; ++i)
    out += "  m" + std::to_string(i) + ": {underlay: 10.99.0." + std::to_string(i) + ", ansible_host: 10.99.0." +
           std::to_string(i) + "}\n";
  return out;
}

const std::string k_pair = "name: mh-pair\n" + hosts_section(2) + R"(nodes:
  ns1:
    host: m1
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
  ns2:
    host: m2
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
links:
  - [ns1:eth0, ns2:eth0]
checks:
  - {from: ns1, ping: 10.0.0.2}
  - {from: ns2, ping: 10.0.0.1}
  - {from: ns1, tcp: "10.0.0.2:8080"}
)";

const std::string k_nat = "name: mh-nat\n" + hosts_section(2) + R"(nodes:
  gw:
    kind: host
    host: m1
    forwarding: true
    interfaces:
      br0: {kind: bridge, addresses: [192.168.10.1/24]}
      p2: {master: br0}
      uplink: {addresses: [203.0.113.1/24]}
    nat:
      - {masquerade: {source: 192.168.10.0/24, out: uplink}}
  lan:
    host: m1
    interfaces:
      eth0: {addresses: [203.0.113.2/24]}
  ns2:
    host: m2
    interfaces:
      eth0: {addresses: [192.168.10.2/24]}
    routes: [default via 192.168.10.1]
links:
  - [gw:uplink, lan:eth0]
  - [ns2:eth0, gw:p2]
checks:
  - {from: ns2, ping: 203.0.113.2}
  - {from: lan, ping: 192.168.10.2, expect: fail}
)";

void up_all(Cluster& c, const std::string& file) {
  for (auto& m : c.machines) REQUIRE(m->netlab("up " + file).rc == 0);
}

void converged_everywhere(Cluster& c, const std::string& file) {
  for (auto& m : c.machines) {
    Run st = m->netlab("--json status " + file);
    CHECK(st.rc == 0);
    CHECK_THAT(st.out, Catch::Contains("\"host\": \"" + m->name() + "\""));
    CHECK_THAT(st.out, Catch::Contains("\"converged\": true"));
  }
}

void down_all(Cluster& c, const std::string& file) {
  for (auto& m : c.machines) CHECK(m->netlab("down " + file).rc == 0);
  for (auto& m : c.machines) m->require_nothing_left();
}

/// A shipped multi-host lab on `n` machines: up on each, every machine's checks
/// pass, a second up changes nothing, status converged everywhere, down leaves nothing.
void multi_host_lifecycle(const std::string& name, int n) {
  Cluster c(n);
  const std::string file = topology(name);
  up_all(c, file);
  for (auto& m : c.machines) {
    Run t = m->netlab("test " + file);
    CHECK(t.rc == 0);
    CHECK_THAT(t.out, Catch::Contains(" 0 failed"));
    Run again = m->netlab("up " + file);
    CHECK(again.rc == 0);
    CHECK(changes(again.out).empty());
  }
  converged_everywhere(c, file);
  down_all(c, file);
}

} // namespace

TEST_CASE("multihost: a veth between two machines is a vxlan pair: ping and tcp across", "[multihost]") {
  Cluster c(2);
  const std::string file = write_temp("pair.yaml", k_pair);
  // Without --host a file of two machines is refused before anything is read.
  Run bare = sh(std::string(NETLAB_BINARY) + " plan " + file);
  CHECK(bare.rc == 2);
  CHECK_THAT(bare.out, Catch::Contains("--host"));
  // The inventory an orchestrator reads, in ansible-inventory's JSON form.
  Run inv = sh(std::string(NETLAB_BINARY) + " inventory --json " + file);
  REQUIRE(inv.rc == 0);
  auto doc = nlohmann::json::parse(inv.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["_meta"]["hostvars"]["m2"]["ansible_host"] == "10.99.0.2");
  CHECK(doc["_meta"]["hostvars"]["m1"]["netlab_underlay"] == "10.99.0.1");
  CHECK(doc["netlab"]["hosts"] == nlohmann::json::array({"m1", "m2"}));
  CHECK(doc["all"]["children"].size() == 2);
  CHECK_FALSE(doc.contains("schema_version")); // every top-level key but _meta is a group
  up_all(c, file);
  // The tunnel end: a vxlan in the node, its socket in the machine's namespace.
  Run vx = c[0].in("ip -d -n ns1 link show eth0");
  CHECK_THAT(vx.out, Catch::Contains("vxlan id"));
  CHECK_THAT(vx.out, Catch::Contains("remote 10.99.0.2"));
  CHECK_THAT(vx.out, Catch::Contains("link-netnsid"));
  CHECK_THAT(vx.out, Catch::Contains("mtu 1450"));
  // The machine's own namespace has no vxlan: only the socket lives there.
  CHECK(c[0].in("ip -o link show type vxlan | wc -l").out == "0\n");
  // A server for the tcp check, on m2.
  REQUIRE(c[1].in("ip netns exec ns2 python3 -c \"import socket,time\ns=socket.socket()\n"
                  "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind((\\\"10.0.0.2\\\",8080))\n"
                  "s.listen(8)\ntime.sleep(60)\" >/dev/null 2>&1 & sleep 0.5")
              .rc == 0);
  Run t1 = c[0].netlab("test " + file);
  CHECK(t1.rc == 0);
  CHECK_THAT(t1.out, Catch::Contains("2 passed, 0 failed"));
  CHECK_THAT(t1.out, Catch::Contains("SKIP ns2 ping 10.0.0.1: run on host m2"));
  Run t2 = c[1].netlab("--json test " + file);
  CHECK(t2.rc == 0);
  CHECK_THAT(t2.out, Catch::Contains("\"reason\": \"run on host m1\""));
  converged_everywhere(c, file);
  // Where a machine's part is up, --host defaults to that machine (its state says which).
  for (size_t i = 0; i < 2; ++i) {
    Run here = c[i].in(std::string(NETLAB_BINARY) + " --json status " + file);
    CHECK(here.rc == 0);
    CHECK_THAT(here.out, Catch::Contains(i == 0 ? "\"host\": \"m1\"" : "\"host\": \"m2\""));
  }
  // A re-run changes nothing, and --json says so with an empty changes array.
  for (auto& m : c.machines) {
    Run again = m->netlab("--json up " + file);
    CHECK(again.rc == 0);
    CHECK_THAT(again.out, Catch::Contains("\"changes\": []"));
  }
  down_all(c, file);
}

TEST_CASE("lab multi-host: lifecycle on two machines", "[multihost][lab]") {
  multi_host_lifecycle("multi-host.yaml", 2);
}

TEST_CASE("lab multi-host-bridge: lifecycle on three machines: a bridge spans them and every pair pings",
          "[multihost][lab]") {
  multi_host_lifecycle("multi-host-bridge.yaml", 3);
}

TEST_CASE("multihost: NAT on one machine, reached from a namespace on another", "[multihost][nat]") {
  Cluster c(2);
  const std::string file = write_temp("nat.yaml", k_nat);
  up_all(c, file);
  Run t2 = c[1].netlab("test " + file);
  CHECK(t2.rc == 0);
  CHECK_THAT(t2.out, Catch::Contains("1 passed, 0 failed"));
  Run t1 = c[0].netlab("test " + file);
  CHECK(t1.rc == 0);
  converged_everywhere(c, file);
  down_all(c, file);
}

TEST_CASE("multihost: a machine's up killed midway converges on the next run", "[multihost][crash]") {
  Cluster c(2);
  const std::string file = write_temp("star2.yaml", k_nat);
  REQUIRE(c[1].netlab("up " + file).rc == 0);
  // Killed at its 4th action, then at its 7th: each next run picks up what is there.
  for (int kill_at : {4, 7}) {
    Run killed = c[0].netlab("up " + file, "NETLAB_KILL_AT=" + std::to_string(kill_at));
    CHECK(killed.rc == 137); // SIGKILL, through sh
  }
  REQUIRE(c[0].netlab("up " + file).rc == 0);
  Run again = c[0].netlab("up " + file);
  CHECK_THAT(again.out, Catch::Contains("no changes"));
  Run t = c[1].netlab("test " + file);
  CHECK(t.rc == 0);
  converged_everywhere(c, file);
  down_all(c, file);
}

TEST_CASE("multihost: a tunnel end re-made by hand inside the node is drift: its socket is in the wrong namespace",
          "[multihost][drift]") {
  Cluster c(2);
  const std::string file = write_temp("pair.yaml", k_pair);
  up_all(c, file);
  // The same vxlan, made inside ns1: its UDP socket is now ns1's, which has no underlay.
  REQUIRE(c[0].in("vni=$(ip -d -n ns1 link show eth0 | sed -n \"s/.*vxlan id \\([0-9]*\\).*/\\1/p\"); "
                  "ip -n ns1 link del eth0 && ip -n ns1 link add eth0 type vxlan id $vni remote 10.99.0.2 "
                  "local 10.99.0.1 dstport 4789")
              .rc == 0);
  CHECK_THAT(c[0].in("ip -d -n ns1 link show eth0").out, !Catch::Contains("link-netnsid"));
  Run st = c[0].netlab("status " + file);
  CHECK(st.rc == 3);
  CHECK_THAT(st.out, Catch::Contains("socket"));
  Run up = c[0].netlab("up " + file);
  CHECK(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("re-created"));
  CHECK_THAT(c[0].in("ip -d -n ns1 link show eth0").out, Catch::Contains("link-netnsid"));
  CHECK(c[0].netlab("test " + file).rc != 0 /* the tcp check has no server here */);
  CHECK(c[0].in("ip netns exec ns1 ping -c1 -W2 10.0.0.2").rc == 0);
  converged_everywhere(c, file);
  down_all(c, file);
}
