// The labs of issue #16 §1 (the missing lessons), each brought up, tested and
// taken down in the sandbox, and what each lesson is about seen in the kernel.
#include "cli.hpp"
#include "skip.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace nltest;

TEST_CASE("lab snat-uplink: lifecycle", "[cli][lab][lessons]") { lifecycle("snat-uplink.yaml"); }
TEST_CASE("lab veth-default-dev: lifecycle", "[cli][lab][lessons]") { lifecycle("veth-default-dev.yaml"); }

TEST_CASE("snat-uplink: seen_from fails when the translation is not the one the check names", "[cli][lessons]") {
  const std::string file = topology("snat-uplink.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  Run test = netlab("test " + file);
  CHECK(test.rc == 0);
  CHECK_THAT(test.out, Catch::Contains("PASS office tcp 203.0.113.254:80 seen from 203.0.113.1"));
  CHECK_THAT(test.out, Catch::Contains("PASS servers tcp 203.0.113.254:80 seen from 203.0.113.10"));
  // Without its NAT table gw forwards untranslated: isp sees the inside address and
  // cannot answer it (no route inside), so the connection fails before any seen_from.
  REQUIRE(sh("ip netns exec gw nft delete table inet netlab-snat-uplink").rc == 0);
  Run broken = netlab("test " + file);
  CHECK(broken.rc == 3);
  CHECK_THAT(broken.out, Catch::Contains("FAIL servers tcp 203.0.113.254:80 seen from 203.0.113.10"));
  // isp given a route back: the connection gets through, from the wrong source.
  REQUIRE(sh("ip -n isp route add 10.0.0.0/16 via 203.0.113.1").rc == 0);
  Run seen = netlab("test " + file);
  CHECK(seen.rc == 3);
  CHECK_THAT(seen.out, Catch::Contains("the listener saw the connection from 10.0.2.2, not 203.0.113.10"));
  REQUIRE(sh("ip -n isp route del 10.0.0.0/16").rc == 0);
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("veth-default-dev: ns1 ARPs for 6.6.6.6 itself and vethY has no address", "[cli][lessons]") {
  const std::string file = topology("veth-default-dev.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 0);
  CHECK(sh("ip -4 -o addr show dev vethY").out.empty());
  // default dev (no gateway): the neighbour entry is 6.6.6.6 itself, answered by the host on vethY.
  Run neigh = sh("ip -n ns1 neigh show 6.6.6.6 dev vethZ");
  const std::string mac = sh("ip -br link show dev vethY | awk '{printf \"%s\", $3}'").out;
  REQUIRE(mac.size() == 17);
  CHECK_THAT(neigh.out, Catch::Contains("lladdr " + mac));
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

namespace {

/// The "container": `unshare --net sleep` named by a bind mount on /run/netns/ctr,
/// as the lab's comment says to make it. The sleep may end: the mount keeps the namespace.
void make_container_netns() {
  REQUIRE(sh("unshare --net sleep 300 </dev/null >/dev/null 2>&1 & pid=$!; "
             "until [ \"$(readlink /proc/$pid/ns/net)\" != \"$(readlink /proc/$$/ns/net)\" ]; do sleep 0.01; done; "
             "touch /run/netns/ctr && mount --bind /proc/$pid/ns/net /run/netns/ctr")
              .rc == 0);
}

/// `ip netns del ctr` unmounts and removes the name; the sleep, if still there, goes too.
void remove_container_netns() {
  sh("kill $(ip netns pids ctr) 2>/dev/null");
  REQUIRE(sh("ip netns del ctr").rc == 0);
}

} // namespace

TEST_CASE("lab container-netns: lifecycle with an unshared process namespace bind-mounted first",
          "[cli][lab][lessons]") {
  make_container_netns();
  CHECK(sh("ip netns list").out.find("ctr") != std::string::npos);
  lifecycle("container-netns.yaml"); // ctr was there before: it must stay
  // down took out its veth and route, and left the namespace and its loopback as they were.
  CHECK(sh("ip -n ctr -o link show | wc -l").out == "1\n");
  remove_container_netns();
  require_nothing_left();
}

TEST_CASE("lab veth-peer: lifecycle", "[cli][lab][lessons]") { lifecycle("veth-peer.yaml"); }

TEST_CASE("veth-peer: each peer check says how it found the other end and a moved end is noticed", "[cli][lessons]") {
  const std::string file = topology("veth-peer.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  Run test = netlab("test " + file);
  CHECK(test.rc == 0);
  const std::string ifindex = sh("ip -n ns2 -o link show dev eth0 | cut -d: -f1").out;
  REQUIRE_FALSE(ifindex.empty());
  CHECK_THAT(test.out, Catch::Contains("PASS ns1 peer veth1 is ns2:eth0: veth1@if" + ifindex.substr(0, ifindex.size() - 1) +
                                       ", link-netnsid "));
  CHECK_THAT(test.out, Catch::Contains("PASS ns3 peer left is ns3:right: left@if"));
  CHECK_THAT(test.out, Catch::Contains("no link-netnsid (same namespace)"));
  // ns2's end moved into ns3 (renamed, as ns3 has an eth0): the check names where it went.
  REQUIRE(sh("ip -n ns2 link set eth0 netns ns3 name moved0").rc == 0);
  Run moved = netlab("test " + file);
  CHECK(moved.rc == 3);
  CHECK_THAT(moved.out, Catch::Contains("FAIL ns1 peer veth1 is ns2:eth0: "));
  CHECK_THAT(moved.out, Catch::Contains("its peer is ns3:moved0 (veth1@if"));
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

namespace {

/// tunping as built beside netlab (build/.../tools/tunping/tunping; /usr/bin/tunping installed).
std::string tunping() {
  return (fs::path(NETLAB_BINARY).parent_path().parent_path() / "tools" / "tunping" / "tunping").string();
}

/// Starts `tunping ARGS` in node ns1 through `netlab exec`, answering one echo and
/// exiting (at most 30 s), and waits until it holds `dev` (its carrier comes up).
void start_tunping(const std::string& args, const std::string& dev) {
  REQUIRE(fs::exists(tunping()));
  REQUIRE(sh("timeout 30 " + std::string(NETLAB_BINARY) + " exec ns1 -- " + tunping() + " -c 1 " + args +
             " </dev/null >/dev/null 2>&1 &")
              .rc == 0);
  CHECK(sh("for i in $(seq 100); do ip -n ns1 link show " + dev +
           " | grep -q LOWER_UP && exit 0; sleep 0.05; done; exit 1")
            .rc == 0);
}

} // namespace

TEST_CASE("lab tun-userspace: lifecycle with tunping answering on tun0 and tap0", "[cli][lab][lessons][tun]") {
  lifecycle("tun-userspace.yaml", [] {
    start_tunping("tun0", "tun0");
    start_tunping("--tap tap0 10.8.0.9", "tap0");
  });
  // Each tunping answered its one echo and exited: nothing holds ns1 after down.
  CHECK(sh("pgrep -x tunping || true").out.empty());
}

TEST_CASE("tun-userspace: without tunping the pings go unanswered", "[cli][lessons][tun]") {
  const std::string file = topology("tun-userspace.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  Run test = netlab("test " + file);
  CHECK(test.rc == 3);
  CHECK_THAT(test.out, Catch::Contains("FAIL ns1 ping 10.9.0.2"));
  CHECK_THAT(test.out, Catch::Contains("FAIL ns2 ping 10.8.0.9"));
  CHECK_THAT(test.out, Catch::Contains("PASS ns2 ping 10.8.0.1"));
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("lab loopback-own-address: lifecycle", "[cli][lab][lessons]") { lifecycle("loopback-own-address.yaml"); }
TEST_CASE("lab bridge-arp: lifecycle", "[cli][lab][lessons]") { lifecycle("bridge-arp.yaml"); }

TEST_CASE("bridge-arp: a who-has is flooded out of every port but its reply is not and br0 learns", "[cli][lessons]") {
  const std::string file = topology("bridge-arp.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(sh("bridge -n sw fdb show br br0 dynamic").out.empty()); // stage 1: nothing learned yet
  // Stage 2: five ARP packets on the switch's ports: the request in on p1 and out
  // of p2 and p3, the reply in on p2 and out of p1 alone.
  Run cap = sh("(sleep 1.5; " + std::string(NETLAB_BINARY) + " exec h1 -- ping -c1 -W1 10.0.0.2 >/dev/null) & " +
               NETLAB_BINARY + " capture -l bridge-arp sw:p1 sw:p2 sw:p3 --filter arp -c 5 --duration 10; wait");
  INFO(cap.out);
  CHECK(cap.rc == 0);
  for (const char* port : {"sw:p1 in ", "sw:p2 out", "sw:p3 out"})
    CHECK_THAT(cap.out, Catch::Contains(std::string(port) + " ARP who-has 10.0.0.2 tell 10.0.0.1"));
  CHECK_THAT(cap.out, Catch::Contains("sw:p2 in  ARP 10.0.0.2 is-at 02:00:00:00:00:02"));
  CHECK_THAT(cap.out, Catch::Contains("sw:p1 out ARP 10.0.0.2 is-at 02:00:00:00:00:02"));
  CHECK_THAT(cap.out, !Catch::Contains("sw:p3 out ARP 10.0.0.2 is-at"));
  // Stage 3: the forwarding database learned each sender's MAC on its port.
  Run fdb = sh("bridge -n sw fdb show br br0 dynamic");
  CHECK_THAT(fdb.out, Catch::Contains("02:00:00:00:00:01 dev p1"));
  CHECK_THAT(fdb.out, Catch::Contains("02:00:00:00:00:02 dev p2"));
  CHECK_THAT(fdb.out, !Catch::Contains("02:00:00:00:00:03"));
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("lab netns-lifecycle: lifecycle", "[cli][lab][lessons]") { lifecycle("netns-lifecycle.yaml"); }

TEST_CASE("netns-lifecycle: a second ip netns add says File exists and one deleted by hand comes back", "[cli][lessons]") {
  const std::string file = topology("netns-lifecycle.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netns_names() == std::set<std::string>{"blue", "green", "red"});
  Run again = sh("ip netns add red");
  CHECK(again.rc != 0);
  CHECK_THAT(again.out, Catch::Contains("File exists"));
  REQUIRE(sh("ip netns del green").rc == 0);
  CHECK(netlab("status " + file).rc == 3);
  Run up = netlab("up " + file);
  CHECK(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("+ netns green"));
  CHECK(netlab("test " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("netlab shell on a terminal first names the namespace it is in", "[cli][lessons]") {
  if (sh("command -v script").rc != 0) nltest::skip("script(1) is not installed: no terminal to test with");
  const std::string file = topology("netns-lifecycle.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  const std::string inode = sh("stat -L -c %i /run/netns/red | tr -d '\\n'").out;
  // script(1) gives the shell a terminal; `exit` arrives once the shell reads it.
  Run shell = sh("(sleep 1; echo exit; sleep 1) | SHELL=/bin/sh script -qfec '" + std::string(NETLAB_BINARY) +
                 " shell red' /dev/null");
  CHECK_THAT(shell.out, Catch::Contains("netlab: a shell in red of lab netns-lifecycle, namespace net:[" + inode + "]"));
  // Not on a terminal (a pipe, a script): nothing but the shell's own output.
  Run piped = sh("echo exit | " + std::string(NETLAB_BINARY) + " shell red");
  CHECK_THAT(piped.out, !Catch::Contains("netlab: a shell in"));
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}
