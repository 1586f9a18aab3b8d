// End-to-end: nodes of kind external, i.e. namespaces netlab did not make and
// must never delete: one named with `ip netns add` (netns:), and one held by a
// process the test starts in a namespace of its own, the way a container
// runtime does, named by `pid:` or `path: /proc/PID/ns/net`. Each case runs in
// its own sandbox (sandbox_main.cpp).
#include "cli.hpp"
#include "holder.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <sched.h>
#include <thread>

using namespace nltest;

namespace {

/// A process alone in a new network namespace (like `unshare -n sleep 1000`).
class NsProcess : public NsHolder {
public:
  /// `own_netns == false`: the process stays in the test's namespace.
  explicit NsProcess(bool own_netns = true)
      : NsHolder([own_netns] { return !own_netns || ::unshare(CLONE_NEWNET) == 0; }) {}

  std::string path() const { return "/proc/" + pid() + "/ns/net"; }
  /// Shell prefix that runs a command inside the namespace.
  std::string enter() const { return "nsenter -t " + pid() + " -n "; }
};

/// The lab used by most cases: a namespace the lab creates (lab1) joined to
/// the external one by a veth, addresses and a route on both sides, a port
/// probed from lab1 with a listener in the external namespace, sysctls
/// (forwarding among them) that must come back on down, and a NAT table.
std::string lab_text(const std::string& ref) {
  return R"(name: extlab
nodes:
  lab1:
    interfaces:
      eth0: {addresses: [10.50.0.1/24]}
    routes: [10.60.0.0/24 via 10.50.0.2]
  ext:
    kind: external
    )" + ref +
         R"(
    forwarding: true
    interfaces:
      vlab: {addresses: [10.50.0.2/24]}
    routes: [10.70.0.0/24 via 10.50.0.1]
    sysctls: {net.ipv4.conf.all.rp_filter: 2}
    nat: [{masquerade: {source: 10.50.0.0/24, out: pre0}}]
links:
  - [lab1:eth0, ext:vlab]
checks:
  - {from: lab1, ping: 10.50.0.2}
  - {from: ext, ping: 10.50.0.1}
  - {from: lab1, ping: 10.60.0.1}       # an address that was there before netlab came
  - {from: lab1, tcp: "10.50.0.2:7000", listen: ext}
)";
}

/// Runs each of `cmds` inside the namespace (`in` is the shell prefix that enters it).
std::string each_in(const std::string& in, const std::vector<std::string>& cmds, const std::string& sep) {
  std::string script;
  for (const auto& c : cmds)
    script += (script.empty() ? "" : sep) + in + c;
  return script;
}

