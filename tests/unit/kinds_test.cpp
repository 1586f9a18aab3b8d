// Kind-specific settings and bridge VLANs through the engine on the FakeKernel:
// what changes in place, what re-creates a link (and what goes with it), drift,
// the VLAN lists of ports, undo, and the refusals before any change.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/plan/diff_kinds.hpp>
#include <netlab/plan/inverse.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

#include <regex>

using namespace netlab;
using netlab::test::FakeKernel;
using netlab::test::has_line;
using netlab::test::Lines;
using netlab::test::lines;
using netlab::test::parse;

namespace {

Lines drift(const Plan& p) {
  Lines out;
  for (const auto& f : p.findings)
    if (f.state != Finding::State::ok)
      out.push_back(std::string(to_string(f.state)) + " " + f.path + ": want " + f.want + ", have " + f.have);
  return out;
}

/// test::Lab that also checks each run converged.
struct Lab : test::Lab {
  Plan up(const Topology& t) { return converge(t); }
};

/// `text` with the first `from` replaced by `to`.
std::string edit(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

const char* k_kinds_lab = R"(
name: kinds
nodes:
  n1:
    interfaces:
      tap0: {kind: tap, user: daemon, addresses: [10.40.0.1/24]}
      eth0: {addresses: [10.42.0.1/24]}
      mv0: {kind: macvlan, parent: eth0, mode: bridge, addresses: [10.43.0.1/24]}
      vx0: {kind: vxlan, id: 42, local: 10.42.0.1, remote: 10.42.0.2, dev: eth0, addresses: [10.44.0.1/24]}
    routes: [10.99.0.0/16 via 10.44.0.2]
  n2:
    interfaces:
      eth0: {addresses: [10.42.0.2/24]}
links:
  - [n1:eth0, n2:eth0]
)";

const char* k_vlan_lab = R"(
name: vl
nodes:
  sw:
    interfaces:
      br0: {kind: bridge, vlan_filtering: true}
      p1: {master: br0, vlans: [10 pvid untagged]}
      p2: {master: br0, vlans: [10 pvid untagged, 20]}
  h1:
    interfaces:
      eth0: {addresses: [10.10.0.1/24]}
  h2:
    interfaces:
      eth0: {addresses: [10.10.0.2/24]}
links:
  - [h1:eth0, sw:p1]
  - [h2:eth0, sw:p2]
)";

const NsRef k_n1{"n1", NodeKind::netns, "/run/netns/n1"};

} // namespace

TEST_CASE("kind settings read back as created: a second up changes nothing", "[kinds]") {
  Lab lab;
  lab.up(parse(k_kinds_lab));
  const ObservedLink* vx = lab.kernel.link("n1", "vx0");
  REQUIRE(vx->vxlan);
  CHECK(vx->vxlan->id == 42u);
  CHECK(lab.kernel.link("n1", "mv0")->macvlan == MacvlanOptions{"eth0", "bridge"});
  CHECK(lab.kernel.link("n1", "tap0")->tun->uid == 1u);
  for (const auto& f : lab.plan(parse(k_kinds_lab)).findings)
    CHECK(f.state == Finding::State::ok);
}

TEST_CASE("macvlan mode and vxlan remote change in place", "[kinds]") {
  Lab lab;
  lab.up(parse(k_kinds_lab));
  std::string edited = edit(edit(k_kinds_lab, "mode: bridge", "mode: vepa"), "remote: 10.42.0.2", "remote: 10.42.0.3");
  Plan p = lab.plan(parse(edited));
  CHECK(lines(p) == Lines{"~ n1:mv0 mode vepa (was bridge)", "~ n1:vx0 remote 10.42.0.3 (was 10.42.0.2)"});
  CHECK(drift(p) == Lines{"different n1/mv0/mode: want vepa, have bridge",
                          "different n1/vx0/remote: want 10.42.0.3, have 10.42.0.2"});
  CHECK(explain(p.actions[0]) == Lines{"ip -n n1 link set mv0 type macvlan mode vepa"});
  CHECK(explain(p.actions[1]) == Lines{"ip -n n1 link set vx0 type vxlan remote 10.42.0.3 local 10.42.0.1"});
  lab.up(parse(edited));
  CHECK(lab.kernel.link("n1", "mv0")->macvlan->mode == "vepa");
}

