// Host objects labs share on purpose (`shared: true`): two labs join one host
// bridge, traffic crosses it between them, each lab's down leaves it (and the
// other lab) working; a lab that would take a bridge another lab owns is refused
// before any change.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>

using namespace nltest;

namespace {

/// Lab `name`: namespace `ns` (address `addr`) joins the shared host bridge `uplink` through `port`.
std::string shared_lab(const std::string& name, const std::string& ns, const std::string& port,
                       const std::string& addr, const std::string& uplink_extra = "") {
  return write_temp(name + ".yaml", "name: " + name +
                                        "\nnodes:\n"
                                        "  host:\n"
                                        "    kind: host\n"
                                        "    interfaces:\n"
                                        "      uplink: {kind: bridge, shared: true" +
                                        uplink_extra + "}\n      " + port +
                                        ": {master: uplink}\n"
                                        "  " +
                                        ns + ":\n    interfaces:\n      eth0: {addresses: [" + addr +
                                        "]}\nlinks:\n  - [host:" + port + ", " + ns + ":eth0]\n");
}

/// What `up` would change, without what moves by itself (carrier, DAD, counters): every
/// host link with its master and alias, the IPv4 addresses, the namespaces.
std::string kernel_snapshot() {
  return sh("ip -d -o link show | awk '{m = \"\"; a = \"\"; for (i = 1; i <= NF; i++) { if ($i == \"master\") m = $(i + 1); "
            "if ($i == \"alias\") a = $(i + 1) } print $2, m, a}'; ip -4 -o addr show | awk '{print $2, $4}'; ls /run/netns")
      .out;
}

bool pings(const std::string& ns, const std::string& addr) {
  return sh("ip netns exec " + ns + " ping -c 1 -W 2 " + addr).rc == 0;
}

} // namespace

TEST_CASE("shared: two labs on one shared bridge talk and each down leaves the bridge and the other lab", "[shared][ownership]") {
  const std::string a = shared_lab("share-a", "a1", "sha", "10.78.0.1/24");
  const std::string b = shared_lab("share-b", "b1", "shb", "10.78.0.2/24", ", addresses: [10.78.0.254/24]");
  Run up_a = netlab("up " + a);
  REQUIRE(up_a.rc == 0);
  CHECK_THAT(up_a.out, Catch::Contains("+ bridge host:uplink"));
  Run up_b = netlab("up " + b);
  REQUIRE(up_b.rc == 0);
  CHECK_THAT(up_b.out, !Catch::Contains("+ bridge host:uplink")); // joined, not made again
  CHECK_THAT(sh("ip -d link show uplink").out, Catch::Contains("alias netlab-shared"));

  // Real traffic across the shared bridge: lab A's namespace to lab B's, and to B's address on the bridge.
  CHECK(pings("a1", "10.78.0.2"));
  CHECK(pings("a1", "10.78.0.254"));
  CHECK(netlab("status " + a).rc == 0);
  CHECK(netlab("status " + b).rc == 0);
  Run list = netlab("list");
  CHECK_THAT(list.out, Catch::Contains("share-a") && Catch::Contains("share-b") &&
                           Catch::Contains("shared host objects") && Catch::Contains("bridge uplink"));

  // A goes: the bridge, B's address on it and B's port stay, and B still works.
  Run down_a = netlab("down " + a);
  REQUIRE(down_a.rc == 0);
  CHECK_THAT(down_a.out, !Catch::Contains("host:uplink"));
  CHECK(sh("ip link show uplink").rc == 0);
  CHECK_THAT(sh("ip link show shb").out, Catch::Contains("master uplink"));
  CHECK(pings("b1", "10.78.0.254"));
  CHECK(netlab("status " + b).rc == 0);
  Run again = netlab("up " + b);
  CHECK(again.rc == 0);
  CHECK(changes(again.out).empty());

  // B goes: the bridge stays with its address (the user removes it); list still names it.
  REQUIRE(netlab("down " + b).rc == 0);
  CHECK_THAT(sh("ip -d addr show uplink").out, Catch::Contains("alias netlab-shared") && Catch::Contains("10.78.0.254/24"));
  CHECK(sh("ip link show shb").rc != 0);
  Run after = netlab("list");
  CHECK_THAT(after.out, Catch::Contains("no labs are up") && Catch::Contains("bridge uplink"));
  Run json = netlab("list --json");
  REQUIRE(json.rc == 0);
  auto doc = nlohmann::json::parse(json.out);
  CHECK(doc["labs"].empty());
  CHECK(doc["shared"] == nlohmann::json::parse(R"([{"kind": "bridge", "name": "uplink"}])"));
  REQUIRE(sh("ip link del uplink").rc == 0);
  require_nothing_left();
}

TEST_CASE("shared: a bridge another lab owns is refused before any change whether declared shared or not", "[shared][ownership]") {
  // Lab owner makes `uplink` its own (no shared).
  const std::string owner = write_temp("owner.yaml", "name: owner\nnodes:\n  host:\n    kind: host\n    interfaces:\n"
                                                     "      uplink: {kind: bridge}\n");
  REQUIRE(netlab("up " + owner).rc == 0);
  const std::string before = kernel_snapshot();
  // Declared shared: refused, the owner named.
  Run shared = netlab("up " + shared_lab("taker", "t1", "sht", "10.78.0.3/24"));
  CHECK(shared.rc == 1);
  CHECK_THAT(shared.out, Catch::Contains("shared bridge host:uplink already exists and is owned by lab 'owner' "
                                         "(netlab down -l owner); lab 'taker' shares only what netlab made shared"));
  CHECK(changes(shared.out).empty());
  CHECK(kernel_snapshot() == before);
  // Declared plain: the existing conflict, both labs named.
  const std::string plain = write_temp("plain.yaml", "name: plain\nnodes:\n  host:\n    kind: host\n    interfaces:\n"
                                                     "      uplink: {kind: bridge}\n");
  Run taken = netlab("up " + plain);
  CHECK(taken.rc == 1);
  CHECK_THAT(taken.out, Catch::Contains("link host:uplink already exists and is owned by lab 'owner' "
                                        "(netlab down -l owner); lab 'plain' will not touch it"));
  CHECK(kernel_snapshot() == before);
  REQUIRE(netlab("down " + owner).rc == 0);

  // A shared bridge declared plain by a later lab: refused too, with the way to join it.
  const std::string sharer = shared_lab("sharer", "s1", "shs", "10.78.0.4/24");
  REQUIRE(netlab("up " + sharer).rc == 0);
  const std::string with_sharer = kernel_snapshot();
  Run plain_on_shared = netlab("up " + plain);
  CHECK(plain_on_shared.rc == 1);
  CHECK_THAT(plain_on_shared.out, Catch::Contains("declare it 'shared: true' in the file to join it"));
  CHECK(kernel_snapshot() == with_sharer);
  // An instance has no host namespace of the machine's to share in: refused before any change.
  Run inst = netlab("up " + sharer + " -i x1");
  CHECK(inst.rc != 0);
  CHECK_THAT(inst.out, Catch::Contains("is shared: it lives in the machine's host namespace"));
  CHECK(kernel_snapshot() == with_sharer);
  REQUIRE(netlab("down " + sharer).rc == 0);
  REQUIRE(sh("ip link del uplink").rc == 0);
  require_nothing_left();
}