/// What the owner had in the namespace before netlab came: a veth pair with an
/// address, a gateway route, a static route, lo up, rp_filter 1, an nft table.
void populate(const std::string& in) {
  REQUIRE(sh(each_in(in,
                     {// No duplicate address detection: a snapshot must not catch an address "tentative".
                      "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0",
                      "ip link set lo up", "ip link add pre0 type veth peer name pre1",
                      "ip addr add 10.60.0.1/24 dev pre0", "ip link set pre0 up", "ip link set pre1 up",
                      "ip route add 10.61.0.0/24 via 10.60.0.2", "ip route add 10.62.0.0/24 dev pre0 proto static",
                      "sysctl -qw net.ipv4.conf.all.rp_filter=1", "nft add table ip mine"},
                     " && "))
              .rc == 0);
  // Even without DAD an address is "tentative" until a kernel worker runs: wait for that.
  for (int i = 0; i < 300 && !sh(in + "ip -6 addr show tentative").out.empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(sh(in + "ip -6 addr show tentative").out.empty());
}

/// Everything netlab must leave as it found it in the external namespace.
std::string snapshot(const std::string& in) {
  return sh(each_in(in,
                    {"ip -d addr show", "ip -4 route show table all", "ip -6 route show table all",
                     "sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter", "nft list ruleset"},
                    "; "))
      .out;
}

/// The change lines of `out`, sorted.
std::vector<std::string> sorted_changes(const std::string& out) {
  auto c = changes(out);
  std::ranges::sort(c);
  return c;
}

/// up -> traffic -> no-op up -> status -> drift by hand -> repair -> down, for
/// an external namespace named by `ref` and entered with the shell prefix `in`.
void external_lifecycle(const std::string& ref, const std::string& in) {
  populate(in);
  const std::string before = snapshot(in);
  for (const char* owned_by_owner :
       {"inet 10.60.0.1/24", "10.62.0.0/24 dev pre0 proto static", "rp_filter = 1", "table ip mine"})
    REQUIRE_THAT(before, Catch::Contains(owned_by_owner));
  const std::string file = write_temp("ext.yaml", lab_text(ref));

  Run up = netlab("up " + file);
  REQUIRE(up.rc == 0);
  CHECK(sorted_changes(up.out) == std::vector<std::string>{
                                      "+ address ext:vlab 10.50.0.2/24",
                                      "+ address lab1:eth0 10.50.0.1/24",
                                      "+ nat ext: table netlab-extlab (1 rule)",
                                      "+ netns lab1",
                                      "+ route ext: 10.70.0.0/24 via 10.50.0.1",
                                      "+ route lab1: 10.60.0.0/24 via 10.50.0.2",
                                      "+ veth lab1:eth0 <-> ext:vlab",
                                      "~ ext:vlab up",
                                      "~ lab1:eth0 up",
                                      "~ lab1:lo up",
                                      "~ sysctl ext: net.ipv4.conf.all.rp_filter = 2 (was 1)",
                                      "~ sysctl ext: net.ipv4.ip_forward = 1 (was 0)",
                                  });
  CHECK(sh(in + "ip -o link show vlab").out.find("alias netlab:extlab") != std::string::npos);
  CHECK(sh(in + "sysctl -n net.ipv4.ip_forward").out == "1\n");
  CHECK(sh(in + "nft list tables").out == "table ip mine\ntable inet netlab-extlab\n");

  Run test = netlab("test " + file);
  CHECK(test.rc == 0);
  CHECK_THAT(test.out, Catch::Contains("4 passed, 0 failed"));

  Run again = netlab("up " + file);
  CHECK(again.rc == 0);
  CHECK(changes(again.out).empty());
  CHECK(netlab("status " + file).rc == 0);

  // Drift inside the external namespace: its owner (or a student) removes our address.
  REQUIRE(sh(in + "ip addr del 10.50.0.2/24 dev vlab").rc == 0);
  Run status = netlab("status " + file);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("missing   ext/vlab/addresses/10.50.0.2/24"));
  Run repair = netlab("up " + file);
  CHECK(repair.rc == 0);
  // The kernel dropped the route through that address along with it.
  CHECK(sorted_changes(repair.out) == std::vector<std::string>{
                                          "+ address ext:vlab 10.50.0.2/24",
                                          "+ route ext: 10.70.0.0/24 via 10.50.0.1",
                                      });
  CHECK(netlab("status " + file).rc == 0);
  CHECK(netlab("test " + file).rc == 0);

  Run down = netlab("down " + file);
  CHECK(down.rc == 0);
  CHECK_THAT(down.out, Catch::Contains("~ sysctl ext: net.ipv4.ip_forward = 0 (was 1)"));
  CHECK(snapshot(in) == before); // links, addresses, routes and sysctls as the owner left them
  fs::remove(file);
}

} // namespace

TEST_CASE("external node by netns: up, traffic, drift, down leaves the namespace as it was", "[cli][external]") {
  REQUIRE(sh("ip netns add extns").rc == 0);
  external_lifecycle("netns: extns", "ip netns exec extns ");
  CHECK(sh("ip netns list").out == "extns\n"); // never deleted
  REQUIRE(sh("ip netns del extns").rc == 0);
  require_nothing_left();
}

TEST_CASE("external node by pid: a process in its own namespace, like a container", "[cli][external]") {
  NsProcess ctr;
  external_lifecycle("pid: " + ctr.pid(), ctr.enter());
  CHECK(sh("test -e " + ctr.path()).rc == 0);
  ctr.stop();
  require_nothing_left();
}

TEST_CASE("external node by path: /proc/PID/ns/net", "[cli][external]") {
  NsProcess ctr;
  external_lifecycle("path: " + ctr.path(), ctr.enter());
  ctr.stop();
  require_nothing_left();
}

