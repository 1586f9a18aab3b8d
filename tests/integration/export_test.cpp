// netlab export against the real kernel, each case in its own sandbox:
// every shipped lab round-trips (up, export, down, up the export: the same
// kernel state, and the original file converged), and the tutorials' networks
// built by hand with ip/iptables/sysctl export to a file that `status --adopt`
// finds converged and `up --adopt` turns into a lab that `down` removes.
#include "cli.hpp"
#include "skip.hpp"

using namespace nltest;

namespace {

/// Every namespace's links (ifindexes, peer indexes and netns ids cut out: they
/// are the kernel's counters; operational state too), addresses, routes and
/// ip_forward, plus the ruleset.
std::string kernel_snapshot() {
  std::string out;
  std::vector<std::string> where{""};
  for (const auto& ns : netns_names()) where.push_back(ns);
  for (const auto& ns : where) {
    std::string n = ns.empty() ? "" : "-n " + ns + " ";
    std::string x = ns.empty() ? "" : "ip netns exec " + ns + " ";
    out += "== " + (ns.empty() ? std::string("host") : ns) + "\n";
    // Configuration, not carrier: a bridge's operstate follows its ports' a moment later.
    out += sh("ip " + n + "-o link | sed -E 's/^[0-9]+: //; s/@[^:]*:/:/; s/ link-netns(id)? [^ ]+//;"
              " s/(NO-CARRIER,|,LOWER_UP)//; s/ state [A-Z]+//' | sort").out;
    out += sh("ip " + n + "-br addr | sed -E 's/@[^ ]*//' | awk '{$2 = \"\"; print}' | sort").out;
    out += sh("ip " + n + "route show table main | sort").out;
    out += sh("ip " + n + "-6 route show table main | sort").out;
    out += sh(x + "cat /proc/sys/net/ipv4/ip_forward").out;
    out += sh(x + "nft list ruleset").out;
  }
  return out;
}

bool kernel_lacks(const Run& r) { return r.rc != 0 && r.out.find("CONFIG_") != std::string::npos; }

std::string lab_name(const std::string& file) {
  for (const auto& line : lines_of(read_file(topology(file))))
    if (line.starts_with("name: ")) return line.substr(6);
  return "";
}

void round_trip(const std::string& file) {
  const std::string name = lab_name(file);
  Run up = netlab("up " + topology(file));
  if (kernel_lacks(up)) return skip("this kernel lacks what " + file + " needs: " + up.out);
  REQUIRE(up.rc == 0);
  const std::string before = kernel_snapshot();
  std::string exported = write_temp(name + ".yaml", "");
  Run ex = netlab("export --name " + name + " -o " + exported);
  REQUIRE(ex.rc == 0);
  const std::string text = read_file(exported);
  INFO(text);
  CHECK(text.find("# not expressed") == std::string::npos);
  REQUIRE(netlab("validate " + exported).rc == 0);
  REQUIRE(netlab("down " + topology(file)).rc == 0);
  require_nothing_left();
  REQUIRE(netlab("up " + exported).rc == 0);
  CHECK(kernel_snapshot() == before);
  CHECK(netlab("status " + topology(file)).rc == 0);
  Run test = netlab("test " + topology(file)); // real traffic: the file's checks
  CHECK(test.rc == 0);
  REQUIRE(netlab("down " + exported).rc == 0);
  require_nothing_left();
}

bool have_iptables() { return sh("command -v iptables").rc == 0; }

/// Runs a script of ip/iptables/sysctl commands, one a line, each of which must succeed.
void by_hand(const std::string& script) {
  for (const auto& line : lines_of(script)) {
    if (line.empty()) continue;
    Run r = sh(line);
    INFO("$ " << line << "\n" << r.out);
    REQUIRE(r.rc == 0);
  }
}

bool pings(const std::string& ns, const std::string& addr) {
  return sh("ip netns exec " + ns + " ping -c1 -W2 " + addr).rc == 0;
}

} // namespace

TEST_CASE("export round trip: loopback", "[export]") { round_trip("loopback.yaml"); }
TEST_CASE("export round trip: veth-pair", "[export]") { round_trip("veth-pair.yaml"); }
TEST_CASE("export round trip: bridge-two-ns", "[export]") { round_trip("bridge-two-ns.yaml"); }
TEST_CASE("export round trip: bridge-gateway", "[export]") { round_trip("bridge-gateway.yaml"); }
TEST_CASE("export round trip: bridge-nat", "[export]") { round_trip("bridge-nat.yaml"); }
TEST_CASE("export round trip: router", "[export]") { round_trip("router.yaml"); }
TEST_CASE("export round trip: veth-host-routes", "[export]") { round_trip("veth-host-routes.yaml"); }
TEST_CASE("export round trip: docker-style", "[export]") { round_trip("docker-style.yaml"); }
TEST_CASE("export round trip: device-kinds", "[export]") { round_trip("device-kinds.yaml"); }
TEST_CASE("export round trip: impair", "[export]") { round_trip("impair.yaml"); }
TEST_CASE("export round trip: bridge-vlans", "[export]") { round_trip("bridge-vlans.yaml"); }

