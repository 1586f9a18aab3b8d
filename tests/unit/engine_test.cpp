// The reconcile engine against the in-memory FakeKernel: plan shapes, order,
// convergence, idempotence, drift, sweep, conflicts and rollback.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/plan/inverse.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

using namespace netlab;
using namespace netlab::test;

TEST_CASE("first up creates everything in dependency order", "[engine]") {
  Lab lab;
  Plan p = lab.plan(parse(k_bridge_lab));
  auto l = lines(p);
  CHECK(index_of(l, "+ netns ns1") < index_of(l, "+ bridge host:br0"));
  CHECK(index_of(l, "+ bridge host:br0") < index_of(l, "+ veth ns1:vethB <-> host:vethA"));
  CHECK(index_of(l, "+ veth ns1:vethB <-> host:vethA") < index_of(l, "~ host:vethA master br0"));
  CHECK(index_of(l, "~ host:vethA master br0") < index_of(l, "~ host:vethA up"));
  CHECK(index_of(l, "~ ns1:lo up") < index_of(l, "+ address ns1:vethB 192.168.10.2/24"));
  CHECK(index_of(l, "+ address ns1:vethB 192.168.10.2/24") < index_of(l, "+ route ns1: default via 192.168.10.1"));
  CHECK(index_of(l, "+ route ns1: default via 192.168.10.1") <
        index_of(l, "~ sysctl host: net.ipv4.ip_forward = 1 (was 0)"));
  CHECK(p.conflicts.empty());
}

TEST_CASE("up converges and a second up changes nothing", "[engine]") {
  Lab lab;
  Topology t = parse(k_bridge_lab);
  lab.up(t);
  size_t writes = lab.kernel.writes;
  Plan again = lab.plan(t);
  CHECK(lines(again).empty());
  for (const auto& f : again.findings) CHECK(f.state == Finding::State::ok);
  CHECK(lab.kernel.writes == writes);
  CHECK(lab.kernel.link("ns2", "vethD")->mtu == 1400);
  CHECK(lab.kernel.link("host", "vethA")->master == "br0");
}

TEST_CASE("drift by hand is reported and repaired exactly", "[engine]") {
  Lab lab;
  Topology t = parse(k_bridge_lab);
  lab.up(t);
  lab.kernel.link("ns2", "vethD")->up = false;
  lab.kernel.link("ns1", "vethB")->addresses = {*Cidr::parse("192.168.10.9/24")};
  Plan p = lab.plan(t);
  // The kernel drops the routes out of vethB with its last IPv4 address: they are put back after.
  CHECK(lines(p) == std::vector<std::string>{"- route ns1: default via 192.168.10.1 dev vethB",
                                             "- address ns1:vethB 192.168.10.9/24", "~ ns2:vethD up",
                                             "+ address ns1:vethB 192.168.10.2/24",
                                             "+ route ns1: default via 192.168.10.1 dev vethB"});
  std::vector<std::string> drift;
  for (const auto& f : p.findings)
    if (f.state != Finding::State::ok) drift.push_back(std::string(to_string(f.state)) + " " + f.path);
  CHECK(drift == std::vector<std::string>{"missing ns1/vethB/addresses/192.168.10.2/24",
                                          "extra ns1/vethB/addresses/192.168.10.9/24", "different ns2/vethD/state"});
  lab.converge(t);
}

TEST_CASE("a deleted veth is recreated with its settings", "[engine]") {
  Lab lab;
  Topology t = parse(k_bridge_lab);
  lab.up(t);
  auto del = lab.kernel.apply(DeleteLink{{"ns1", NodeKind::netns, "/run/netns/ns1"}, *lab.kernel.link("ns1", "vethB"), {}, {}});
  REQUIRE(del);
  auto l = lines(lab.plan(t));
  CHECK(has_line(l, "+ veth ns1:vethB <-> host:vethA"));
  CHECK(has_line(l, "~ host:vethA master br0"));
  CHECK(has_line(l, "+ route ns1: default via 192.168.10.1"));
  lab.converge(t);
}