TEST_CASE("a vxlan id change re-creates the link with its state, addresses and routes", "[kinds]") {
  Lab lab;
  lab.up(parse(k_kinds_lab));
  Topology t = parse(edit(k_kinds_lab, "id: 42", "id: 43"));
  Plan p = lab.plan(t);
  CHECK(lines(p) == Lines{"- route n1: 10.99.0.0/16 via 10.44.0.2 dev vx0",
                          "- vxlan n1:vx0 (re-created: id 43, was 42)", "+ vxlan n1:vx0", "~ n1:vx0 up",
                          "+ address n1:vx0 10.44.0.1/24", "+ route n1: 10.99.0.0/16 via 10.44.0.2"});
  CHECK(drift(p) == Lines{"different n1/vx0/id: want 43, have 42"});
  lab.up(t);
  CHECK(lab.kernel.link("n1", "vx0")->vxlan->id == 43u);
}

TEST_CASE("a macvlan parent change re-creates it, and a re-created parent takes its macvlan and vxlan along", "[kinds]") {
  Lab lab;
  lab.up(parse(k_kinds_lab));
  std::string with_eth1 = edit(k_kinds_lab, "      mv0:", "      eth1: {}\n      mv0:");
  with_eth1 = edit(with_eth1, "  - [n1:eth0, n2:eth0]", "  - [n1:eth0, n2:eth0]\n  - [n1:eth1, n2:eth1]");
  lab.up(parse(with_eth1));
  Plan moved = lab.plan(parse(edit(with_eth1, "parent: eth0", "parent: eth1")));
  CHECK(lines(moved) == Lines{"- macvlan n1:mv0 (re-created: parent eth1, was eth0)", "+ macvlan n1:mv0", "~ n1:mv0 up",
                              "+ address n1:mv0 10.43.0.1/24"});

  // n1:eth0 now pairs with n2:eth1: the veth is re-made, and what sits on eth0 goes with it.
  Topology repaired = parse(edit(with_eth1, "  - [n1:eth0, n2:eth0]\n  - [n1:eth1, n2:eth1]",
                                 "  - [n1:eth0, n2:eth1]\n  - [n1:eth1, n2:eth0]"));
  auto l = lines(lab.plan(repaired));
  CHECK(has_line(l, "- macvlan n1:mv0 (re-created: eth0 is re-created)"));
  CHECK(has_line(l, "- vxlan n1:vx0 (re-created: eth0 is re-created)"));
  CHECK(has_line(l, "+ route n1: 10.99.0.0/16 via 10.44.0.2"));
  lab.up(repaired); // converges: the macvlan and the vxlan are back
  CHECK(lab.kernel.link("n1", "mv0"));
  CHECK(lab.kernel.link("n1", "vx0"));
}

TEST_CASE("kind settings changed by hand are drift, and up repairs them", "[kinds]") {
  Lab lab;
  Topology t = parse(k_kinds_lab);
  lab.up(t);
  lab.kernel.link("n1", "mv0")->macvlan->mode = "private";
  lab.kernel.link("n1", "vx0")->vxlan->id = 7;
  Plan p = lab.plan(t);
  CHECK(drift(p) == Lines{"different n1/mv0/mode: want bridge, have private", "different n1/vx0/id: want 42, have 7"});
  auto l = lines(p);
  CHECK(has_line(l, "~ n1:mv0 mode bridge (was private)"));
  CHECK(has_line(l, "- vxlan n1:vx0 (re-created: id 42, was 7)"));
  lab.up(t);
}

