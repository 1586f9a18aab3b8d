// Exercises end to end: start a shipped lab broken, check fails with the first
// hint, repair by hand, check passes; status in exercise mode; up keeps the
// breakage; test says which object on a failed check's path differs.
#include "cli.hpp"
#include "skip.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using namespace nltest;

TEST_CASE("exercise loopback: start then check with hints then fix by hand", "[cli][exercise]") {
  const std::string file = topology("loopback.yaml");
  Run start = netlab("exercise start " + file);
  REQUIRE(start.rc == 0);
  CHECK_THAT(start.out, Catch::Contains("~ ns-b:lo down") || Catch::Contains("netns ns-b"));
  CHECK_THAT(start.out, Catch::Contains("exercise 1 'forgot-lo' of lab 'loopback'"));
  CHECK(sh("ip netns exec ns-b ip -o link show lo").out.find("state UNKNOWN") == std::string::npos);

  // status: the lo that is down is the exercise's start point, not drift.
  Run status = netlab("status " + file);
  CHECK(status.rc == 0);
  CHECK_THAT(status.out, Catch::Contains("ns-b/lo/state: want up, have down  (exercise start point)"));
  CHECK_THAT(status.out, Catch::Contains("exercise 1 'forgot-lo' runs: 1 object(s) as it starts them, nothing else differs"));

  // up keeps it broken (a note says so), and nothing changes.
  Run up = netlab("up " + file);
  CHECK(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("runs exercise 1 'forgot-lo'") && Catch::Contains("no changes"));
  // A watcher would repair it at once: refused.
  Run watch = netlab("watch " + file);
  CHECK(watch.rc == 1);
  CHECK_THAT(watch.out, Catch::Contains("which a watcher would repair"));

  Run check1 = netlab("exercise check " + file);
  CHECK(check1.rc == 3);
  CHECK_THAT(check1.out, Catch::Contains("FAIL ns-b ping 127.0.0.1"));
  CHECK_THAT(check1.out, Catch::Contains("hint 1 of 3: Which interface holds 127.0.0.1?"));
  Run check2 = netlab("exercise check --explain " + file);
  CHECK(check2.rc == 3);
  CHECK_THAT(check2.out, Catch::Contains("hint 2 of 3:"));
  CHECK_THAT(check2.out, Catch::Contains("still different from the solution: ns-b/lo is down"));

  REQUIRE(sh("ip netns exec ns-b ip link set lo up").rc == 0);
  Run solved = netlab("--json exercise check " + file);
  CHECK(solved.rc == 0);
  auto doc = nlohmann::json::parse(solved.out.substr(solved.out.find('{')));
  CHECK(doc["solved"] == true);
  CHECK(doc["attempts"] == 2);
  CHECK(doc["exercise"]["name"] == "forgot-lo");
  CHECK(doc["passed"] == 2);

  status = netlab("status " + file);
  CHECK(status.rc == 0);
  CHECK_THAT(status.out, Catch::Contains("every object matches the solution"));

  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
  CHECK(netlab("exercise check " + file).rc == 1); // no exercise runs any more
}