TEST_CASE("an edited file applies only the delta and sweeps what was removed", "[engine]") {
  Lab lab;
  lab.up(parse(k_bridge_lab));
  std::string edited = k_bridge_lab;
  // remove ns2 and its link; add ns3 on the bridge
  edited.replace(edited.find("  ns2:"), edited.find("links:") - edited.find("  ns2:"),
                 "  ns3:\n    interfaces:\n      vethF: {addresses: [192.168.10.4/24]}\n");
  edited.replace(edited.find("  - [ns2:vethD, host:vethC]"), std::string("  - [ns2:vethD, host:vethC]").size(),
                 "  - [ns3:vethF, host:vethC]");
  Plan p = lab.plan(parse(edited));
  auto l = lines(p);
  CHECK(has_line(l, "+ netns ns3"));
  CHECK(has_line(l, "- netns ns2"));
  CHECK(l.back() == "- netns ns2"); // irreversible deletions run last
  CHECK_FALSE(has_line(l, "+ netns ns1"));
  CHECK_FALSE(has_line(l, "+ route ns1: default via 192.168.10.1"));
  lab.up(parse(edited));
  CHECK(lab.plan(parse(edited)).actions.empty());
  CHECK_FALSE(lab.kernel.nodes.contains("ns2"));
}

TEST_CASE("down removes everything owned and restores host sysctls", "[engine]") {
  Lab lab;
  Topology t = parse(k_bridge_lab);
  lab.up(t);
  CHECK(lab.kernel.nodes["host"].sysctls["net.ipv4.ip_forward"] == "1");
  lab.up(empty_lab("lab1"));
  CHECK(lab.kernel.nodes["host"].sysctls["net.ipv4.ip_forward"] == "0");
  CHECK_FALSE(lab.kernel.nodes.contains("ns1"));
  CHECK(lab.kernel.nodes["host"].links.size() == 1); // only lo
  CHECK(lab.memory.nodes.empty());
}

TEST_CASE("foreign objects are conflicts, never touched", "[engine]") {
  Lab lab;
  ObservedNs foreign;
  foreign.ref = {"ns1", NodeKind::netns, "/run/netns/ns1"};
  foreign.exists = true;
  lab.kernel.nodes["ns1"] = foreign;
  ObservedLink user_link;
  user_link.name = "br0";
  user_link.kind = LinkKind::bridge;
  user_link.ifindex = 7;
  lab.kernel.nodes["host"].links.push_back(user_link);
  auto plan = plan_lab(lab.kernel, parse(k_bridge_lab), lab.memory);
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("namespace 'ns1' already exists and is not created by netlab"));
  CHECK_THAT(plan.error().message, Catch::Contains("link host:br0 already exists and is not created by netlab"));
  CHECK(lab.kernel.writes == 0);
}

TEST_CASE("a namespace of another lab is a conflict that names its way out", "[engine]") {
  Lab lab;
  ObservedNs other;
  other.ref = {"ns1", NodeKind::netns, "/run/netns/ns1"};
  other.exists = true;
  other.owner = "netlab:veth-pair";
  lab.kernel.nodes["ns1"] = other;
  auto plan = plan_lab(lab.kernel, parse(k_bridge_lab), lab.memory);
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("namespace 'ns1' already exists and is owned by lab 'veth-pair' "
                                                   "(netlab down -l veth-pair)"));
  CHECK(lab.kernel.writes == 0);
}

TEST_CASE("a failure mid-way undoes every completed change", "[engine]") {
  Lab lab;
  Topology t = parse(k_bridge_lab);
  auto before = lab.kernel.nodes;
  auto plan = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE(plan);
  lab.kernel.fail_write = plan->actions.size() - 2;
  auto r = apply_plan(lab.kernel, plan->actions);
  CHECK_FALSE(r.ok());
  CHECK(r.rolled_back);
  for (const auto& e : r.undo_errors) FAIL_CHECK(e);
  CHECK(lab.kernel.nodes.size() == before.size());
  CHECK(lab.kernel.nodes["host"].links.size() == before["host"].links.size());
  CHECK(lab.kernel.nodes["host"].sysctls == before["host"].sysctls);
}

