// End-to-end: the netlab binary against the real kernel, inside the sandbox
// that sandbox_main.cpp made for this process (each TEST_CASE is its own
// process under ctest, so each gets a fresh sandbox).
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <string>

using namespace nltest;

TEST_CASE("lab veth-pair: lifecycle", "[cli][lab]") { lifecycle("veth-pair.yaml"); }
TEST_CASE("lab bridge-gateway: lifecycle", "[cli][lab]") { lifecycle("bridge-gateway.yaml"); }
TEST_CASE("lab bridge-two-ns: lifecycle", "[cli][lab]") { lifecycle("bridge-two-ns.yaml"); }
TEST_CASE("lab bridge-nat: lifecycle", "[cli][lab]") { lifecycle("bridge-nat.yaml"); }
TEST_CASE("lab docker-style: lifecycle", "[cli][lab]") { lifecycle("docker-style.yaml"); }
TEST_CASE("lab loopback: lifecycle", "[cli][lab]") { lifecycle("loopback.yaml"); }
TEST_CASE("lab router: lifecycle", "[cli][lab]") { lifecycle("router.yaml"); }
TEST_CASE("lab veth-host-routes: lifecycle", "[cli][lab]") { lifecycle("veth-host-routes.yaml"); }
TEST_CASE("lab device-kinds: lifecycle", "[cli][lab]") { lifecycle("device-kinds.yaml"); }

TEST_CASE("every shipped topology has a lifecycle test", "[cli]") {
  // A case named "lab NAME: lifecycle..." is registered (so ctest runs it, and shows it
  // as skipped where the kernel lacks what it needs) and calls lifecycle("NAME.yaml"[, after_up]).
  std::set<std::string> registered;
  for (const auto& c : Catch::getRegistryHub().getTestCaseRegistry().getAllTests()) registered.insert(c.name);
  std::string tests; // every integration test source: a lab's lifecycle may live in any of them
  for (const auto& e : fs::directory_iterator(std::string(NETLAB_SOURCE_DIR) + "/tests/integration"))
    if (e.path().extension() == ".cpp") tests += read_file(e.path().string());
  for (const auto& e : fs::directory_iterator(std::string(NETLAB_SOURCE_DIR) + "/topologies")) {
    if (e.path().extension() != ".yaml") continue;
    INFO(e.path().filename().string());
    const std::string name = "lab " + e.path().stem().string() + ": lifecycle";
    CHECK(std::ranges::any_of(registered, [&](const std::string& n) { return n.starts_with(name); }));
    CHECK_THAT(tests, Catch::Contains("lifecycle(\"" + e.path().filename().string() + "\"")); // maybe with an after_up
  }
}

