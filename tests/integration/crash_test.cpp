// Crash consistency (ARCHITECTURE.md, "Crash recovery"): an injected failure at
// every action leaves the kernel exactly as before; a kill before every action
// is recovered by the next up and down; what a kill leaves between two steps of
// one action (an empty namespace file, an untagged link) is the lab's; SIGINT
// undoes the run. Each test case runs in its own sandbox (sandbox_main.cpp).
#include "cli.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <regex>
#include <sys/stat.h>
#include <thread>

using namespace nltest;

namespace {

/// Runs `netlab ARGS` killed (SIGKILL) just before its action number `k`
/// (NETLAB_KILL_AT), and checks that it was (the shell may report it as 128+9).
void run_killed_at(size_t k, const std::string& args) {
  Run run = sh("NETLAB_KILL_AT=" + std::to_string(k) + " " + NETLAB_BINARY + " " + args);
  CHECK((run.rc == -1 || run.rc == 137));
}

/// Everything in the sandbox a lab could have changed, as text: links, addresses
/// and routes of every namespace, nft, host sysctls, the state dirs. Bridge timers
/// and DAD flags, which move by themselves, are left out.
std::string kernel_dump() {
  std::string out = sh("ip netns list; ls -A /run/netlab; sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding; "
                       "nft list ruleset")
                        .out;
  std::vector<std::string> namespaces{""};
  for (const auto& n : netns_names())
    namespaces.push_back(n);
  for (const auto& n : namespaces) {
    const std::string ip = n.empty() ? "ip" : "ip -n " + n;
    out += "== " + (n.empty() ? std::string("host") : n) + "\n";
    out += sh(ip + " -d link show; " + ip + " addr show; " + ip + " route show table all; " + ip +
              " -6 route show table all")
               .out;
  }
  static const std::regex moving(R"(\S+_timer\s+\S+|\btentative\b|\bdadfailed\b)"), spaces(R"([ \t]+)"),
      trailing(R"( \n)");
  return std::regex_replace(std::regex_replace(std::regex_replace(out, moving, ""), spaces, " "), trailing, "\n");
}

/// The first line where two dumps differ, for the failure message.
std::string first_difference(const std::string& a, const std::string& b) {
  auto la = lines_of(a), lb = lines_of(b);
  for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
    std::string x = i < la.size() ? la[i] : "(none)", y = i < lb.size() ? lb[i] : "(none)";
    if (x != y) return "line " + std::to_string(i + 1) + ":\n  before: " + x + "\n  after:  " + y;
  }
  return "none";
}

/// The number of actions `up` of `file` takes from where the kernel is now (it
/// prints one line each), leaving the lab up.
size_t actions_of_up(const std::string& file) {
  Run up = netlab("up " + file);
  REQUIRE(up.rc == 0);
  return changes(up.out).size();
}

/// bridge-nat with edits that touch every kind of change in place: an address
/// moves, a node and its veth are added, the port forward and an MTU change.
std::string edited_bridge_nat() {
  std::string y = read_file(topology("bridge-nat.yaml"));
  auto swap = [&](const std::string& from, const std::string& to) {
    auto at = y.find(from);
    REQUIRE(at != std::string::npos);
    y.replace(at, from.size(), to);
  };
  swap("vethB: {addresses: [192.168.10.2/24]}", "vethB: {addresses: [192.168.10.12/24], mtu: 1400}");
  swap("port: 8080", "port: 8081");
  swap("      uplink: {addresses", "      vethG: {master: mybridge}\n      uplink: {addresses");
  swap("  lan:", "  ns4:\n    interfaces:\n      vethH: {addresses: [192.168.10.5/24]}\n  lan:");
  swap("links:\n", "links:\n  - [ns4:vethH, host:vethG]\n");
  return write_temp("bridge-nat-edited.yaml", y);
}