TEST_CASE("a failure inside a stretch of namespace creations undoes the others of it too", "[engine]") {
  Lab lab;
  Topology t = parse(k_bridge_lab);
  auto before = lab.kernel.nodes;
  auto plan = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE(plan);
  REQUIRE(std::holds_alternative<CreateNetns>(plan->actions[0]));
  REQUIRE(std::holds_alternative<CreateNetns>(plan->actions[1]));
  lab.kernel.fail_write = 0; // ns1 fails; ns2, in the same stretch, is still made
  std::vector<std::string> seen;
  auto r = apply_plan(lab.kernel, plan->actions, [&](const Action& a, const Expected<void>& ok) {
    seen.push_back(describe(a) + (ok ? "" : " FAILED"));
  });
  CHECK(seen == std::vector<std::string>{"+ netns ns1 FAILED", "+ netns ns2"});
  CHECK(r.failed_index == 0u);
  CHECK(r.done == 1);
  CHECK(r.rolled_back);
  CHECK(lab.kernel.nodes.size() == before.size()); // ns2 undone
}

TEST_CASE("a kind the kernel lacks stops the run before any change", "[engine]") {
  Lab lab;
  auto plan = plan_lab(lab.kernel, parse(R"(
name: d
nodes:
  n1:
    interfaces:
      d0: {kind: dummy, addresses: [10.9.0.1/24]}
)"),
                       lab.memory);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message ==
        "interface kind 'dummy' is not supported by this kernel (needs CONFIG_DUMMY); nothing was changed");
  CHECK(lab.kernel.writes == 0);
}

TEST_CASE("create requests take the master and up changes that follow them", "[engine][fold]") {
  Lab lab;
  Plan p = lab.plan(parse(k_bridge_lab));
  auto up_of = [&](const std::string& node, const std::string& link) -> const SetUp& {
    return first_of<SetUp>(p, [&](const SetUp& u) { return u.ns.node == node && u.link == link; });
  };
  // The request names ns1:vethB, the end without IPv6 link-local: it is made up
  // (no carrier yet); host:vethA takes its master and up when it is tagged.
  const auto& veth = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "vethB"; });
  CHECK_FALSE(veth.peer_first);
  CHECK_FALSE(veth.master);
  CHECK(veth.up);
  CHECK(veth.other_master == "br0");
  CHECK(veth.other_up);
  CHECK(first_of<SetMaster>(p, [](const SetMaster& m) { return m.link == "vethA"; }).in_create);
  CHECK(up_of("host", "vethA").in_create);
  CHECK(up_of("ns1", "vethB").in_create);
  const auto& bridge = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "br0"; });
  CHECK(bridge.up);
  CHECK_FALSE(bridge.master);
  CHECK(first_of<CreateNetns>(p, [](const CreateNetns& n) { return n.ns.node == "ns1"; }).lo_up);
  CHECK(up_of("ns1", "lo").in_create);
  // Folded changes still print, after their create, and are undone with their link.
  CHECK(index_of(lines(p), "~ host:vethA master br0") > index_of(lines(p), "+ veth ns1:vethB <-> host:vethA"));
  CHECK(inverse(up_of("host", "vethA")).empty());
  CHECK(explain(up_of("host", "vethA")) == std::vector<std::string>{"# done by the create request above"});
  CHECK(explain(veth) == std::vector<std::string>{
                             "ip -n ns1 link add vethB address 02:bd:e6:f3:34:30 numtxqueues 1 numrxqueues 1 up type veth "
                             "peer name vethA address 02:d5:52:58:88:13 numtxqueues 1 numrxqueues 1 netns 1",
                             "sysctl -qw net/ipv6/conf/vethA/disable_ipv6=1",
                             "ip -n ns1 link set vethB alias netlab:lab1 addrgenmode none",
                             "ip link set vethA alias netlab:lab1 master br0 up"});
}

TEST_CASE("the end without link-local is named by the create request even when declared second", "[engine][fold]") {
  Plan p = Lab{}.plan(parse(R"(
name: lab1
nodes:
  host: {kind: host, interfaces: {vX: {addresses: [10.2.0.1/24]}}}
  ns1: {interfaces: {e0: {addresses: [10.2.0.2/24]}}}
links: [[host:vX, ns1:e0]]
)"));
  const auto& veth = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "vX"; });
  CHECK(veth.peer_first);
  CHECK(veth.peer_addrgen_none);
  CHECK_FALSE(veth.addrgen_none);
  CHECK(veth.up);       // ns1:e0, in the create request: no carrier yet
  CHECK(veth.other_up); // host:vX, in its tag request
  CHECK_FALSE(veth.no_ipv6); // not a bridge port: the host may route IPv6 over it one day
  CHECK(explain(veth)[1] == "ip -n ns1 link set e0 alias netlab:lab1 addrgenmode none");
  CHECK(explain(veth)[2] == "ip link set vX alias netlab:lab1 up");
}