// The first tutorial's network, typed by hand.
const char* const k_tutorial_veth = R"(ip netns add ns1
ip netns add ns2
ip link add veth1 netns ns1 type veth peer name veth2 netns ns2
ip -n ns1 addr add 10.0.1.1/24 dev veth1
ip -n ns2 addr add 10.0.1.2/24 dev veth2
ip -n ns1 link set veth1 up
ip -n ns2 link set veth2 up
ip -n ns1 link set lo up
ip -n ns2 link set lo up
)";

TEST_CASE("export of a hand-made veth pair: status --adopt converged, up --adopt makes it a lab", "[export]") {
  by_hand(k_tutorial_veth);
  REQUIRE(pings("ns1", "10.0.1.2"));
  std::string file = write_temp("veth.yaml", "");
  REQUIRE(netlab("export --name handmade -o " + file).rc == 0);
  INFO(read_file(file));
  CHECK(read_file(file).find("# not expressed") == std::string::npos);
  CHECK(netlab("status --adopt " + file).rc == 0);
  Run json = netlab("export --json --name handmade");
  REQUIRE(json.rc == 0);
  const std::string doc = write_temp("export.json", json.out);
  Run check = sh("python3 " + std::string(NETLAB_SOURCE_DIR) + "/tests/schema/check_json.py " + NETLAB_SOURCE_DIR +
                 " export " + doc);
  INFO(check.out);
  CHECK(check.rc == 0);
  CHECK_THAT(json.out, Catch::Contains("\"topology\": \"# written by netlab export"));
  Run plain = netlab("up " + file); // without --adopt: refused, nothing changed
  CHECK(plain.rc == 1);
  CHECK_THAT(plain.out, Catch::Contains("not created by netlab"));
  Run adopt = netlab("up --adopt " + file);
  REQUIRE(adopt.rc == 0);
  CHECK_THAT(adopt.out, Catch::Contains("~ ns1:veth1 alias netlab:handmade (adopted: up --adopt)"));
  CHECK(pings("ns1", "10.0.1.2"));
  CHECK(netlab("status " + file).rc == 0);
  CHECK(netlab("up " + file).out.find("no changes") != std::string::npos);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

// The second tutorial's network, typed by hand: a host bridge as gateway, an
// uplink to "lan", ip_forward and a MASQUERADE rule (iptables-nft: table ip nat).
const char* const k_tutorial_bridge = R"(ip netns add ns1
ip netns add lan
ip link add br0 type bridge
ip addr add 192.168.10.1/24 dev br0
ip link set br0 up
ip link add vethA type veth peer name vethB netns ns1
ip link set vethA master br0
ip link set vethA up
ip -n ns1 addr add 192.168.10.2/24 dev vethB
ip -n ns1 link set vethB up
ip -n ns1 link set lo up
ip -n ns1 route add default via 192.168.10.1
ip link add uplink type veth peer name eth0 netns lan
ip addr add 203.0.113.1/24 dev uplink
ip link set uplink up
ip -n lan addr add 203.0.113.2/24 dev eth0
ip -n lan link set eth0 up
ip -n lan link set lo up
sysctl -qw net.ipv4.ip_forward=1
iptables -t nat -A POSTROUTING -s 192.168.10.0/24 -o uplink -j MASQUERADE
)";

TEST_CASE("export of a hand-made bridge with MASQUERADE: the rule becomes nat:, up --adopt takes the rest", "[export]") {
  if (!have_iptables()) return skip("iptables is not installed (scripts/install-deps.sh installs it)");
  by_hand(k_tutorial_bridge);
  REQUIRE(pings("ns1", "203.0.113.2"));
  std::string file = write_temp("bridge.yaml", "");
  REQUIRE(netlab("export --name handmade -o " + file).rc == 0);
  const std::string text = read_file(file);
  INFO(text);
  CHECK(text.find("# not expressed") == std::string::npos);
  CHECK_THAT(text, Catch::Contains("masquerade: {source: 192.168.10.0/24, out: uplink}"));
  CHECK_THAT(text, Catch::Contains("forwarding: true"));
  CHECK_THAT(text, Catch::Contains("routes: [\"default via 192.168.10.1\"]"));
  // Everything but the NAT table is there already: hand-made rules are never adopted.
  Run status = netlab("status --adopt " + file);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("1 of"));
  CHECK_THAT(status.out, Catch::Contains("host/nat"));
  // lan has no route back: only a translated source gets an answer. Take the hand-made rule away first.
  REQUIRE(sh("iptables -t nat -F POSTROUTING").rc == 0);
  CHECK_FALSE(pings("ns1", "203.0.113.2"));
  Run adopt = netlab("up --adopt " + file);
  REQUIRE(adopt.rc == 0);
  CHECK_THAT(adopt.out, Catch::Contains("+ nat host: table netlab-handmade"));
  CHECK(pings("ns1", "203.0.113.2"));
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
  CHECK(sh("ip -o link show br0").rc != 0);
  CHECK(sh("ip -o link show uplink").rc != 0);
}
