// Instances (`up --instance NAME`) and `namespace_prefix:`: copies of one lab up
// at once, each with its own namespaces (the host node a namespace of its own),
// nft table and state; a copy's down leaves the others as they were.
#include "cli.hpp"
#include "skip.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace nltest;

namespace {

/// Every shipped lab's file name, sorted.
std::vector<std::string> shipped_labs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(std::string(NETLAB_SOURCE_DIR) + "/topologies"))
    if (e.path().extension() == ".yaml") out.push_back(e.path().filename().string());
  std::ranges::sort(out);
  return out;
}

/// Why a shipped lab cannot run here as instances, or "" when it can.
/// external-netns: its node `ext` is a namespace someone else made; two copies would
/// add the same interface (lab0, 10.61.0.2) to it, so instancing it is refused.
/// bridge-vlans: where the kernel lacks 802.1Q or VLAN filtering, not even one copy runs.
/// container-netns and tun-userspace: see below.
std::string cannot_instance(const std::string& file) {
  if (file == "external-netns.yaml") return "its node 'ext' is kind external (a fixed namespace the lab does not own)";
  // container-netns: the same, its node `ctr` a process's namespace made before up.
  if (file == "container-netns.yaml") return "its node 'ctr' is kind external (a process's namespace made before up)";
  // tun-userspace: copies come up, but its checks pass only while tunping answers in
  // each copy's ns1 (lessons_test.cpp runs it for the plain lab).
  if (file == "tun-userspace.yaml") return "its checks need tunping running in ns1";
  // multi-host labs: each machine runs its part with --host (multihost_test.cpp runs them).
  if (file.starts_with("multi-host")) return "it spans machines";
  if (file == "bridge-vlans.yaml") {
    bool vlan = sh("ip link add nlt0 type veth peer name nlt1 && ip link add link nlt0 name nlt0.5 type vlan id 5").rc == 0;
    sh("ip link del nlt0 2>/dev/null");
    bool filtering = sh("ip link add nltbr0 type bridge vlan_filtering 1").rc == 0;
    sh("ip link del nltbr0 2>/dev/null");
    if (!vlan || !filtering) return "this kernel lacks CONFIG_VLAN_8021Q or CONFIG_BRIDGE_VLAN_FILTERING";
  }
  return "";
}

void require_test_passes(const std::string& args) {
  Run test = netlab("test " + args);
  CHECK(test.rc == 0);
  CHECK_THAT(test.out, Catch::Contains(" 0 failed"));
}

/// A one-shot TCP server in namespace `ns` on `port` that sends `reply` to its first
/// client (python3, backgrounded, gone after 20 s at most).
void serve_once(const std::string& ns, int port, const std::string& reply) {
  const std::string py = write_temp("serve.py",
                                    "import socket, sys\n"
                                    "s = socket.socket()\n"
                                    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                                    "s.bind(('', int(sys.argv[1])))\n"
                                    "s.listen()\n"
                                    "c, _ = s.accept()\n"
                                    "c.sendall(sys.argv[2].encode())\n"
                                    "c.close()\n");
  REQUIRE(sh("ip netns exec " + ns + " timeout 20 python3 " + py + " " + std::to_string(port) + " " + reply +
             " >/dev/null 2>&1 &")
              .rc == 0);
}

/// What a TCP connect from namespace `ns` to addr:port reads (retrying while the server starts).
std::string fetch(const std::string& ns, const std::string& addr, int port) {
  const std::string py = write_temp("fetch.py",
                                    "import socket, sys, time\n"
                                    "for _ in range(50):\n"
                                    "    try:\n"
                                    "        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)\n"
                                    "        print(s.recv(64).decode(), end='')\n"
                                    "        break\n"
                                    "    except OSError:\n"
                                    "        time.sleep(0.1)\n");
  return sh("ip netns exec " + ns + " timeout 10 python3 " + py + " " + addr + " " + std::to_string(port)).out;
}

} // namespace