TEST_CASE("with IPv6 on both ends, the end with a master is named by the create request", "[engine][fold]") {
  Topology topo = parse(k_bridge_lab);
  topo.nodes[1].ipv6 = true;
  Plan p = Lab{}.plan(topo);
  const auto& veth = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "vethB"; });
  CHECK(veth.peer_first);
  CHECK(veth.master == "br0");
  CHECK(veth.up);
  CHECK_FALSE(veth.other_master);
  CHECK(veth.other_up); // ns1:vethB, in its tag request
  CHECK(explain(veth)[0] == "ip link add vethA address 02:d5:52:58:88:13 numtxqueues 1 numrxqueues 1 master br0 up "
                                      "type veth peer name vethB address 02:bd:e6:f3:34:30 numtxqueues 1 numrxqueues 1 "
                                      "netns ns1");
  CHECK(explain(veth)[2] == "ip -n ns1 link set vethB alias netlab:lab1 up");
}

TEST_CASE("a lab built with folded creates converges", "[engine][fold]") {
  Lab lab;
  lab.up(parse(k_bridge_lab));
  const ObservedLink* a = lab.kernel.nodes["host"].find_link("vethA");
  REQUIRE(a);
  CHECK(a->master == "br0");
  CHECK(a->up);
  CHECK(lab.kernel.nodes["ns1"].lo_up);
  CHECK(lab.plan(parse(k_bridge_lab)).empty());
}

TEST_CASE("IPv4-only namespaces are made without IPv6 on their links, and an edit switches it", "[engine][ipv6]") {
  Lab lab;
  Topology v4 = parse(k_bridge_lab);
  Plan p = lab.up(v4);
  // The namespace end gets no link-local address; the host end, a bridge port,
  // no IPv6 at all (CreateLink::no_ipv6).
  const auto& veth = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "vethB"; });
  CHECK(veth.addrgen_none);
  CHECK_FALSE(veth.peer_addrgen_none);
  CHECK(veth.peer_no_ipv6);
  CHECK_FALSE(veth.no_ipv6);
  CHECK(explain(veth)[1] == "sysctl -qw net/ipv6/conf/vethA/disable_ipv6=1");
  CHECK(explain(veth)[2] == "ip -n ns1 link set vethB alias netlab:lab1 addrgenmode none");
  CHECK_FALSE(first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "br0"; }).addrgen_none);
  CHECK(lab.kernel.nodes["ns1"].sysctls.empty()); // nothing written under /proc/sys
  CHECK(lab.memory.ipv6_off == std::vector<std::string>{"ns1", "ns2"});

  // An IPv6 address turns it on before the address is added.
  Topology v6 = v4;
  v6.nodes[1].interfaces[0].addresses.push_back(*Cidr::parse("fd00::2/64"));
  auto l = lines(lab.plan(v6));
  // The link made with address generation mode "none" gets its link-local address.
  CHECK(index_of(l, "~ sysctl ns1: net.ipv6.conf.vethB.addr_gen_mode = 0 (was 1)") <
        index_of(l, "+ address ns1:vethB fd00::2/64"));
  CHECK_FALSE(has_part(l, "disable_ipv6"));
  CHECK(lab.up(v6).actions.size() == 2);
  CHECK(lab.memory.ipv6_off == std::vector<std::string>{"ns2"});
  CHECK(lab.plan(v6).empty());

  // `ipv6: false` turns it off again, for the existing link too.
  Topology off = v6;
  off.nodes[1].interfaces[0].addresses.pop_back();
  off.nodes[1].ipv6 = false;
  l = lines(lab.plan(off));
  // Mode none, then IPv6 off and on again: its addresses go and no link-local comes back.
  CHECK(l == std::vector<std::string>{"- address ns1:vethB fd00::2/64",
                                      "~ sysctl ns1: net.ipv6.conf.vethB.addr_gen_mode = 1 (was 0)",
                                      "~ sysctl ns1: net.ipv6.conf.vethB.disable_ipv6 = 1 (was 0)",
                                      "~ sysctl ns1: net.ipv6.conf.vethB.disable_ipv6 = 0 (was 1)"});
}

