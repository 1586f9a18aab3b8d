// Issue #16 §1 lesson 2: a veth end created in the host, moved into its
// namespace and renamed there (topologies/veth-move.yaml), for real, in the sandbox.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace nltest;

namespace {

/// 1-based position of `line` among the change lines of `out` (0: absent).
size_t position(const std::string& out, const std::string& line) {
  auto c = changes(out);
  auto it = std::ranges::find(c, line);
  return it == c.end() ? 0 : static_cast<size_t>(it - c.begin()) + 1;
}

} // namespace

TEST_CASE("lab veth-move: lifecycle", "[cli][lab][lessons][move]") {
  lifecycle("veth-move.yaml");
}

TEST_CASE("veth-move: up prints create and move and rename and the end ends up as c1:eth0", "[cli][lessons][move]") {
  const std::string file = topology("veth-move.yaml");
  Run up = netlab("up " + file);
  REQUIRE(up.rc == 0);
  size_t create = position(up.out, "+ veth host:vhost-c1 <-> host:veth-c1");
  size_t move = position(up.out, "~ move host:veth-c1 -> c1");
  size_t rename = position(up.out, "~ rename c1:veth-c1 -> eth0");
  CHECK(create > 0);
  CHECK(move == create + 1);
  CHECK(rename == move + 1);
  CHECK(rename < position(up.out, "~ c1:eth0 up"));
  // c2's end is made straight in place: no move, no rename.
  CHECK(position(up.out, "+ veth host:vhost-c2 <-> c2:eth0") > 0);
  // Where the kernel has it: in c1 as eth0, with the lab's alias it carried from its creation.
  CHECK_THAT(sh("ip -n c1 -d link show eth0").out, Catch::Contains("alias netlab:veth-move"));
  CHECK(sh("ip link show veth-c1").rc != 0);
  CHECK(sh("ip -n c1 link show veth-c1").rc != 0);
  CHECK_THAT(sh("ip -n c1 -br addr show eth0").out, Catch::Contains("172.29.0.2/24"));
  // c1 has no IPv6: the moved end has no link-local address either.
  CHECK(sh("ip -n c1 -6 addr show dev eth0").out.empty());
  CHECK(netlab("test " + file).rc == 0);
  Run again = netlab("up " + file);
  CHECK(again.rc == 0);
  CHECK(changes(again.out).empty());
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("veth-move: plan --explain shows the literal commands", "[cli][lessons][move]") {
  Run plan = netlab("plan --explain " + topology("veth-move.yaml"));
  REQUIRE(plan.rc == 0);
  CHECK_THAT(plan.out, Catch::Contains("type veth peer name veth-c1"));
  CHECK_THAT(plan.out, Catch::Contains("ip link set veth-c1 netns c1"));
  CHECK_THAT(plan.out, Catch::Contains("ip -n c1 link set veth-c1 name eth0"));
  CHECK_THAT(plan.out, Catch::Contains("ip -n c1 link set eth0 up"));
}

TEST_CASE("veth-move: a failure at the move or the rename puts the kernel back as it was", "[cli][lessons][move]") {
  const std::string file = topology("veth-move.yaml");
  Run plan = netlab("plan " + file);
  REQUIRE(plan.rc == 0);
  const size_t move = position(plan.out, "~ move host:veth-c1 -> c1");
  const size_t rename = position(plan.out, "~ rename c1:veth-c1 -> eth0");
  REQUIRE(move > 0);
  const std::string before = sh("ip -d link show; ip netns list").out;
  for (size_t k : {move, rename, rename + 1}) {
    INFO("NETLAB_FAIL_AT=" << k);
    Run up = sh("NETLAB_FAIL_AT=" + std::to_string(k) + " " + NETLAB_BINARY + " up " + file);
    INFO(up.out);
    CHECK(up.rc == 1);
    CHECK_THAT(up.out, Catch::Contains("the kernel is as it was before"));
    CHECK(sh("ip -d link show; ip netns list").out == before);
  }
  require_nothing_left();
}

TEST_CASE("veth-move: the kernel refuses to move lo and a bridge as the message says", "[cli][lessons][move]") {
  REQUIRE(sh("ip netns add ns1").rc == 0);
  Run lo = sh("ip link set lo netns ns1");
  CHECK(lo.rc != 0);
  CHECK_THAT(lo.out, Catch::Contains("Invalid argument") || Catch::Contains("netns is immutable"));
  REQUIRE(sh("ip link add nlbrmv type bridge").rc == 0);
  Run br = sh("ip link set nlbrmv netns ns1");
  CHECK(br.rc != 0);
  CHECK_THAT(br.out, Catch::Contains("Invalid argument") || Catch::Contains("netns is immutable"));
  REQUIRE(sh("ip link del nlbrmv && ip netns del ns1").rc == 0);
  require_nothing_left();
}

TEST_CASE("veth-move: a file moving a bridge is refused before any change", "[cli][move]") {
  const std::string file =
      write_temp("bridge-move.yaml", "name: bm\nnodes:\n  host: {kind: host}\n  c1:\n"
                                     "    interfaces:\n      br1: {kind: bridge, created_in: host}\n");
  Run up = netlab("up " + file);
  CHECK(up.rc == 2);
  CHECK_THAT(up.out, Catch::Contains("bridge-move.yaml:6:39: interface 'c1:br1' is a bridge"));
  require_nothing_left();
}
