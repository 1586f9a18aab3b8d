// Labs that span machines (topology/multihost.hpp): hosts: and host: in the
// validator, VNI allocation, one machine's part, the inventory.
#include <catch2/catch.hpp>

#include "unit.hpp"
#include <netlab/topology/instance.hpp>
#include <netlab/topology/multihost.hpp>

#include <algorithm>
#include <set>
#include <string>

using namespace netlab;
using netlab::test::has_part;
using netlab::test::parse;
using netlab::test::problems;

namespace {

const std::string k_two = R"(name: mh
hosts:
  m1: {underlay: 10.99.0.1, ansible_host: 10.99.0.1, ansible_user: root}
  m2: {underlay: 10.99.0.2, ansible_host: 10.99.0.2}
nodes:
  ns1:
    host: m1
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
  ns2:
    host: m2
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
  ns3:
    host: m2
links:
  - [ns1:eth0, ns2:eth0]
  - [ns2:x, ns3:x]
checks:
  - {from: ns1, ping: 10.0.0.2}
  - {from: ns2, ping: 10.0.0.1}
)";

const Interface& iface(const Topology& t, const std::string& node, const std::string& name) {
  const Node* n = t.find_node(node);
  REQUIRE(n);
  const Interface* i = n->find_interface(name);
  REQUIRE(i);
  return *i;
}

} // namespace

TEST_CASE("multihost: a file without hosts is unchanged and every node's host is empty") {
  auto t = parse("name: one\nnodes:\n  ns1:\n  ns2:\nlinks:\n  - [ns1:a, ns2:a]\n");
  CHECK(t.hosts.empty());
  CHECK(t.find_node("ns1")->host.empty());
  CHECK(link_vnis(t).empty());
}

TEST_CASE("multihost: the only machine is every node's default") {
  auto t = parse("name: one\nhosts:\n  m1: {underlay: 10.99.0.1}\nnodes:\n  ns1:\n  host: {kind: host}\n");
  CHECK(t.find_node("ns1")->host == "m1");
  CHECK(t.find_node("host")->host == "m1");
}

TEST_CASE("multihost: hosts are parsed with their ansible variables") {
  auto t = parse(k_two);
  REQUIRE(t.hosts.size() == 2);
  CHECK(t.hosts[0].name == "m1");
  CHECK(t.hosts[0].underlay.str() == "10.99.0.1");
  REQUIRE(t.hosts[0].vars.size() == 2);
  CHECK(t.hosts[0].vars[1] == std::pair<std::string, std::string>{"ansible_user", "root"});
  CHECK(t.vxlan_port == 4789);
}

TEST_CASE("multihost: validation errors carry positions") {
  auto p = problems(R"(name: bad
hosts:
  m1: {underlay: 10.99.0.1}
  m2: {underlay: 10.99.0.1, colour: red}
  m3: {}
  m4: {underlay: 10.99.0.4, "ansible_x\n  evil": 1}
nodes:
  ns1: {host: m1}
  ns2: {host: m9}
  ns3:
links:
  - {endpoints: [ns1:a, ns2:a], vni: 77}
  - {endpoints: [ns1:b, ns3:b], vni: 77}
)");
  INFO(Catch::Detail::stringify(p));
  CHECK(has_part(p, "t.yaml:4:29: unknown key 'colour' in machine 'm2'"));
  CHECK(has_part(p, "t.yaml:4:18: machine 'm2': underlay 10.99.0.1 is machine 'm1''s underlay already"));
  CHECK(has_part(p, "t.yaml:5:3: machine 'm3' needs 'underlay'"));
  CHECK(has_part(p, "t.yaml:6:29: variable 'ansible_x\\n  evil' of machine 'm4' is not an Ansible variable name"));
  CHECK(has_part(p, "t.yaml:9:15: node 'ns2': 'host' 'm9' is not a machine of 'hosts:'"));
  CHECK(has_part(p, "t.yaml:10:3: node 'ns3' needs 'host:'"));
}