TEST_CASE("a link below 1280 bytes has no IPv6 to switch off or on", "[engine][ipv6]") {
  Topology t = parse(k_bridge_lab);
  t.nodes[1].interfaces[0].mtu = 1000; // ns1:vethB
  Lab lab;
  Plan p = lab.up(t);
  const auto& veth = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "vethB"; });
  CHECK_FALSE(veth.addrgen_none); // the kernel would refuse it: EAFNOSUPPORT
  CHECK(first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "vethD"; }).addrgen_none);
  t.nodes[1].ipv6 = true;
  CHECK(lab.plan(t).actions.empty()); // no net.ipv6.conf.vethB.* to write
}

TEST_CASE("a link deleted in an IPv4-only namespace is re-made without link-local on undo", "[engine][ipv6]") {
  Lab lab;
  Topology t = parse(k_bridge_lab);
  lab.up(t);
  Topology fewer = t;
  std::erase_if(fewer.links, [](const Link& l) { return l.a.node == "ns1" || l.b.node == "ns1"; });
  std::erase_if(fewer.nodes[0].interfaces, [](const Interface& i) { return i.name == "vethA"; });
  fewer.nodes[1].interfaces.clear();
  fewer.nodes[1].routes.clear();
  Plan p = lab.plan(fewer);
  const auto& d = first_of<DeleteLink>(p, [](const DeleteLink&) { return true; });
  // Whichever end the plan names, the ns1 end was made without link-local, the host end with.
  CHECK(d.addrgen_none == (d.ns.node == "ns1"));
  CHECK(d.peer_addrgen_none == (d.ns.node != "ns1"));
  const std::vector<Action> undo = inverse(Action{d});
  const auto& again = action_get<CreateLink>(undo.front());
  CHECK(again.addrgen_none == d.addrgen_none);
  CHECK(again.peer_addrgen_none == d.peer_addrgen_none);
}

TEST_CASE("a link of an IPv4-only namespace that would have carrier at once comes up after its tag", "[engine][ipv6][fold]") {
  const Topology topo = parse(R"(
name: lab1
nodes:
  r:
    interfaces:
      br1: {kind: bridge, addresses: [10.1.0.1/24]}
      p1: {master: br1}
  s: {interfaces: {e0: {addresses: [10.1.0.2/24]}}}
links: [[r:p1, s:e0]]
)");
  Lab lab;
  Plan p = lab.up(topo);
  // A bridge without ports has carrier: made up, it would have fe80:: before the tag.
  const auto& bridge = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "br1"; });
  CHECK(bridge.addrgen_none);
  CHECK_FALSE(bridge.up);
  CHECK_FALSE(first_of<SetUp>(p, [](const SetUp& u) { return u.link == "br1"; }).in_create);
  // A new veth end has no carrier until its peer is up, so it may be made up;
  // the other end, also without link-local, comes up after its tag.
  const auto& veth = first_of<CreateLink>(p, [](const CreateLink& c) { return c.iface.name == "p1"; });
  CHECK(veth.addrgen_none);
  CHECK(veth.peer_addrgen_none);
  CHECK(veth.up);
  CHECK_FALSE(veth.other_up);
  CHECK_FALSE(first_of<SetUp>(p, [](const SetUp& u) { return u.link == "e0"; }).in_create);
  CHECK(lab.plan(topo).empty());
}

TEST_CASE("ipv6 is a key of namespaces netlab creates only", "[engine][ipv6]") {
  auto raw = load_string("name: t\nnodes:\n  host: {kind: host, ipv6: false}\n  a: {ipv6: true}\n", "t.yaml");
  REQUIRE(raw);
  auto topo = validate(*raw);
  REQUIRE_FALSE(topo);
  REQUIRE(topo.error().size() == 1);
  CHECK(topo.error()[0].str() == "t.yaml:3:28: 'ipv6' applies to namespaces netlab creates; node 'host' is kind host");
}