/// Waits until links' IPv6 start-up (DAD, then their local routes) is over, so
/// that a picture of the kernel holds still: in the host and in every namespace
/// (the teaching labs give theirs IPv6).
void settle_ipv6() {
  const std::string tentative =
      "{ ip -6 addr show tentative; ip -all netns exec ip -6 addr show tentative; } | grep -c inet6 || true";
  for (int i = 0; i < 300 && sh(tentative).out != "0\n"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

/// Fails each action of `up FILE` in turn (NETLAB_FAIL_AT): every run exits 1
/// and leaves the kernel as `kernel_dump()` saw it before.
void fail_at_every_action(const std::string& file, size_t actions) {
  settle_ipv6();
  const std::string before = kernel_dump();
  for (size_t k = 1; k <= actions; ++k) {
    INFO("NETLAB_FAIL_AT=" << k << " of " << actions);
    Run up = sh("NETLAB_FAIL_AT=" + std::to_string(k) + " " + NETLAB_BINARY + " up " + file);
    INFO(up.out);
    CHECK(up.rc == 1);
    CHECK_THAT(up.out, Catch::Contains("injected failure"));
    CHECK_THAT(up.out, Catch::Contains("the kernel is as it was before"));
    settle_ipv6(); // an undo may have made a link again
    const std::string after = kernel_dump();
    INFO("first difference: " << first_difference(before, after));
    CHECK(after == before);
  }
}

/// The rule after a crash: status does not crash, up converges, down leaves nothing.
void recovers(const std::string& file) {
  Run status = netlab("status " + file);
  CHECK((status.rc == 0 || status.rc == 3));
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
  CHECK(sh("sysctl -n net.ipv4.ip_forward").out == "0\n");
}

} // namespace

TEST_CASE("crash: a failure injected at every action of up leaves the kernel as before", "[crash][nat]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(sh("sysctl -qw net.ipv4.ip_forward=0").rc == 0);
  // From nothing: the count comes from a real run, which is then taken down.
  const size_t n = actions_of_up(file);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
  fail_at_every_action(file, n);
  require_nothing_left();
  CHECK(sh("sysctl -n net.ipv4.ip_forward").out == "0\n");
}

TEST_CASE("crash: a failure injected at every action of an edit leaves the lab as before", "[crash][nat]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  const std::string edited = edited_bridge_nat();
  Run plan = netlab("plan " + edited);
  const size_t n = changes(plan.out).size();
  REQUIRE(n > 5);
  fail_at_every_action(edited, n);
  CHECK(netlab("status " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("crash: a kill before every action of up is recovered by the next up and down", "[crash][nat]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(sh("sysctl -qw net.ipv4.ip_forward=0").rc == 0);
  const size_t n = actions_of_up(file);
  REQUIRE(netlab("down " + file).rc == 0);
  for (size_t k = 1; k <= n; ++k) {
    INFO("NETLAB_KILL_AT=" << k << " of " << n);
    run_killed_at(k, "up " + file);
    recovers(file);
  }
}

TEST_CASE("crash: a kill before every action of down leaves the host sysctl restored by the next down",
          "[crash][nat]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(sh("sysctl -qw net.ipv4.ip_forward=0").rc == 0);
  REQUIRE(netlab("up " + file).rc == 0);
  Run down = netlab("down " + file);
  REQUIRE(down.rc == 0);
  const size_t n = changes(down.out).size();
  for (size_t k = 1; k <= n; ++k) {
    INFO("NETLAB_KILL_AT=" << k << " of " << n);
    REQUIRE(netlab("up " + file).rc == 0);
    run_killed_at(k, "down " + file);
    // down straight after the kill: nothing left, ip_forward back to 0.
    REQUIRE(netlab("down " + file).rc == 0);
    require_nothing_left();
    CHECK(sh("sysctl -n net.ipv4.ip_forward").out == "0\n");
  }
}

TEST_CASE("crash: an empty namespace file of the lab is a missing namespace", "[crash]") {
  const std::string file = topology("bridge-gateway.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  // What a kill between the two steps of `ip netns add/del` leaves: an empty file, mode 0, no mount.
  REQUIRE(sh("ip netns del ns2 && install -m 0 /dev/null /run/netns/ns2").rc == 0);
  Run status = netlab("status " + file);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("missing"));
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("status " + file).rc == 0);
  CHECK(sh("ip netns exec ns2 true").rc == 0);
  // down removes the file of a namespace the lab owns, whatever state it is in.
  REQUIRE(sh("ip netns del ns2 && install -m 0 /dev/null /run/netns/ns2").rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("crash: an empty namespace file the lab does not claim is left alone", "[crash]") {
  REQUIRE(sh("install -m 0 /dev/null /run/netns/stranger").rc == 0);
  const std::string file = topology("bridge-gateway.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  REQUIRE(netlab("down --all").rc == 0);
  require_nothing_left({"stranger"});
  std::remove("/run/netns/stranger");
}

TEST_CASE("crash: an untagged veth of the lab's own namespace is adopted, not refused", "[crash]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  // A kill between creating a veth and tagging it: both ends untagged, one in the host.
  REQUIRE(sh("ip -n ns1 link del vethB && ip link add vethA type veth peer name vethB netns ns1").rc == 0);
  CHECK(netlab("status " + file).rc == 3);
  Run up = netlab("up " + file);
  REQUIRE(up.rc == 0);
  CHECK_THAT(up.out, Catch::Contains("adopted"));
  CHECK(netlab("status " + file).rc == 0);
  CHECK_THAT(sh("ip -n ns1 link show vethB").out, Catch::Contains("alias netlab:bridge-nat"));
  CHECK_THAT(sh("ip link show vethA").out, Catch::Contains("alias netlab:bridge-nat"));
  CHECK(netlab("test " + file).rc == 0);
  REQUIRE(netlab("down " + file).rc == 0);
  require_nothing_left();
}

TEST_CASE("crash: an untagged link in the host stays foreign unless a run was about to make it", "[crash]") {
  const std::string file = topology("bridge-nat.yaml");
  REQUIRE(sh("ip link add mybridge type bridge").rc == 0);
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("mybridge already exists and is not created by netlab"));
  REQUIRE(sh("ip link del mybridge").rc == 0);
  require_nothing_left();
}

TEST_CASE("crash: SIGINT during up of a star undoes it and exits 130", "[crash][signal]") {
  std::string y = "name: sigint-star\nnodes:\n  host:\n    kind: host\n    interfaces:\n"
                  "      br0: {kind: bridge, addresses: [10.0.0.1/16]}\n";
  const int n = 200;
  for (int i = 0; i < n; ++i)
    y += "      v" + std::to_string(i) + ": {master: br0}\n";
  for (int i = 0; i < n; ++i)
    y += "  n" + std::to_string(i) + ":\n    interfaces:\n      eth0: {addresses: [10.0." +
         std::to_string((i + 2) / 256) + "." + std::to_string((i + 2) % 256) +
         "/16]}\n    routes: [default via 10.0.0.1]\n";
  y += "links:\n";
  for (int i = 0; i < n; ++i)
    y += "  - [n" + std::to_string(i) + ":eth0, host:v" + std::to_string(i) + "]\n";
  const std::string file = write_temp("sigint-star.yaml", y);
  // Late enough to be inside apply (namespaces exist), early enough to be before its end.
  Run up = sh("(" + std::string(NETLAB_BINARY) + " up " + file + " & pid=$!; " +
              "for i in $(seq 400); do [ $(ls /run/netns | wc -l) -ge 20 ] && break; sleep 0.005; done; " +
              "kill -INT $pid; wait $pid; echo rc=$?)");
  INFO(up.out);
  CHECK_THAT(up.out, Catch::Contains("rc=130"));
  CHECK_THAT(up.out, Catch::Contains("interrupted (SIGINT): undid"));
  CHECK_THAT(up.out, Catch::Contains("the kernel is as it was before"));
  require_nothing_left();
  CHECK(sh("ip -o link show | grep -vc ': lo:' || true").out == "0\n");
}

TEST_CASE("crash: SIGTERM during up exits 143 and undoes it", "[crash][signal]") {
  const std::string file = topology("bridge-nat.yaml");
  Run up = sh("(" + std::string(NETLAB_BINARY) + " up " + file + " & pid=$!; " +
              "for i in $(seq 400); do [ -n \"$(ls /run/netns)\" ] && break; sleep 0.002; done; " +
              "kill -TERM $pid; wait $pid; echo rc=$?)");
  INFO(up.out);
  // The signal came during the changes (143, undone), after the last one (143, the
  // run finished: the lab is up), or after netlab had exited (0).
  bool finished =
      up.out.find("rc=0") != std::string::npos || up.out.find("after every change was applied") != std::string::npos;
  if (!finished) {
    CHECK_THAT(up.out, Catch::Contains("rc=143"));
    CHECK_THAT(up.out, Catch::Contains("interrupted (SIGTERM): undid"));
    require_nothing_left();
  } else {
    CHECK(netlab("status " + file).rc == 0);
    REQUIRE(netlab("down " + file).rc == 0);
    require_nothing_left();
  }
}

TEST_CASE("crash: a kill before every action of veth-move's up is recovered by the next up and down",
          "[crash][move]") {
  const std::string file = topology("veth-move.yaml");
  const size_t n = actions_of_up(file);
  REQUIRE(netlab("down " + file).rc == 0);
  for (size_t k = 1; k <= n; ++k) {
    INFO("NETLAB_KILL_AT=" << k << " of " << n);
    run_killed_at(k, "up " + file);
    recovers(file);
  }
}

TEST_CASE("crash: a veth end killed between its steps is found under its temporary name", "[crash][move]") {
  const std::string file = topology("veth-move.yaml");
  Run plan = netlab("plan " + file);
  REQUIRE(plan.rc == 0);
  auto c = changes(plan.out);
  const size_t move = static_cast<size_t>(std::ranges::find(c, "~ move host:veth-c1 -> c1") - c.begin()) + 1;
  const size_t rename = static_cast<size_t>(std::ranges::find(c, "~ rename c1:veth-c1 -> eth0") - c.begin()) + 1;
  REQUIRE(rename <= c.size());
  SECTION("killed before the move: down finds it in the host") {
    run_killed_at(move, "up " + file);
    CHECK_THAT(sh("ip -d link show veth-c1").out, Catch::Contains("alias netlab:veth-move"));
    Run status = netlab("status " + file);
    CHECK(status.rc == 3);
    CHECK_THAT(status.out, Catch::Contains("c1/eth0/netns"));
    REQUIRE(netlab("down " + file).rc == 0);
    require_nothing_left();
  }
  SECTION("killed before the move: up moves and renames it and nothing else") {
    run_killed_at(move, "up " + file);
    Run again = netlab("up " + file);
    REQUIRE(again.rc == 0);
    CHECK_THAT(again.out, Catch::Contains("~ move host:veth-c1 -> c1"));
    CHECK_THAT(again.out, Catch::Contains("~ rename c1:veth-c1 -> eth0"));
    CHECK(again.out.find("+ veth host:vhost-c1") == std::string::npos);
    CHECK(netlab("test " + file).rc == 0);
    REQUIRE(netlab("down " + file).rc == 0);
    require_nothing_left();
  }
  SECTION("killed before the rename: down and up find it in c1") {
    run_killed_at(rename, "up " + file);
    CHECK_THAT(sh("ip -n c1 -d link show veth-c1").out, Catch::Contains("alias netlab:veth-move"));
    Run again = netlab("up " + file);
    REQUIRE(again.rc == 0);
    CHECK(again.out.find("~ move") == std::string::npos);
    CHECK_THAT(again.out, Catch::Contains("~ rename c1:veth-c1 -> eth0"));
    CHECK(netlab("status " + file).rc == 0);
    REQUIRE(netlab("down " + file).rc == 0);
    require_nothing_left();
  }
}
