// Kind-specific settings against the real kernel, through the netlab binary:
// macvlan, vxlan and tun/tap settings read back, changed in the file, changed by
// hand (drift) and removed; 802.1Q vlans and bridge VLAN filtering refused with
// the missing kernel option where the kernel lacks them, and run fully (traffic
// inside a VLAN, none across) where it has them.
#include "cli.hpp"
#include "skip.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace nltest;

namespace {

/// `text` with the first `from` replaced by `to`.
std::string edit(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

/// device-kinds.yaml with `edits` applied, written to a temp file of that name.
std::string device_kinds(const std::string& name, const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  std::string text = read_file(topology("device-kinds.yaml"));
  for (const auto& [from, to] : edits)
    text = edit(text, from, to);
  return write_temp(name, text);
}

/// What `ip -d link show` says about a link (the kind-specific line included).
std::string link_details(const std::string& ns, const std::string& link) {
  return sh("ip -n " + ns + " -d link show " + link).out;
}

/// Whether this kernel has 802.1Q vlan devices (tried in the test's own sandbox).
bool kernel_has_vlan() {
  bool ok = sh("ip link add nlt0 type veth peer name nlt1 && ip link add link nlt0 name nlt0.5 type vlan id 5").rc == 0;
  sh("ip link del nlt0 2>/dev/null");
  return ok;
}

/// Whether this kernel filters bridges by VLAN (CONFIG_BRIDGE_VLAN_FILTERING).
bool kernel_has_vlan_filtering() {
  bool ok = sh("ip link add nltbr0 type bridge vlan_filtering 1").rc == 0;
  sh("ip link del nltbr0 2>/dev/null");
  return ok;
}

void require_checks_pass(const std::string& file) {
  Run test = netlab("test " + file);
  CHECK(test.rc == 0);
  CHECK_THAT(test.out, Catch::Contains(" 0 failed"));
}

} // namespace

TEST_CASE("macvlan: read back, mode changed in the file and by hand, removed", "[kinds][macvlan]") {
  const std::string file = device_kinds("mv.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK(netlab("status " + file).rc == 0);
  CHECK_THAT(link_details("n1", "mv0"), Catch::Contains("macvlan mode bridge"));
  // Traffic to the macvlan reaches it under its own MAC, not eth0's.
  require_checks_pass(file);
  std::string mv_mac = sh("ip -n n1 -br link show mv0 | awk '{print $3}'").out.substr(0, 17);
  std::string eth_mac = sh("ip -n n1 -br link show eth0 | awk '{print $3}'").out.substr(0, 17);
  CHECK(mv_mac != eth_mac);
  CHECK_THAT(sh("ip -n n2 neigh show 10.43.0.1").out, Catch::Contains(mv_mac));

  const std::string vepa = device_kinds("mv.yaml", {{"mode: bridge", "mode: vepa"}});
  Run up = netlab("up " + vepa);
  CHECK(up.rc == 0);
  CHECK(changes(up.out) == std::vector<std::string>{"~ n1:mv0 mode vepa (was bridge)"});
  CHECK_THAT(link_details("n1", "mv0"), Catch::Contains("macvlan mode vepa"));
  require_checks_pass(vepa);

  REQUIRE(sh("ip -n n1 link set mv0 type macvlan mode private").rc == 0);
  Run status = netlab("status " + vepa);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("different n1/mv0/mode: want vepa, have private"));
  Run repair = netlab("up " + vepa);
  CHECK(changes(repair.out) == std::vector<std::string>{"~ n1:mv0 mode vepa (was private)"});
  CHECK(netlab("status " + vepa).rc == 0);

  const std::string parent = device_kinds("mv.yaml", {{"mode: bridge", "mode: passthru"}});
  Run passthru = netlab("up " + parent);
  CHECK(passthru.rc == 0);
  CHECK_THAT(passthru.out, Catch::Contains("- macvlan n1:mv0 (re-created: mode passthru, was vepa)"));
  CHECK(netlab("status " + parent).rc == 0);

  const std::string gone = device_kinds(
      "mv.yaml", {{"      mv0: {kind: macvlan, parent: eth0, mode: bridge, addresses: [10.43.0.1/24]}\n", ""},
                  {"  - {from: n2, ping: 10.43.0.1}", "  - {from: n2, ping: 10.43.0.1, expect: fail}"}});
  Run removed = netlab("up " + gone);
  CHECK(changes(removed.out) == std::vector<std::string>{"- macvlan n1:mv0"});
  CHECK(sh("ip -n n1 link show mv0").rc != 0);
  require_checks_pass(gone);
  CHECK(netlab("down " + gone).rc == 0);
  require_nothing_left();
}

TEST_CASE("vxlan: read back, id and remote changed in the file, re-made by hand, removed", "[kinds][vxlan]") {
  const std::string file = device_kinds("vx.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK_THAT(link_details("n1", "vx0"), Catch::Contains("vxlan id 42 remote 10.42.0.2 local 10.42.0.1 dev eth0"));
  CHECK(netlab("status " + file).rc == 0);

  // The VNI cannot change on a live link: both ends are re-made, with their state and addresses.
  const std::string vni = device_kinds("vx.yaml", {{"id: 42, local: 10.42.0.1", "id: 43, local: 10.42.0.1"},
                                                   {"id: 42, local: 10.42.0.2", "id: 43, local: 10.42.0.2"}});
  Run up = netlab("up " + vni);
  CHECK(up.rc == 0);
  CHECK(changes(up.out) == std::vector<std::string>{"- vxlan n1:vx0 (re-created: id 43, was 42)",
                                                    "- vxlan n2:vx0 (re-created: id 43, was 42)", "+ vxlan n1:vx0",
                                                    "+ vxlan n2:vx0", "~ n1:vx0 up", "~ n2:vx0 up",
                                                    "+ address n1:vx0 10.44.0.1/24", "+ address n2:vx0 10.44.0.2/24"});
  CHECK_THAT(link_details("n2", "vx0"), Catch::Contains("vxlan id 43"));
  require_checks_pass(vni);

  // The remote can: n1 now sends to a new address of n2, which decapsulates on any of its own.
  const std::string remote = device_kinds("vx.yaml", {{"id: 42, local: 10.42.0.1", "id: 43, local: 10.42.0.1"},
                                                      {"id: 42, local: 10.42.0.2", "id: 43, local: 10.42.0.2"},
                                                      {"remote: 10.42.0.2", "remote: 10.42.0.20"},
                                                      {"10.43.0.2/24]", "10.43.0.2/24, 10.42.0.20/24]"}});
  Run moved = netlab("up " + remote);
  CHECK(changes(moved.out) ==
        std::vector<std::string>{"~ n1:vx0 remote 10.42.0.20 (was 10.42.0.2)", "+ address n2:eth0 10.42.0.20/24"});
  CHECK_THAT(link_details("n1", "vx0"), Catch::Contains("remote 10.42.0.20"));
  require_checks_pass(remote);

  // By hand: another VNI under the same name (tagged as the lab's, so it is ours to fix).
  REQUIRE(sh("ip -n n1 link del vx0 && ip -n n1 link add vx0 type vxlan id 99 remote 10.42.0.20 local 10.42.0.1 "
             "dstport 4789 dev eth0 && ip -n n1 link set vx0 alias netlab:device-kinds")
              .rc == 0);
  Run status = netlab("status " + remote);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("different n1/vx0/id: want 43, have 99"));
  Run repair = netlab("up " + remote);
  CHECK(repair.rc == 0);
  CHECK_THAT(repair.out, Catch::Contains("- vxlan n1:vx0 (re-created: id 43, was 99)"));
  CHECK(netlab("status " + remote).rc == 0);
  require_checks_pass(remote);

  const std::string gone = device_kinds(
      "vx.yaml",
      {{"      vx0: {kind: vxlan, id: 42, local: 10.42.0.1, remote: 10.42.0.2, dev: eth0, addresses: [10.44.0.1/24]}\n",
        ""},
       {"      vx0: {kind: vxlan, id: 42, local: 10.42.0.2, remote: 10.42.0.1, dev: eth0, addresses: [10.44.0.2/24]}\n",
        ""},
       {"  - {from: n1, ping: 10.44.0.2}          # through the vxlan tunnel\n", ""},
       {"  - {from: n2, tcp: \"10.44.0.1:7000\", listen: n1}\n", ""}});
  Run removed = netlab("up " + gone);
  CHECK(changes(removed.out) ==
        std::vector<std::string>{"- address n2:eth0 10.42.0.20/24", "- vxlan n1:vx0", "- vxlan n2:vx0"});
  CHECK(netlab("down " + gone).rc == 0);
  require_nothing_left();
}

TEST_CASE("tun/tap: user, group and multi_queue read back and changed", "[kinds][tun]") {
  const std::string file = write_temp("tun.yaml", R"(name: tuns
nodes:
  n1:
    interfaces:
      tap0: {kind: tap, user: daemon, group: users, addresses: [10.40.0.1/24]}
      tun0: {kind: tun, user: 65534}
)");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK_THAT(link_details("n1", "tap0"), Catch::Contains("tun type tap") && Catch::Contains("user daemon group users"));
  CHECK_THAT(link_details("n1", "tun0"), Catch::Contains("user nobody"));
  CHECK(netlab("status " + file).rc == 0); // a name and a number compare by id

  std::string text = read_file(file);
  const std::string owner =
      write_temp("tun.yaml", edit(text, "user: daemon, group: users", "user: nobody, group: nogroup"));
  Run up = netlab("up " + owner);
  CHECK(changes(up.out) == std::vector<std::string>{"~ n1:tap0 user nobody (was daemon), group nogroup (was users)"});
  CHECK_THAT(link_details("n1", "tap0"), Catch::Contains("user nobody group nogroup"));
  CHECK(netlab("status " + owner).rc == 0);

  const std::string mq = write_temp("tun.yaml", edit(text, "group: users,", "group: users, multi_queue: true,"));
  Run queues = netlab("up " + mq);
  CHECK(queues.rc == 0);
  CHECK(changes(queues.out) == std::vector<std::string>{"- tap n1:tap0 (re-created: multi_queue on, was off)",
                                                        "+ tap n1:tap0", "~ n1:tap0 up",
                                                        "+ address n1:tap0 10.40.0.1/24"});
  CHECK_THAT(link_details("n1", "tap0"), Catch::Contains("multi_queue") && Catch::Contains("user daemon group users"));
  CHECK(netlab("status " + mq).rc == 0);

  Run unknown = netlab("up " + write_temp("tun.yaml", edit(text, "user: daemon", "user: no-such-user")));
  CHECK(unknown.rc == 1);
  CHECK_THAT(unknown.out, Catch::Contains("tap n1:tap0: unknown user 'no-such-user'; nothing was changed"));
  CHECK(netlab("down " + mq).rc == 0);
  require_nothing_left();
}

TEST_CASE("lab bridge-vlans: lifecycle, or the refusal on a kernel without 802.1Q", "[kinds][vlans][lab]") {
  const std::string file = topology("bridge-vlans.yaml");
  bool vlan = kernel_has_vlan(), filtering = kernel_has_vlan_filtering();
  if (!vlan || !filtering) {
    Run up = netlab("up " + file);
    CHECK(up.rc == 1);
    if (!vlan)
      CHECK_THAT(up.out, Catch::Contains("interface kind 'vlan' is not supported by this kernel (needs "
                                         "CONFIG_VLAN_8021Q); nothing was changed"));
    if (!filtering)
      CHECK_THAT(up.out, Catch::Contains("bridge sw:br0 vlan_filtering needs CONFIG_BRIDGE_VLAN_FILTERING, which this "
                                         "kernel lacks; nothing was changed"));
    CHECK(changes(up.out).empty());
    CHECK(sh("ip -o link show | grep -vc ': lo:' || true").out == "0\n"); // nothing but lo
    require_nothing_left();
    skip(std::string("this kernel lacks ") + (vlan ? "" : "CONFIG_VLAN_8021Q ") +
         (filtering ? "" : "CONFIG_BRIDGE_VLAN_FILTERING") +
         ": checked the refusal only; the lab itself runs where the kernel has them");
    return;
  }
  lifecycle("bridge-vlans.yaml");
}

TEST_CASE("bridge VLANs: port lists changed in the file and by hand, traffic follows", "[kinds][vlans]") {
  if (!kernel_has_vlan() || !kernel_has_vlan_filtering()) {
    skip("this kernel lacks CONFIG_VLAN_8021Q or CONFIG_BRIDGE_VLAN_FILTERING (the refusal is tested above)");
    return;
  }
  const std::string file = topology("bridge-vlans.yaml");
  REQUIRE(netlab("up " + file).rc == 0);
  CHECK_THAT(sh("bridge -n sw vlan show dev p1").out, Catch::Contains("10 PVID Egress Untagged"));
  CHECK_THAT(link_details("sw", "br0"), Catch::Contains("vlan_filtering 1"));
  CHECK_THAT(link_details("r", "eth0.10"), Catch::Contains("vlan protocol 802.1Q id 10"));

  // h4 moves into VLAN 10: now h1 reaches it.
  std::string text = read_file(file);
  text = edit(text, "p4: {master: br0, vlans: [20 pvid untagged]}", "p4: {master: br0, vlans: [10 pvid untagged]}");
  text = edit(text, "{from: h1, ping: 10.10.0.4, expect: fail}", "{from: h1, ping: 10.10.0.4}");
  const std::string joined = write_temp("vlans.yaml", text);
  Run up = netlab("up " + joined);
  CHECK(changes(up.out) == std::vector<std::string>{"~ sw:p4 vlans 10 pvid untagged (was 20 pvid untagged)"});
  require_checks_pass(joined);

  // By hand: p1 loses VLAN 10 and is back in VLAN 1.
  REQUIRE(sh("bridge -n sw vlan del dev p1 vid 10 && bridge -n sw vlan add dev p1 vid 1 pvid untagged").rc == 0);
  CHECK(netlab("test " + joined).rc == 3);
  Run status = netlab("status " + joined);
  CHECK(status.rc == 3);
  CHECK_THAT(status.out, Catch::Contains("different sw/p1/vlans: want 10 pvid untagged, have 1 pvid untagged"));
  Run repair = netlab("up " + joined);
  CHECK(changes(repair.out) == std::vector<std::string>{"~ sw:p1 vlans 10 pvid untagged (was 1 pvid untagged)"});
  require_checks_pass(joined);

  // vlan_filtering by hand: off is drift too.
  REQUIRE(sh("ip -n sw link set br0 type bridge vlan_filtering 0").rc == 0);
  CHECK_THAT(netlab("status " + joined).out, Catch::Contains("different sw/br0/vlan_filtering: want on, have off"));
  CHECK(changes(netlab("up " + joined).out) == std::vector<std::string>{"~ sw:br0 vlan_filtering on (was off)"});
  CHECK(netlab("down " + joined).rc == 0);
  require_nothing_left();
}