TEST_CASE("tun/tap owners: by name or id, in place, while multi_queue or no owner re-creates", "[kinds]") {
  Lab lab;
  lab.up(parse(k_kinds_lab));
  CHECK(lab.plan(parse(edit(k_kinds_lab, "user: daemon", "user: 1"))).actions.empty()); // the same uid
  CHECK(lines(lab.plan(parse(edit(k_kinds_lab, "user: daemon", "user: nobody, group: users")))) ==
        Lines{"~ n1:tap0 user nobody (was daemon), group users (was (none))"});
  CHECK(lines(lab.plan(parse(edit(k_kinds_lab, "user: daemon", "user: daemon, multi_queue: true"))))[0] ==
        "- tap n1:tap0 (re-created: multi_queue on, was off)");
  CHECK(lines(lab.plan(parse(edit(k_kinds_lab, "user: daemon, ", ""))))[0] ==
        "- tap n1:tap0 (re-created: user (none), was daemon)");
  Topology both = parse(edit(k_kinds_lab, "user: daemon", "user: nobody, group: users"));
  lab.up(both);
  CHECK(lab.kernel.link("n1", "tap0")->tun->uid == 65534u);
  CHECK(lab.kernel.link("n1", "tap0")->tun->gid == 100u);
}

TEST_CASE("an unknown tun owner is refused before any change", "[kinds]") {
  Lab lab;
  auto plan = plan_lab(lab.kernel, parse(edit(k_kinds_lab, "user: daemon", "user: no-such-user-here")), lab.memory);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message == "tap n1:tap0: unknown user 'no-such-user-here'; nothing was changed");
  CHECK(lab.kernel.writes == 0);
}

TEST_CASE("undoing a re-created vxlan puts back the old one, id and all", "[kinds]") {
  Lab lab;
  lab.up(parse(k_kinds_lab));
  auto before = lab.kernel.nodes;
  auto plan = plan_lab(lab.kernel, parse(edit(k_kinds_lab, "id: 42", "id: 43")), lab.memory);
  REQUIRE(plan);
  lab.kernel.fail_write = plan->actions.size() - 1; // the route, after the link was re-made
  auto r = apply_plan(lab.kernel, plan->actions);
  CHECK(r.rolled_back);
  for (const auto& e : r.undo_errors)
    FAIL_CHECK(e);
  const ObservedLink* vx = lab.kernel.link("n1", "vx0");
  REQUIRE(vx);
  CHECK(vx->vxlan == before["n1"].find_link("vx0")->vxlan);
  CHECK(vx->addresses == before["n1"].find_link("vx0")->addresses);
  CHECK(lab.kernel.nodes["n1"].routes == before["n1"].routes);
  lab.kernel.fail_write.reset();
  CHECK(lab.plan(parse(k_kinds_lab)).actions.empty());
}

TEST_CASE("bridge vlan filtering: a fresh lab, then edits and drift of port VLANs", "[kinds][vlans]") {
  Lab lab;
  Topology t = parse(k_vlan_lab);
  Plan first = lab.up(t);
  auto l = lines(first);
  auto at = [&](const std::string& s) { return std::ranges::find(l, s) - l.begin(); };
  CHECK(at("+ bridge sw:br0") + 1 == at("~ sw:br0 vlan_filtering on (was off)"));
  CHECK(at("~ sw:p1 master br0") < at("~ sw:p1 vlans 10 pvid untagged (was 1 pvid untagged)"));
  CHECK(at("~ sw:p2 vlans 10 pvid untagged, 20 (was 1 pvid untagged)") < at("~ sw:p2 up"));
  CHECK(lab.kernel.link("sw", "p2")->vlans == std::vector<BridgeVlan>{{10, 10, true, true}, {20, 20, false, false}});

  Topology trunk = parse(edit(k_vlan_lab, "[10 pvid untagged, 20]", "[\"20-22\", 30 untagged]"));
  Plan p = lab.plan(trunk);
  CHECK(lines(p) == Lines{"~ sw:p2 vlans 20-22, 30 untagged (was 10 pvid untagged, 20)"});
  CHECK(drift(p) == Lines{"different sw/p2/vlans: want 20-22, 30 untagged, have 10 pvid untagged, 20"});
  CHECK(explain(p.actions[0]) == Lines{"bridge -n sw vlan del dev p2 vid 10", "bridge -n sw vlan add dev p2 vid 21-22",
                                       "bridge -n sw vlan add dev p2 vid 30 untagged"});
  lab.up(trunk);

  lab.kernel.link("sw", "p1")->vlans = std::vector<BridgeVlan>{{1, 1, true, true}, {10, 10, false, false}};
  CHECK(drift(lab.plan(trunk)) == Lines{"different sw/p1/vlans: want 10 pvid untagged, have 1 pvid untagged, 10"});
  lab.up(trunk);
  CHECK(lab.kernel.link("sw", "p1")->vlans == std::vector<BridgeVlan>{{10, 10, true, true}});

  Topology off = parse(edit(edit(edit(k_vlan_lab, ", vlan_filtering: true", ""), ", vlans: [10 pvid untagged]", ""),
                            ", vlans: [10 pvid untagged, 20]", ""));
  CHECK(lines(lab.plan(off)) == Lines{"~ sw:br0 vlan_filtering off (was on)"});
  lab.up(off);
}

