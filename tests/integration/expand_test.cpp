// A compactly written lab (a range, a pool, a template, ${VAR}) against the real
// kernel, inside this process's sandbox: up, ping between two expanded nodes,
// the expanded file applies as a no-op, down leaves nothing.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace nltest;

namespace {

const std::string k_ranged = R"(name: ranged
pools: {lan: 10.77.0.0/24}
templates:
  leaf: {routes: [default via 10.77.0.1]}
nodes:
  host:
    kind: host
    interfaces:
      ${NETLAB_T_BRIDGE:-rbr0}: {kind: bridge, addresses: [10.77.0.1/24]}
      rv{1..5}: {master: "${NETLAB_T_BRIDGE:-rbr0}"}
  rns{1..5}:
    template: leaf
    interfaces: {eth0: {addresses: [{pool: lan}]}}
links:
  - ["rns{1..5}:eth0", "host:rv{i}"]
checks:
  - {from: "rns{1..5}", ping: 10.77.0.1}
)";

} // namespace

TEST_CASE("a ranged lab on a bridge with a pool: up, ping between expanded nodes, down", "[cli][expand]") {
  const std::set<std::string> kept = netns_names();
  const std::string file = write_temp("ranged.yaml", k_ranged);
  Run up = netlab("up " + file);
  INFO(up.out);
  REQUIRE(up.rc == 0);
  CHECK(netns_names().size() == kept.size() + 5);
  // The pool handed out .2 .. .6 in file order (.1 is the bridge's).
  Run addr = sh("ip -n rns4 -o -4 addr show dev eth0");
  CHECK_THAT(addr.out, Catch::Contains("10.77.0.5/24"));
  Run ping = netlab("exec rns1 -- ping -c 1 -W 2 10.77.0.6");
  INFO(ping.out);
  CHECK(ping.rc == 0);
  Run test = netlab("test " + file);
  CHECK(test.rc == 0);
  CHECK_THAT(test.out, Catch::Contains(" 0 failed"));

  // The long hand `validate --expand` prints is the same lab: applying it changes nothing.
  Run expanded = netlab("validate --expand " + file);
  REQUIRE(expanded.rc == 0);
  const std::string long_hand = write_temp("ranged-long.yaml", expanded.out);
  Run again = netlab("up " + long_hand);
  CHECK(again.rc == 0);
  CHECK(changes(again.out).empty());

  Run down = netlab("down " + file);
  CHECK(down.rc == 0);
  require_nothing_left(kept);
}