TEST_CASE("multihost: overlapping VNIs and what cannot cross are refused with positions") {
  auto p = problems(R"(name: bad
hosts:
  m1: {underlay: 10.99.0.1}
  m2: {underlay: 10.99.0.2}
nodes:
  ns1:
    host: m1
    interfaces:
      t0: {kind: tap}
      vx: {kind: vxlan, id: 77, remote: 10.1.1.1}
  ns2: {host: m2}
  ns3: {host: m1}
links:
  - {endpoints: [ns1:a, ns2:a], vni: 77}
  - {endpoints: [ns1:b, ns2:b], vni: 77}
  - {endpoints: [ns1:c, ns3:c], vni: 5}
  - [ns1:t0, ns2:t0]
checks:
  - {from: ns1, tcp: "10.0.0.2:80", listen: ns2}
  - {from: ns1, peer: a, is: "ns2:a"}
)");
  INFO(Catch::Detail::stringify(p));
  CHECK(has_part(p, "t.yaml:10:7: vxlan 'ns1:vx': id 77 is the vni of the link at 14:38"));
  CHECK(has_part(p, "t.yaml:15:38: vni 77 is already used at 14:38"));
  CHECK(has_part(p, "t.yaml:16:38: 'vni' is for a link between machines"));
  CHECK(has_part(p, "t.yaml:17:6: link endpoint 'ns1:t0' is a tap; a link end must be a veth"));
  CHECK(std::ranges::count_if(p, [](const std::string& l) { return l.starts_with("t.yaml:17:6:"); }) == 1);
  CHECK(has_part(p, "t.yaml:19:45: 'listen': node 'ns2' is on machine 'm2'"));
  CHECK(has_part(p, "t.yaml:20:30: 'is': node 'ns2' is on machine 'm2'"));
}

TEST_CASE("multihost: one host node per machine") {
  auto ok = parse(R"(name: hh
hosts:
  m1: {underlay: 10.99.0.1}
  m2: {underlay: 10.99.0.2}
nodes:
  h1: {kind: host, host: m1}
  h2: {kind: host, host: m2}
)");
  CHECK(ok.nodes.size() == 2);
  auto p = problems(R"(name: hh
hosts:
  m1: {underlay: 10.99.0.1}
  m2: {underlay: 10.99.0.2}
nodes:
  h1: {kind: host, host: m1}
  h2: {host: m1, kind: host}
)");
  CHECK(has_part(p, "t.yaml:7:24: only one node can be kind host on machine 'm1'; node 'h1' already is"));
}

TEST_CASE("multihost: VNIs are stable, in range, unique and independent of file order") {
  auto t = parse(k_two);
  auto vnis = link_vnis(t);
  REQUIRE(vnis.size() == 1); // ns2:x - ns3:x stays on m2
  const uint32_t vni = vnis.at(0);
  CHECK(vni >= k_vni_first);
  CHECK(vni <= k_vni_last);
  CHECK(link_vnis(parse(k_two)) == vnis);
  // The same link written the other way round gets the same VNI.
  std::string swapped = k_two;
  swapped.replace(swapped.find("[ns1:eth0, ns2:eth0]"), 20, "[ns2:eth0, ns1:eth0]");
  CHECK(link_vnis(parse(swapped)).at(0) == vni);
  // Another lab name gives another VNI (two labs on one machine share its sockets).
  std::string other = k_two;
  other.replace(0, 8, "name: xy");
  CHECK(link_vnis(parse(other)).at(0) != vni);
}

TEST_CASE("multihost: VNI collisions move to the next free one in sorted order") {
  // Many links: whatever the hashes, all VNIs differ and stay in range.
  std::string yaml = "name: many\nhosts:\n  m1: {underlay: 10.99.0.1}\n  m2: {underlay: 10.99.0.2}\nnodes:\n"
                     "  a: {host: m1}\n  b: {host: m2}\nlinks:\n";
  for (int i = 0; i < 300; ++i) yaml += "  - [a:e" + std::to_string(i) + ", b:e" + std::to_string(i) + "]\n";
  auto t = parse(yaml);
  // A file VNI that equals a hash is skipped: pin one link's vni to what another would get.
  auto vnis = link_vnis(t);
  REQUIRE(vnis.size() == 300);
  std::set<uint32_t> distinct;
  for (const auto& [k, v] : vnis) {
    distinct.insert(v);
    CHECK(v >= k_vni_first);
  }
  CHECK(distinct.size() == 300);
  std::string pinned = yaml;
  pinned.replace(pinned.find("  - [a:e0, b:e0]"), 16, "  - {endpoints: [a:e0, b:e0], vni: " + std::to_string(vnis.at(1)) + "}");
  auto moved = link_vnis(parse(pinned));
  CHECK(moved.at(0) == vnis.at(1));
  CHECK(moved.at(1) != vnis.at(1));
  CHECK(moved.at(1) >= k_vni_first);
}