TEST_CASE("a port that joins again starts from VLAN 1, and the bridge's own VLANs are 'self'", "[kinds][vlans]") {
  Lab lab;
  std::string self = edit(k_vlan_lab, "vlan_filtering: true}", "vlan_filtering: true, vlans: [10 pvid untagged]}");
  Topology t = parse(self);
  auto first = lines(lab.up(t));
  CHECK(has_line(first, "~ sw:br0 self vlans 10 pvid untagged (was 1 pvid untagged)"));
  CHECK(lab.kernel.link("sw", "br0")->vlans == std::vector<BridgeVlan>{{10, 10, true, true}});
  CHECK(lab.plan(t).actions.empty());
  // h1 and h2 swap ports: both veths are re-made and p1, p2 join br0 afresh, in VLAN 1.
  std::string swapped =
      edit(edit(self, "[h1:eth0, sw:p1]", "[h1:eth0, sw:p2]"), "[h2:eth0, sw:p2]", "[h2:eth0, sw:p1]");
  auto l = lines(lab.plan(parse(swapped)));
  CHECK(has_line(l, "~ sw:p1 vlans 10 pvid untagged (was 1 pvid untagged)"));
  CHECK(has_line(l, "~ sw:p2 vlans 10 pvid untagged, 20 (was 1 pvid untagged)"));
  CHECK(std::ranges::none_of(l, [](const std::string& s) { return s.starts_with("~ sw:br0"); })); // br0 keeps its own
  lab.up(parse(swapped));
}

TEST_CASE("a kernel without bridge VLAN filtering refuses the file before any change", "[kinds][vlans]") {
  Lab lab;
  lab.kernel.missing.insert(KernelFeature::bridge_vlan_filtering);
  auto plan = plan_lab(lab.kernel, parse(k_vlan_lab), lab.memory);
  REQUIRE_FALSE(plan);
  CHECK(
      plan.error().message ==
      "bridge sw:br0 vlan_filtering needs CONFIG_BRIDGE_VLAN_FILTERING, which this kernel lacks; nothing was changed");
  CHECK(lab.kernel.writes == 0);
  CHECK(lab.kernel.nodes.size() == 1); // only the host
}

TEST_CASE("kind settings undo exactly", "[kinds]") {
  Interface want;
  want.name = "mv0";
  want.kind = LinkKind::macvlan;
  want.macvlan = MacvlanOptions{"eth0", "vepa"};
  Interface old = want;
  old.macvlan->mode = "bridge";
  auto undo = inverse(SetLinkOptions{k_n1, want, old});
  REQUIRE(undo.size() == 1);
  CHECK(describe(undo[0]) == "~ n1:mv0 mode bridge (was vepa)");
  auto vlans = inverse(SetBridgeVlans{k_n1, "p1", false, {{10, 10, true, true}}, {{1, 1, true, true}}});
  REQUIRE(vlans.size() == 1);
  CHECK(describe(vlans[0]) == "~ n1:p1 vlans 1 pvid untagged (was 10 pvid untagged)");
}

TEST_CASE("VLAN lists compare per VLAN and print as ranges", "[kinds][vlans]") {
  std::vector<BridgeVlan> v{{30, 30, false, true}, {10, 12, false, false}, {13, 13, false, false}, {5, 5, true, true}};
  CHECK(vlans_text(canonical_vlans(v)) == "5 pvid untagged, 10-13, 30 untagged");
  CHECK(vlans_text({}) == "(none)");
  auto c = vlan_changes({{10, 20, false, false}}, {{1, 1, true, true}, {15, 15, false, true}});
  CHECK(vlans_text(c.remove) == "1");
  CHECK(vlans_text(c.add) == "10-20");
}