TEST_CASE("instances: two bridge-nat copies forward their DNAT port each to its own ns3", "[instance][nat]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(netlab("up " + file + " --instance a").rc == 0);
  REQUIRE(netlab("up " + file + " -i b").rc == 0);
  REQUIRE(netlab("up " + file).rc == 0); // and the plain lab, in the host namespace
  CHECK(netns_names() == std::set<std::string>{"a-host", "a-lan", "a-ns1", "a-ns2", "a-ns3", "b-host", "b-lan",
                                               "b-ns1", "b-ns2", "b-ns3", "lan", "ns1", "ns2", "ns3"});
  // Each copy's NAT table lives in its own host namespace, named after its lab.
  CHECK_THAT(sh("ip netns exec a-host nft list tables").out, Catch::Contains("netlab-bridge-nat@a"));
  CHECK_THAT(sh("ip netns exec b-host nft list tables").out, Catch::Contains("netlab-bridge-nat@b"));
  CHECK(sh("nft list tables").out == "table inet netlab-bridge-nat\n");
  CHECK(sh("ip netns exec a-host sysctl -n net.ipv4.ip_forward").out == "1\n");

  // Same addresses in every copy: lan connects to 203.0.113.1:8080 and reaches its own copy's ns3:80.
  serve_once("a-ns3", 80, "from-a");
  serve_once("b-ns3", 80, "from-b");
  serve_once("ns3", 80, "from-plain");
  CHECK(fetch("a-lan", "203.0.113.1", 8080) == "from-a");
  CHECK(fetch("b-lan", "203.0.113.1", 8080) == "from-b");
  CHECK(fetch("lan", "203.0.113.1", 8080) == "from-plain");
  require_test_passes(file + " -i a");
  require_test_passes(file + " -i b");
  require_test_passes(file);

  // down -l of one copy: the others keep their namespaces, NAT and state.
  Run down = netlab("down -l bridge-nat@a");
  REQUIRE(down.rc == 0);
  CHECK(netns_names() == std::set<std::string>{"b-host", "b-lan", "b-ns1", "b-ns2", "b-ns3", "lan", "ns1", "ns2", "ns3"});
  CHECK_FALSE(fs::exists("/run/netlab/bridge-nat@a"));
  CHECK(netlab("status -l bridge-nat@b").rc == 0);
  CHECK(netlab("status " + file).rc == 0);
  serve_once("b-ns3", 80, "still-b");
  CHECK(fetch("b-lan", "203.0.113.1", 8080) == "still-b");
  require_test_passes(file + " -i b");
  require_test_passes(file);

  REQUIRE(netlab("down " + file + " -i b").rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("instances: every shipped lab twice and once plain at the same time", "[instance][lab]") {
  int skipped = 0;
  for (const auto& file : shipped_labs()) {
    INFO(file);
    const std::string path = topology(file);
    const std::string lab = fs::path(file).stem().string();
    if (std::string why = cannot_instance(file); !why.empty()) {
      // Refused before any change, naming the reason (external-netns), or not run at all.
      if (file == "external-netns.yaml") {
        Run up = netlab("up " + path + " -i a");
        CHECK(up.rc == 2);
        CHECK_THAT(up.out, Catch::Contains("cannot be instanced: node 'ext' is kind external"));
        CHECK(changes(up.out).empty());
        require_nothing_left();
      }
      WARN(file << " is not instanced here: " << why);
      ++skipped;
      continue;
    }
    REQUIRE(netlab("up " + path).rc == 0);
    REQUIRE(netlab("up " + path + " -i s1").rc == 0);
    REQUIRE(netlab("up " + path + " -i s2").rc == 0);
    require_test_passes(path);
    require_test_passes(path + " -i s1");
    require_test_passes(path + " -i s2");
    // The file's names reach the copy's namespaces: exec and status through -l LAB@NAME.
    Run list = netlab("list --json");
    auto doc = nlohmann::json::parse(list.out, nullptr, false);
    REQUIRE(doc.is_object());
    std::set<std::string> instances;
    for (const auto& l : doc["labs"]) instances.insert(l.value("lab", "") + "/" + l.value("instance", "?"));
    CHECK(instances == std::set<std::string>{lab + "/", lab + "@s1/s1", lab + "@s2/s2"});
    CHECK(netlab("status -l " + lab + "@s1").rc == 0);
    REQUIRE(netlab("down -l " + lab + "@s1").rc == 0);
    require_test_passes(path);
    require_test_passes(path + " -i s2");
    CHECK(netlab("status -l " + lab + "@s2").rc == 0);
    CHECK(netlab("status " + path).rc == 0);
    Run all = netlab("down --all");
    REQUIRE(all.rc == 0);
    require_nothing_left();
  }
  CHECK(skipped <= 6);
}

TEST_CASE("instances: two of every shipped lab up at once and down --all", "[instance][lab]") {
  // Different labs need different instance names (both would want NAME-ns1): here L<i>a and L<i>b.
  std::vector<std::pair<std::string, std::string>> up; // file, instance
  int i = 0;
  for (const auto& file : shipped_labs()) {
    ++i;
    if (!cannot_instance(file).empty()) continue; // the case above says why
    for (const char* copy : {"a", "b"}) {
      const std::string inst = "L" + std::to_string(i) + copy;
      INFO(file << " -i " << inst);
      REQUIRE(netlab("up " + topology(file) + " -i " + inst).rc == 0);
      up.emplace_back(file, inst);
    }
  }
  CHECK(up.size() >= 20);
  for (const auto& [file, inst] : up) {
    INFO(file << " -i " << inst);
    require_test_passes(topology(file) + " -i " + inst);
  }
  Run list = netlab("list");
  CHECK(lines_of(list.out).size() == up.size() + 1); // a header and a line per copy
  REQUIRE(netlab("down --all").rc == 0);
  require_nothing_left();
}

TEST_CASE("instances: two labs under one instance name conflict before any change", "[instance][ownership]") {
  REQUIRE(netlab("up " + topology("veth-pair.yaml") + " -i s1").rc == 0);
  Run clash = netlab("up " + topology("bridge-gateway.yaml") + " -i s1");
  CHECK(clash.rc == 1);
  CHECK_THAT(clash.out, Catch::Contains("namespace 's1-ns1' already exists and is owned by lab 'veth-pair@s1' "
                                        "(netlab down -l veth-pair@s1); lab 'bridge-gateway@s1' will not touch it"));
  CHECK(changes(clash.out).empty());
  CHECK(netns_names() == std::set<std::string>{"s1-ns1", "s1-ns2"});
  require_test_passes(topology("veth-pair.yaml") + " -i s1");
  REQUIRE(netlab("down -l veth-pair@s1").rc == 0);
  require_nothing_left();
}

TEST_CASE("instances: the file's node names map to the copy's namespaces", "[instance][cli]") {
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(netlab("up " + file + " -i t1").rc == 0);
  Run exec = netlab("exec -l veth-pair@t1 ns1 -- sh -c 'echo $NETLAB_NODE $NETLAB_LAB'");
  CHECK(exec.rc == 0);
  CHECK_THAT(exec.out, Catch::Contains("t1-ns1 veth-pair@t1"));
  Run exec_file = netlab("exec -f " + file + " -i t1 ns1 -- sh -c 'echo $NETLAB_NODE'");
  CHECK_THAT(exec_file.out, Catch::Contains("t1-ns1"));
  Run all = netlab("exec -l veth-pair@t1 --all -- true");
  CHECK(all.rc == 0);
  Run graph = netlab("graph " + file + " -i t1");
  CHECK(graph.rc == 0);
  CHECK_THAT(graph.out, Catch::Contains("ns1 (netns: t1-ns1)"));
  // -l and -i together are one too many ways to say the instance.
  CHECK(netlab("status -l veth-pair@t1 -i t1").rc == 2);
  // The lab is not up plain: status of the plain file shows it missing.
  CHECK(netlab("status " + file).rc != 0);
  REQUIRE(netlab("down " + file + " -i t1").rc == 0);
  require_nothing_left();
}

TEST_CASE("instances: hostile instance names are refused before any change", "[instance][security]") {
  const std::string file = topology("veth-pair.yaml");
  for (const std::string bad : {"'../x'", "'a/b'", "'a@b'", "'.x'", "'x..y'", "''", "'$(id)'", "'aaaaaaaaaaaaaaaaa'"}) {
    INFO(bad);
    Run up = netlab("up " + file + " -i " + bad);
    CHECK(up.rc == 2);
    CHECK(changes(up.out).empty());
  }
  for (const std::string bad : {"'veth-pair@../x'", "'veth-pair@'", "'@x'", "'a@b@c'", "'veth-pair@x/y'"}) {
    INFO(bad);
    CHECK(netlab("down -l " + bad).rc == 2);
    CHECK(netlab("status -l " + bad).rc == 2);
  }
  require_nothing_left();
}

TEST_CASE("namespace_prefix renames without an instance", "[instance][prefix]") {
  std::string text = read_file(topology("bridge-gateway.yaml"));
  // A prefixed copy is another lab: its own name (the state dir, owner tags and nft table are the lab name's).
  text.replace(text.find("name: bridge-gateway\n"), 21, "name: gw-p1\nnamespace_prefix: p1-\n");
  const std::string file = write_temp("prefixed.yaml", text);
  REQUIRE(netlab("up " + file).rc == 0);
  REQUIRE(netlab("up " + topology("bridge-gateway.yaml")).rc == 0); // the plain one beside it
  CHECK(netns_names() == std::set<std::string>{"ns1", "ns2", "ns3", "p1-host", "p1-ns1", "p1-ns2", "p1-ns3"});
  require_test_passes(file);
  require_test_passes(topology("bridge-gateway.yaml"));
  Run exec = netlab("exec -l gw-p1 ns1 -- sh -c 'echo $NETLAB_NODE'");
  CHECK_THAT(exec.out, Catch::Contains("p1-ns1"));
  REQUIRE(netlab("down " + file).rc == 0);
  REQUIRE(netlab("down " + topology("bridge-gateway.yaml")).rc == 0);
  require_nothing_left();
}