TEST_CASE("exercise router: a removed default route with JUnit for graders and up --repair", "[cli][exercise]") {
  const std::string file = topology("router.yaml");
  REQUIRE(netlab("exercise start " + file + " 1").rc == 0);
  CHECK(sh("ip -n h2 route show default").out.empty());
  const std::string junit = write_temp("junit.xml", "");
  Run check = netlab("exercise check --junit " + junit + " " + file);
  CHECK(check.rc == 3);
  CHECK_THAT(read_file(junit), Catch::Contains("<failure"));
  CHECK_THAT(check.out, Catch::Contains("hint 1 of 3"));
  // netlab test explains the failure with the object that differs.
  Run test = netlab("test " + file);
  CHECK(test.rc == 3);
  CHECK_THAT(test.out, Catch::Contains("FAIL h2 ping 10.0.1.2: h2 has no default route"));
  // up --repair restores the solution and ends exercise mode.
  Run repair = netlab("up --repair " + file);
  CHECK(repair.rc == 0);
  CHECK_THAT(repair.out, Catch::Contains("+ route h2: default via 10.0.2.1"));
  CHECK(netlab("test " + file).rc == 0);
  CHECK(netlab("exercise check " + file).rc == 1);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("test explains a failed check: a bridge port's veth set down by hand", "[cli][exercise]") {
  const std::string file = topology("bridge-gateway.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  REQUIRE(sh("ip -n ns2 link set vethD down").rc == 0);
  Run test = netlab("test " + file);
  CHECK(test.rc == 3);
  CHECK_THAT(test.out, Catch::Contains("FAIL ns1 ping 192.168.10.3: ns2/vethD is down"));
  CHECK_THAT(test.out, Catch::Contains("FAIL ns2 ping 192.168.10.1: ns2/vethD is down"));
  Run json = netlab("--json test " + file);
  CHECK_THAT(json.out, Catch::Contains("\"why\": \"ns2/vethD is down\""));
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("exercise bridge-nat: masquerade removed and fixed by hand with nft", "[cli][exercise]") {
  const std::string file = topology("bridge-nat.yaml");
  Run start = netlab("exercise start " + file + " 1");
  if (start.rc != 0 && start.out.find("nftables") != std::string::npos) skip("no nftables NAT in this kernel");
  REQUIRE(start.rc == 0);
  CHECK(netlab("exercise check " + file).rc == 3);
  Run status = netlab("status " + file);
  CHECK(status.rc == 0);
  CHECK_THAT(status.out, Catch::Contains("host/nat") && Catch::Contains("(exercise start point)"));
  REQUIRE(sh("nft add rule inet netlab-bridge-nat postrouting ip saddr 192.168.10.0/24 oifname uplink masquerade").rc ==
          0);
  CHECK(netlab("exercise check " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

namespace {

/// `args`' stdout is one document valid under VERB's schema (tests/schema/check_json.py); returns it parsed.
nlohmann::json valid_json(const std::string& verb, const std::string& args, int rc) {
  Run r = sh("{ " + std::string(NETLAB_BINARY) + " --json " + args + " 2>/dev/null; }");
  UNSCOPED_INFO("$ netlab --json " << args << "  -> " << r.rc << "\n" << r.out);
  CHECK(r.rc == rc);
  const std::string file = write_temp("out-" + verb + ".json", r.out);
  Run check = sh("python3 " + std::string(NETLAB_SOURCE_DIR) + "/tests/schema/check_json.py " + NETLAB_SOURCE_DIR +
                 " " + verb + " " + file);
  INFO(check.out);
  CHECK(check.rc == 0);
  return nlohmann::json::parse(r.out, nullptr, false);
}

} // namespace

TEST_CASE("exercise --json documents for graders are valid under their schemas", "[cli][exercise][json]") {
  REQUIRE(sh("python3 -c 'import jsonschema'").rc == 0);
  const std::string file = topology("router.yaml");
  auto list = valid_json("exercise", "exercise list " + file, 0);
  CHECK(list["exercises"].size() == 2);
  auto start = valid_json("exercise", "exercise start " + file + " 2", 0);
  CHECK(start["exercise"]["name"] == "router-off");
  auto status = valid_json("status", "status " + file, 0);
  CHECK(status["exercise"]["start_point"] == nlohmann::json::array({"router/sysctls/net.ipv4.ip_forward"}));
  auto check = valid_json("exercise", "exercise check --explain " + file, 3);
  CHECK(check["solved"] == false);
  CHECK(check["attempts"] == 1);
  CHECK_THAT(check["hint"].get<std::string>(), Catch::Contains("hint 1 of 3"));
  CHECK(check["differences"] ==
        nlohmann::json::array({"router does not forward IPv4 (net.ipv4.ip_forward is 0)"}));
  auto test = valid_json("test", "test " + file, 3);
  CHECK(test["checks"][0]["why"] == "router does not forward IPv4 (net.ipv4.ip_forward is 0)");
  REQUIRE(sh("ip netns exec router sysctl -qw net.ipv4.ip_forward=1").rc == 0);
  check = valid_json("exercise", "exercise check " + file, 0);
  CHECK(check["solved"] == true);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("a bridge lab on a Docker-like host: warned by up and test and explained", "[cli][exercise]") {
  if (sh("cat /proc/sys/net/bridge/bridge-nf-call-iptables").out.find('1') == std::string::npos)
    skip("br_netfilter is not loaded (or bridge-nf-call-iptables is 0)");
  // What Docker leaves on a host (here in the sandbox's own namespace): a forward chain with policy drop.
  REQUIRE(sh("nft add table ip filter && nft add chain ip filter FORWARD "
             "'{ type filter hook forward priority 0; policy drop; }'")
              .rc == 0);
  const std::string file = topology("bridge-gateway.yaml");
  Run up = netlab("up " + file);
  REQUIRE(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("warning: node 'host': br_netfilter is loaded"));
  Run test = netlab("test " + file);
  CHECK(test.rc == 3);
  CHECK_THAT(test.out, Catch::Contains("warning: node 'host': br_netfilter is loaded"));
  CHECK_THAT(test.out, Catch::Contains("FAIL ns1 ping 192.168.10.3: the lab matches the file, but br_netfilter sends "
                                       "bridged frames through the host's chain 'ip filter FORWARD'"));
  CHECK_THAT(test.out, Catch::Contains("PASS ns2 ping 192.168.10.1"));
  REQUIRE(netlab("down " + file).rc == 0);
  REQUIRE(sh("nft delete table ip filter").rc == 0);
  require_nothing_left();
}

TEST_CASE("exercise start refuses a lab a watcher keeps", "[cli][exercise]") {
  const std::string file = topology("loopback.yaml");
  Run watcher = sh(std::string(NETLAB_BINARY) + " watch -q " + file + " >/dev/null 2>&1 & echo $!");
  const std::string pid = watcher.out.substr(0, watcher.out.find('\n'));
  for (int i = 0; i < 100 && netlab("status " + file).rc != 0; ++i) usleep(50'000);
  Run start = netlab("exercise start " + file);
  CHECK(start.rc == 1);
  CHECK_THAT(start.out, Catch::Contains("which would repair the exercise at once"));
  REQUIRE(sh("kill -INT " + pid + " && while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done").rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("exercises per instance: a class on one server each with its own attempts", "[cli][exercise]") {
  const std::string file = topology("loopback.yaml");
  REQUIRE(netlab("exercise start -i alice " + file).rc == 0);
  REQUIRE(netlab("exercise start -i bob " + file).rc == 0);
  REQUIRE(sh("ip netns exec alice-ns-b ip link set lo up").rc == 0);
  CHECK(netlab("exercise check -i alice " + file).rc == 0);
  Run bob = netlab("exercise check -i bob " + file);
  CHECK(bob.rc == 3);
  CHECK_THAT(bob.out, Catch::Contains("attempt 1") && Catch::Contains("hint 1 of 3"));
  Run status = netlab("status -i bob " + file);
  CHECK(status.rc == 0);
  CHECK_THAT(status.out, Catch::Contains("bob-ns-b/lo/state: want up, have down  (exercise start point)"));
  REQUIRE(netlab("down -i alice " + file).rc == 0);
  REQUIRE(netlab("down -i bob " + file).rc == 0);
  require_nothing_left();
}