TEST_CASE("drift by hand: status names it, up repairs exactly it", "[cli][drift]") {
  const std::string file = topology("bridge-gateway.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  REQUIRE(sh("ip link del vethE && ip -n ns1 addr del 192.168.10.2/24 dev vethB && "
             "ip -n ns1 addr add 192.168.10.22/24 dev vethB && ip -n ns2 link set vethD down")
              .rc == 0);

  Run status = netlab("status " + file);
  CHECK(status.rc == 3);
  std::vector<std::string> drift;
  for (const auto& l : lines_of(status.out))
    if (!l.starts_with("ok ") && !l.starts_with("lab ")) drift.push_back(std::regex_replace(l, std::regex(" +"), " "));
  std::ranges::sort(drift);
  CHECK(drift == std::vector<std::string>{
                     "different ns2/vethD/state: want up, have down",
                     "extra ns1/vethB/addresses/192.168.10.22/24: 192.168.10.22/24 (owned, no longer declared)",
                     "missing ns1/routes/default via 192.168.10.1: want default via 192.168.10.1",
                     "missing ns1/vethB/addresses/192.168.10.2/24: want 192.168.10.2/24",
                     "missing ns2/routes/default via 192.168.10.1: want default via 192.168.10.1",
                     "missing ns3/routes/default via 192.168.10.1: want default via 192.168.10.1",
                     "missing ns3/vethF: want veth peer host:vethE",
                 });

  Run repair = netlab("up " + file);
  REQUIRE(repair.rc == 0);
  auto c = changes(repair.out);
  std::ranges::sort(c);
  CHECK(c == std::vector<std::string>{
                 "+ address ns1:vethB 192.168.10.2/24",
                 "+ address ns3:vethF 192.168.10.4/24",
                 "+ route ns1: default via 192.168.10.1",
                 "+ route ns2: default via 192.168.10.1",
                 "+ route ns3: default via 192.168.10.1",
                 "+ veth ns3:vethF <-> host:vethE",
                 "- address ns1:vethB 192.168.10.22/24",
                 "~ host:vethE master mybridge",
                 "~ host:vethE up",
                 "~ ns2:vethD up",
                 "~ ns3:vethF up",
             });
  CHECK(netlab("status " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("an edited file applies only the delta", "[cli][edit]") {
  std::string text = read_file(topology("bridge-gateway.yaml"));
  const std::string file = write_temp("edit.yaml", text);
  REQUIRE(netlab("up " + file).rc == 0);
  // remove the ns3 link (and ns3 with it), add ns4 on the bridge
  text = std::regex_replace(text, std::regex("  ns3:\n(    .*\n)*"),
                            "  ns4:\n    interfaces:\n      vethH: {addresses: [192.168.10.5/24]}\n"
                            "    routes: [default via 192.168.10.1]\n");
  text = std::regex_replace(text, std::regex("  - \\[ns3:vethF, host:vethE\\]"), "  - [ns4:vethH, host:vethE]");
  text = std::regex_replace(text, std::regex("  - \\{from: ns3.*\n"), "");
  text = std::regex_replace(text, std::regex("listen: ns3"), "listen: ns4");
  text = std::regex_replace(text, std::regex("192.168.10.4:8080"), "192.168.10.5:8080");
  std::ofstream(file) << text;
  Run edit = netlab("up " + file);
  REQUIRE(edit.rc == 0);
  auto c = changes(edit.out);
  std::ranges::sort(c);
  CHECK(c == std::vector<std::string>{
                 "+ address ns4:vethH 192.168.10.5/24",
                 "+ netns ns4",
                 "+ route ns4: default via 192.168.10.1",
                 "+ veth ns4:vethH <-> host:vethE",
                 "- netns ns3",
                 "- veth host:vethE <-> ns3:vethF",
                 "~ host:vethE master mybridge",
                 "~ host:vethE up",
                 "~ ns4:lo up",
                 "~ ns4:vethH up",
             });
  CHECK(netlab("test " + file).rc == 0);
  CHECK(changes(netlab("up " + file).out).empty());
  // The file disappears: down still finds everything from the state dir and the marks.
  fs::remove(file);
  REQUIRE(netlab("down -l bridge-gateway").rc == 0);
  require_nothing_left();
}

TEST_CASE("plan shows changes and applies none", "[cli]") {
  Run plan = netlab("plan --explain " + topology("veth-pair.yaml"));
  CHECK(plan.rc == 0);
  CHECK_THAT(plan.out, Catch::Contains("+ netns"));
  CHECK_THAT(plan.out, Catch::Contains("$ ip netns add"));
  require_nothing_left();
}

TEST_CASE("a foreign namespace blocks up and survives down", "[cli][ownership]") {
  REQUIRE(sh("ip netns add ns2 && ip -n ns2 link add vethD type veth peer name x").rc == 0);
  Run up = netlab("up " + topology("bridge-gateway.yaml"));
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("namespace 'ns2' already exists and is not created by netlab"));
  CHECK(sh("ip netns list").out == "ns2\n"); // nothing else was created
  CHECK(netlab("down " + topology("bridge-gateway.yaml")).rc == 0);
  CHECK(sh("ip -n ns2 -o link show vethD").rc == 0);
  REQUIRE(sh("ip netns del ns2").rc == 0);
  require_nothing_left();
}

TEST_CASE("a foreign link in the host blocks up and survives down", "[cli][ownership]") {
  REQUIRE(sh("ip link add mybridge type bridge").rc == 0);
  Run up = netlab("up " + topology("bridge-gateway.yaml"));
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("link host:mybridge already exists and is not created by netlab"));
  CHECK(netlab("down " + topology("bridge-gateway.yaml")).rc == 0);
  CHECK(sh("ip -o link show mybridge").rc == 0);
  REQUIRE(sh("ip link del mybridge").rc == 0);
  require_nothing_left();
}