TEST_CASE("multihost: one machine's part has its nodes and vxlan tunnel ends") {
  auto t = parse(k_two);
  const uint32_t vni = link_vnis(t).at(0);
  auto m1 = for_host(t, "m1");
  REQUIRE(m1);
  CHECK(m1->topo.part_of == "m1");
  REQUIRE(m1->topo.nodes.size() == 1);
  const Interface& e = iface(m1->topo, "ns1", "eth0");
  CHECK(e.kind == LinkKind::vxlan);
  CHECK_FALSE(e.peer);
  REQUIRE(e.vxlan);
  CHECK(e.vxlan->id == vni);
  CHECK(e.vxlan->remote->str() == "10.99.0.2");
  CHECK(e.vxlan->local->str() == "10.99.0.1");
  CHECK(e.vxlan->dstport == 4789);
  CHECK(e.vxlan->underlay_host);
  CHECK(e.mtu == 1450u);
  CHECK(e.addresses.size() == 1);
  CHECK(m1->topo.links.empty());
  REQUIRE(m1->topo.checks.size() == 1);
  CHECK(m1->topo.checks[0].from == "ns1");

  auto m2 = for_host(t, "m2");
  REQUIRE(m2);
  CHECK(m2->topo.nodes.size() == 2);
  CHECK(m2->topo.links.size() == 1); // ns2:x - ns3:x stays a veth
  CHECK(iface(m2->topo, "ns2", "x").kind == LinkKind::veth);
  const Interface& f = iface(m2->topo, "ns2", "eth0");
  CHECK(f.vxlan->id == vni);
  CHECK(f.vxlan->remote->str() == "10.99.0.1");
  CHECK(f.vxlan->local->str() == "10.99.0.2");
  CHECK(m2->warnings.empty());
}

TEST_CASE("multihost: the MTU rule and its warning") {
  std::string yaml = k_two;
  yaml.replace(yaml.find("vxlan") == std::string::npos ? 0 : 0, 0, "");
  yaml.replace(yaml.find("m1: {underlay: 10.99.0.1,"), 25, "m1: {underlay: 10.99.0.1, underlay_mtu: 9000,");
  yaml.replace(yaml.find("eth0: {addresses: [10.0.0.2/24]}"), 32, "eth0: {addresses: [10.0.0.2/24], mtu: 1500}");
  auto t = parse(yaml + "vxlan_port: 8472\n");
  auto m1 = for_host(t, "m1");
  REQUIRE(m1);
  CHECK(iface(m1->topo, "ns1", "eth0").mtu == 8950u);
  CHECK(iface(m1->topo, "ns1", "eth0").vxlan->dstport == 8472);
  auto m2 = for_host(t, "m2");
  REQUIRE(m2);
  CHECK(iface(m2->topo, "ns2", "eth0").mtu == 1500u);
  REQUIRE(m2->warnings.size() == 1);
  CHECK(m2->warnings[0].find("carries at most 1450") != std::string::npos);
}

TEST_CASE("multihost: a tunnel end in a machine's host node is made there") {
  auto t = parse(R"(name: br
hosts:
  m1: {underlay: 10.99.0.1}
  m2: {underlay: 10.99.0.2}
nodes:
  host:
    kind: host
    host: m1
    interfaces:
      br0: {kind: bridge, addresses: [10.0.0.1/24]}
      p2: {master: br0}
  ns2:
    host: m2
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
links:
  - [ns2:eth0, host:p2]
)");
  auto m1 = for_host(t, "m1");
  REQUIRE(m1);
  const Interface& p2 = iface(m1->topo, "host", "p2");
  CHECK(p2.kind == LinkKind::vxlan);
  CHECK(p2.master == "br0");
  CHECK_FALSE(p2.vxlan->underlay_host);
  CHECK(m1->topo.host_node());
  auto m2 = for_host(t, "m2");
  REQUIRE(m2);
  CHECK_FALSE(m2->topo.host_node());
}

TEST_CASE("multihost: an unknown machine and a file without machines are refused") {
  auto t = parse(k_two);
  auto bad = for_host(t, "m9");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("names no machine 'm9' (its machines: 'm1', 'm2')") != std::string::npos);
  auto plain = for_host(parse("name: one\nnodes:\n  ns1:\n"), "m1");
  REQUIRE_FALSE(plain);
  CHECK(plain.error().find("no 'hosts:' section") != std::string::npos);
}

TEST_CASE("multihost: an instance's VNIs differ from the plain lab's") {
  auto t = parse(k_two);
  auto inst = instantiate(t, "s1");
  REQUIRE(inst);
  CHECK(link_vnis(*inst).at(0) != link_vnis(t).at(0));
  auto part = for_host(*inst, "m1");
  REQUIRE(part);
  CHECK(part->topo.nodes.at(0).name == "s1-ns1");
}

TEST_CASE("multihost: the YAML inventory") {
  auto text = inventory_yaml(parse(k_two));
  CHECK(text == "# Ansible inventory of lab \"mh\" (netlab inventory)\n"
                "all:\n  children:\n    netlab:\n      hosts:\n"
                "        \"m1\":\n          ansible_host: \"10.99.0.1\"\n          ansible_user: \"root\"\n"
                "          netlab_underlay: \"10.99.0.1\"\n"
                "        \"m2\":\n          ansible_host: \"10.99.0.2\"\n          netlab_underlay: \"10.99.0.2\"\n"
                "      vars:\n        netlab_lab: \"mh\"\n        netlab_vxlan_port: 4789\n");
}