TEST_CASE("external namespace that does not exist: refused naming node and path, nothing changed", "[cli][external]") {
  const std::string file = write_temp("none.yaml", lab_text("netns: nosuch"));
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("node 'ext'"));
  CHECK_THAT(up.out, Catch::Contains("/run/netns/nosuch"));
  CHECK(changes(up.out).empty());
  require_nothing_left();

  // The same for a process that has already exited.
  pid_t gone = fork();
  if (gone == 0) _exit(0);
  waitpid(gone, nullptr, 0);
  std::ofstream(file) << lab_text("pid: " + std::to_string(gone));
  up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("node 'ext'"));
  CHECK_THAT(up.out, Catch::Contains("/proc/" + std::to_string(gone) + "/ns/net"));
  require_nothing_left();

  // A path that is not a network namespace at all.
  std::ofstream(file) << lab_text("path: /etc/hostname");
  up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("/etc/hostname"));
  CHECK_THAT(up.out, Catch::Contains("not a network namespace"));
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("a link the owner made in the external namespace is never taken over", "[cli][external][ownership]") {
  REQUIRE(sh("ip netns add extns").rc == 0);
  populate("ip netns exec extns ");
  const std::string before = snapshot("ip netns exec extns ");
  // The file names the owner's pre0 as its veth end, and declares a tap over the owner's pre1.
  std::string text = std::regex_replace(lab_text("netns: extns"), std::regex("ext:vlab"), "ext:pre0");
  text = std::regex_replace(text, std::regex("      vlab: \\{addresses"),
                            "      pre1: {kind: tap}\n      pre0: {addresses");
  const std::string file = write_temp("conflict.yaml", text);
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("link ext:pre0 already exists and is not created by netlab"));
  CHECK_THAT(up.out, Catch::Contains("link ext:pre1 already exists and is not created by netlab"));
  CHECK(changes(up.out).empty());
  CHECK(sh("ip netns list").out == "extns\n");
  Run status = netlab("status " + file);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("conflict  ext/pre0"));
  CHECK(netlab("down " + file).rc == 0);
  CHECK(snapshot("ip netns exec extns ") == before);
  REQUIRE(sh("ip netns del extns").rc == 0);
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("external node by pid: the process exits while the lab is up", "[cli][external]") {
  NsProcess ctr;
  const std::string path = ctr.path();
  const std::string file = write_temp("exits.yaml", lab_text("pid: " + ctr.pid()));
  REQUIRE(netlab("up " + file).rc == 0);
  ctr.stop(); // the namespace dies with it, and the veth end in it takes lab1:eth0 along

  Run status = netlab("status " + file);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("ext: want external namespace " + path));
  Run test = netlab("test " + file);
  CHECK(test.rc == 3);
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("external namespace of node 'ext' (" + path + ") does not exist"));

  Run down = netlab("down " + file);
  CHECK(down.rc == 0);
  CHECK_THAT(down.out, Catch::Contains("- netns lab1"));
  CHECK_THAT(down.out, Catch::Contains("external namespace of node 'ext' (" + path + ") is gone"));
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("an external namespace replaced behind the lab's back is left alone", "[cli][external]") {
  // Deleted and made again under the same name: the same path, another namespace
  // (as when a container's pid is reused). Its sysctls are not the lab's to restore.
  REQUIRE(sh("ip netns add extns").rc == 0);
  const std::string file = write_temp("replaced.yaml", lab_text("netns: extns"));
  REQUIRE(netlab("up " + file).rc == 0);
  REQUIRE(sh("ip netns del extns && ip netns add extns && "
             "ip netns exec extns sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=2")
              .rc == 0);
  const std::string before = snapshot("ip netns exec extns ");

  Run status = netlab("status " + file);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("conflict  ext"));
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("is not the one lab 'extlab' set up"));
  CHECK(snapshot("ip netns exec extns ") == before);

  Run down = netlab("down " + file);
  CHECK(down.rc == 0);
  CHECK_THAT(down.out, Catch::Contains("- netns lab1"));
  CHECK(down.out.find("sysctl") == std::string::npos);
  CHECK(snapshot("ip netns exec extns ") == before);
  REQUIRE(sh("ip netns del extns").rc == 0);
  require_nothing_left();
  fs::remove(file);
}

TEST_CASE("down without the file finds what was added to an external namespace", "[cli][external]") {
  NsProcess ctr;
  const std::string in = ctr.enter();
  REQUIRE(sh(in + "ip link set lo up").rc == 0);
  const std::string before = snapshot(in);
  // Only the external node: a tap with an address, a route, forwarding.
  const std::string file = write_temp("only.yaml", R"(name: extonly
nodes:
  ctr:
    kind: external
    pid: )" + ctr.pid() + R"(
    forwarding: true
    interfaces:
      tap0: {kind: tap, addresses: [10.90.0.1/24]}
    routes: [10.91.0.0/24 via 10.90.0.2]
)");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(sh(in + "ip -o link show tap0").rc == 0);
  fs::remove(file);
  Run down = netlab("down -l extonly");
  CHECK(down.rc == 0);
  CHECK_THAT(down.out, Catch::Contains("- tap ctr:tap0"));
  CHECK(snapshot(in) == before);
  ctr.stop();
  require_nothing_left();
}

TEST_CASE("lab external-netns: lifecycle, with its namespace made first", "[cli][lab][external]") {
  REQUIRE(sh("ip netns add ext").rc == 0);
  const std::string before = snapshot("ip netns exec ext ");
  lifecycle("external-netns.yaml");
  CHECK(snapshot("ip netns exec ext ") == before); // ext survives, as it was
  REQUIRE(sh("ip netns del ext").rc == 0);
  require_nothing_left();
}

TEST_CASE("an external node whose pid lives in another node's namespace is refused", "[cli][external]") {
  NsProcess in_host(false); // a process in the test's own ("host") namespace
  const std::string file = write_temp("same.yaml", R"(name: samens
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge}
  ext:
    kind: external
    pid: )" + in_host.pid() + R"(
    interfaces:
      t0: {kind: tap}
)");
  Run up = netlab("up " + file);
  CHECK(up.rc == 1);
  CHECK_THAT(up.out, Catch::Contains("external namespace of node 'ext' (" + in_host.path() +
                                     ") is the namespace of node 'host'"));
  CHECK(changes(up.out).empty());
  CHECK(netlab("status " + file).rc == 3);
  in_host.stop();
  require_nothing_left();
  fs::remove(file);
}