TEST_CASE("a failure in the middle of up is undone completely", "[cli][rollback]") {
  // The sysctl key passes validation but does not exist in the kernel, so the
  // write fails after namespaces, links, addresses and routes were created.
  const std::string file = write_temp("fail.yaml", R"(name: failing
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge, addresses: [10.20.0.1/24]}
      v1: {master: br0}
  n1:
    interfaces:
      e1: {addresses: [10.20.0.2/24]}
    routes: [default via 10.20.0.1]
    sysctls: {net.ipv4.no_such_key: 1}
links:
  - [n1:e1, host:v1]
)");
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("failed: ~ sysctl n1: net.ipv4.no_such_key = 1"));
  CHECK_THAT(up.out, Catch::Contains("No such file or directory"));
  CHECK_THAT(up.out, Catch::Contains("the kernel is as it was before"));
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("a kind the kernel lacks is refused before any change", "[cli][kinds]") {
  const std::string file = write_temp("dummy.yaml", R"(name: dummies
nodes:
  n1:
    interfaces:
      d0: {kind: dummy, addresses: [10.30.0.1/24]}
)");
  bool has_dummy = sh("ip link add nltest0 type dummy && ip link del nltest0").rc == 0;
  Run up = netlab("up " + file);
  if (!has_dummy) {
    CHECK(up.rc == 1);
    CHECK_THAT(up.out, Catch::Contains("interface kind 'dummy' is not supported by this kernel (needs CONFIG_DUMMY)"));
  } else {
    CHECK(up.rc == 0);
    CHECK(netlab("status " + file).rc == 0);
    CHECK(netlab("down " + file).rc == 0);
  }
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("invalid input changes nothing and exits 2", "[cli][input]") {
  const std::string file = write_temp("bad.yaml", R"(name: bad
nodes:
  n1:
    interfaces:
      this-name-is-too-long: {kind: bridge}
)");
  Run up = netlab("up " + file);
  CHECK(up.rc == 2);
  CHECK_THAT(up.out, Catch::Contains(":5:7:"));
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("status --json and list", "[cli][json]") {
  const std::string file = topology("veth-pair.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  auto status = nlohmann::json::parse(netlab("--json status " + file).out);
  CHECK(status["converged"] == true);
  CHECK(status["objects"].size() > 0);
  for (const auto& o : status["objects"]) CHECK(o["state"] == "ok");
  Run list = netlab("list");
  CHECK_THAT(list.out, Catch::Contains("veth-pair"));
  REQUIRE(netlab("down --all").rc == 0);
  require_nothing_left();
}

TEST_CASE("IPv4-only namespaces have no IPv6 on their links until the file gives them some", "[cli][ipv6]") {
  const std::string v4 = write_temp("v4.yaml", R"(name: v6switch
nodes:
  a: {interfaces: {e0: {addresses: [10.0.1.1/24]}}}
  b: {interfaces: {e0: {addresses: [10.0.1.2/24]}}}
links: [[a:e0, b:e0]]
checks: [{from: a, ping: 10.0.1.2}]
)");
  REQUIRE(netlab("up " + v4).rc == 0);
  CHECK(netlab("test " + v4).rc == 0);
  CHECK(sh("ip -n a -6 -o addr show dev e0").out.empty()); // no link-local, so no DAD/RS/MLD chatter
  CHECK_THAT(sh("ip -n a -d link show dev e0").out, Catch::Contains("addrgenmode none"));
  CHECK_THAT(sh("ip -n a -6 -o addr show dev lo").out, Catch::Contains("::1/128"));
  const std::string v6 = write_temp("v6.yaml", R"(name: v6switch
nodes:
  a: {interfaces: {e0: {addresses: [10.0.1.1/24, "fd00::1/64"]}}}
  b: {interfaces: {e0: {addresses: [10.0.1.2/24, "fd00::2/64"]}}}
links: [[a:e0, b:e0]]
checks: [{from: a, ping: "fd00::2"}, {from: b, ping: "fd00::1"}]
)");
  Run up = netlab("up " + v6);
  REQUIRE(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("~ sysctl a: net.ipv6.conf.e0.addr_gen_mode = 0 (was 1)"));
  CHECK(netlab("test " + v6).rc == 0);
  CHECK_THAT(sh("ip -n a -6 -o addr show dev e0").out, Catch::Contains("fe80::"));
  CHECK(changes(netlab("up " + v6).out).empty());
  // And back: the IPv6 addresses go, link-local included, and IPv4 still works.
  REQUIRE(netlab("up " + v4).rc == 0);
  CHECK(sh("ip -n a -6 -o addr show dev e0").out.empty());
  CHECK_THAT(sh("ip -n a -6 -o addr show dev lo").out, Catch::Contains("::1/128"));
  CHECK(netlab("test " + v4).rc == 0);
  CHECK(changes(netlab("up " + v4).out).empty());
  CHECK(netlab("down " + v4).rc == 0);
  require_nothing_left();
}

TEST_CASE("IPv4-only namespaces: a bridge inside and a link under 1280 bytes", "[cli][ipv6]") {
  // A bridge without ports has carrier at once, so it comes up only after the
  // request that sets its address generation mode; a link under 1280 bytes has
  // no IPv6 at all, and the kernel refuses the mode for it.
  const std::string file = write_temp("v4kinds.yaml", R"(name: v4kinds
nodes:
  r:
    interfaces:
      br1: {kind: bridge, addresses: [10.0.2.1/24]}
      p1: {master: br1}
      s0: {addresses: [10.0.3.1/24], mtu: 1000}
  a: {interfaces: {e0: {addresses: [10.0.2.2/24]}}}
  b: {interfaces: {e0: {addresses: [10.0.3.2/24], mtu: 1000}}}
links: [[r:p1, a:e0], [r:s0, b:e0]]
checks: [{from: a, ping: 10.0.2.1}, {from: b, ping: 10.0.3.1}]
)");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 0);
  CHECK_THAT(sh("ip -n r -6 -o addr show").out, !Catch::Contains("fe80::"));
  CHECK_THAT(sh("ip -n r -d link show dev br1").out, Catch::Contains("addrgenmode none"));
  CHECK(changes(netlab("up " + file).out).empty());
  CHECK(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("a host bridge port made without IPv6 gets it back when the file gives it an IPv6 address",
          "[cli][ipv6]") {
  // Its far end is IPv4-only, so netlab made the port without IPv6 (disable_ipv6):
  // the kernel refused an IPv6 address on it later ("IPv6 is disabled on this device").
  const std::string v4 = write_temp("v6port.yaml", R"(name: v6port
nodes:
  host:
    kind: host
    interfaces:
      br9: {kind: bridge, addresses: [10.9.0.1/24]}
      p1: {master: br9}
  n1: {interfaces: {eth0: {addresses: [10.9.0.2/24]}}}
links: [[n1:eth0, host:p1]]
)");
  REQUIRE(netlab("up " + v4).rc == 0);
  CHECK(sh("cat /proc/sys/net/ipv6/conf/p1/disable_ipv6").out == "1\n");
  std::string text = read_file(v4);
  text.replace(text.find("p1: {master: br9}"), 17, "p1: {master: br9, addresses: [\"fd09::1/64\"]}");
  const std::string v6 = write_temp("v6port2.yaml", text);
  Run up = netlab("up " + v6);
  CHECK(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("+ address host:p1 fd09::1/64"));
  CHECK_THAT(sh("ip -6 -o addr show dev p1").out, Catch::Contains("fd09::1/64"));
  CHECK(netlab("status " + v6).rc == 0);
  CHECK(changes(netlab("up " + v6).out).empty());
  CHECK(netlab("down " + v6).rc == 0);
  require_nothing_left();
}

namespace {

/// A star of `n` namespaces on one host bridge, as the benchmark builds it;
/// `extra` is added to the last namespace.
std::string star(const std::string& name, int n, const std::string& extra = {}) {
  std::string y = "name: " + name + "\nnodes:\n  host:\n    kind: host\n    interfaces:\n"
                  "      br0: {kind: bridge, addresses: [10.30.0.1/16]}\n";
  for (int i = 0; i < n; ++i) y += "      v" + std::to_string(i) + ": {master: br0}\n";
  for (int i = 0; i < n; ++i)
    y += "  n" + std::to_string(i) + ":\n    interfaces:\n      eth0: {addresses: [10.30.1." + std::to_string(i + 1) +
         "/16]}\n    routes: [default via 10.30.0.1]\n" + (i == n - 1 ? extra : "");
  y += "links:\n";
  for (int i = 0; i < n; ++i) y += "  - [n" + std::to_string(i) + ":eth0, host:v" + std::to_string(i) + "]\n";
  y += "checks:\n  - {from: n0, ping: 10.30.1." + std::to_string(n) + "}\n  - {from: n" + std::to_string(n - 1) +
       ", ping: 10.30.0.1}\n";
  return y;
}

} // namespace

TEST_CASE("a star of 40: namespaces made on several threads, then links", "[cli][parallel]") {
  const std::string file = write_temp("star40.yaml", star("star40", 40));
  Run up = netlab("up " + file);
  REQUIRE(up.rc == 0);
  // Per namespace: netns, lo up, veth, master, two ups, address, route; br0: create, up, address.
  CHECK(changes(up.out).size() == 40 * 8 + 3);
  CHECK(netlab("test " + file).rc == 0);
  CHECK(changes(netlab("up " + file).out).empty());
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("a failure after a stretch of namespaces made on several threads is undone completely", "[cli][rollback][parallel]") {
  const std::string file = write_temp("star40-fail.yaml", star("star40f", 40, "    sysctls: {net.ipv4.no_such_key: 1}\n"));
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("failed: ~ sysctl n39: net.ipv4.no_such_key = 1"));
  CHECK_THAT(up.out, Catch::Contains("the kernel is as it was before"));
  require_nothing_left();
}
