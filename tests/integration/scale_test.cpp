// Past one bridge: bench/tree.yaml at 2,000 namespaces (two leaf bridges of 1,000
// ports under a core bridge) against the real kernel, inside this process's
// sandbox: up, traffic across the leaves, converged, down leaves nothing. The
// benchmark (bench/README.md) times the same file at 10,000.
#include "cli.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace nltest;

TEST_CASE("bench/tree.yaml at 2000 namespaces over two leaf bridges: up, ping across leaves, status, down",
          "[cli][tree]") {
  const std::set<std::string> kept = netns_names();
  const std::string file = std::string(NETLAB_SOURCE_DIR) + "/bench/tree.yaml";
  const std::string env = "LEAVES=2 PER_LEAF=1000 ";
  Run up = sh(env + NETLAB_BINARY " -q up " + file);
  INFO(up.out);
  REQUIRE(up.rc == 0);
  CHECK(netns_names().size() == kept.size() + 2000);
  // n0 is on leaf0, n1999 on leaf1 (10.0.7.209): through up0/dn0, core, dn1/up1.
  Run across = sh("ip netns exec n0 ping -c 1 -W 5 10.0.7.209");
  INFO(across.out);
  CHECK(across.rc == 0);
  Run back = sh("ip netns exec n1999 ping -c 1 -W 5 10.0.0.3");
  CHECK(back.rc == 0);
  Run tcp = sh("ip netns exec n1000 bash -c 'exec 3<>/dev/tcp/10.0.0.2/1' 2>&1");
  // Connection refused means the SYN reached n0 and its RST came back across both leaves.
  CHECK_THAT(tcp.out, Catch::Contains("refused"));
  Run status = sh(env + NETLAB_BINARY " status " + file);
  INFO(status.out);
  CHECK(status.rc == 0);
  Run down = sh(env + NETLAB_BINARY " -q down " + file);
  CHECK(down.rc == 0);
  require_nothing_left(kept);
}
