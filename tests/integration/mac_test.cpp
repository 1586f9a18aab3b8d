// Stable MACs in the real kernel: a veth made again by `up` has the MAC its
// neighbours remember, and a bridge keeps its MAC when a port goes.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace nltest;

namespace {

/// The MAC of `link` in namespace `ns` ("" = the sandbox's own, the lab's host).
/// From `ip link`, not /sys: the sandbox's /sys shows the machine's namespace.
std::string mac_of(const std::string& ns, const std::string& link) {
  Run r = sh("ip " + (ns.empty() ? std::string() : "-n " + ns + " ") + "-o link show " + link);
  auto at = r.out.find("link/ether ");
  return at == std::string::npos ? std::string() : r.out.substr(at + 11, 17);
}

} // namespace

TEST_CASE("a veth deleted by hand and made again by up answers at once: its MAC is the one neighbours remember",
          "[cli][mac]") {
  const std::string file = topology("bridge-gateway.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  const std::string bridge = mac_of("", "mybridge");
  const std::string vethB = mac_of("ns1", "vethB");
  CHECK(bridge.starts_with("02:"));
  CHECK(vethB.starts_with("02:"));
  // ns2 and the host learn ns1's MAC.
  REQUIRE(sh("ip netns exec ns2 ping -c 1 -W 1 192.168.10.2").rc == 0);
  REQUIRE(sh("ping -c 1 -W 1 192.168.10.2").rc == 0);
  CHECK_THAT(sh("ip -n ns2 neigh show 192.168.10.2").out, Catch::Contains(vethB));

  // Deleting one end deletes the pair: the bridge loses a port, and keeps its MAC.
  REQUIRE(sh("ip -n ns1 link del vethB").rc == 0);
  CHECK(mac_of("", "mybridge") == bridge);
  REQUIRE(sh("ip link del vethC").rc == 0);
  CHECK(mac_of("", "mybridge") == bridge);

  Run repair = netlab("up " + file);
  REQUIRE(repair.rc == 0);
  CHECK(mac_of("ns1", "vethB") == vethB);
  CHECK(mac_of("", "mybridge") == bridge);
  // The neighbours' entries (still REACHABLE for seconds) point at the right MAC: traffic flows at once.
  auto start = std::chrono::steady_clock::now();
  CHECK(sh("ip netns exec ns2 ping -c 1 -W 1 192.168.10.2").rc == 0);
  CHECK(sh("ping -c 1 -W 1 192.168.10.2").rc == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(netlab("status " + file).rc == 0);

  // --explain shows the address in the create command (`link add vethB address ...`,
  // or `peer name vethB address ...` when the request names the bridge's end first).
  REQUIRE(sh("ip -n ns1 link del vethB").rc == 0);
  Run plan = netlab("plan --explain " + file);
  CHECK_THAT(plan.out, Catch::Contains("link add vethA ") || Catch::Contains("link add vethB "));
  CHECK_THAT(plan.out, Catch::Contains(" vethB address " + vethB));

  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("mac in the file overrides the derived one, and is compared", "[cli][mac]") {
  const std::string file = write_temp(
      "mac.yaml",
      "name: mac-lab\nnodes:\n  a:\n    interfaces:\n      e0: {addresses: [10.9.0.1/24], mac: \"02:11:22:33:44:55\"}\n"
      "  b:\n    interfaces:\n      br0: {kind: bridge, mac: \"02:aa:bb:cc:dd:ee\", addresses: [10.9.0.2/24]}\n"
      "      e1: {master: br0}\nlinks: [[a:e0, b:e1]]\n");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(mac_of("a", "e0") == "02:11:22:33:44:55");
  CHECK(mac_of("b", "br0") == "02:aa:bb:cc:dd:ee");
  CHECK(sh("ip netns exec a ping -c 1 -W 1 10.9.0.2").rc == 0);
  REQUIRE(sh("ip -n b link set br0 address 02:aa:bb:cc:dd:ef").rc == 0);
  Run status = netlab("status " + file);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("b/br0/mac"));
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(mac_of("b", "br0") == "02:aa:bb:cc:dd:ee");
  REQUIRE(netlab("down " + file).rc == 0);
  fs::remove(file);
  require_nothing_left();
}
