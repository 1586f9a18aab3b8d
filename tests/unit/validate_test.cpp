// validate(): the resolved model of a good file, and the exact message and position
// of every kind of bad input. YAML is in memory (load_string); line 1 is the first line.
#include <catch2/catch.hpp>

#include "unit.hpp"
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/suggest.hpp>

#include <array>
#include <string>
#include <vector>

using namespace netlab;
using netlab::test::Lines;
using netlab::test::problems;

namespace {

/// The topology of a valid file; fails the test with the diagnostics otherwise.
Topology valid(const std::string& text) {
  auto raw = load_string(text, "t.yaml");
  REQUIRE(raw);
  auto topo = validate(*raw);
  std::string diags;
  if (!topo)
    for (const auto& d : topo.error()) diags += d.str() + "\n";
  INFO(diags);
  REQUIRE(topo);
  return *topo;
}

/// A one-node lab whose node `ns1` has the given body (indented four spaces).
std::string node_lab(const std::string& body) { return "name: lab\nnodes:\n  ns1:\n" + body; }

const char* const k_bridge_nat = R"(name: bridge-nat
message: ns1..ns3 share mybridge
nodes:
  host:
    kind: host
    forwarding: true
    interfaces:
      mybridge: {kind: bridge, addresses: [192.168.10.1/24]}
      vethA: {master: mybridge}
      vethC: {master: mybridge}
    nat:
      - {masquerade: {source: 192.168.10.0/24, out: eno1}}
      - {dnat: {protocol: tcp, port: 9999, to: "192.168.10.3:9999"}}
  ns1:
    interfaces:
      vethB: {addresses: [192.168.10.2/24], mac: "AA:BB:CC:DD:EE:0F"}
    routes:
      - default via 192.168.10.1
  ns2:
    loopback: down
    interfaces:
      vethD: {addresses: [192.168.10.3/24, "2001:db8::3/64"], mtu: 1400}
    routes:
      - {to: default, via: 192.168.10.1}
      - 10.1.2.3 dev vethD metric 5
    sysctls: {net.ipv4.conf.all.rp_filter: 0, net.ipv6.conf.all.forwarding: true}
  ns3:
    interfaces:
      vethE: {addresses: [192.168.10.4/24]}
links:
  - [ns1:vethB, host:vethA]
  - endpoints: [ns2:vethD, host:vethC]
    impair: {rate: 10mbit, delay: 10ms, loss: 1%}
  - [ns3:vethE, host:vethF]
checks:
  - {from: ns1, ping: 192.168.10.3}
  - {from: ns1, ping: 10.255.0.1, expect: fail}
  - {from: ns3, tcp: "192.168.10.3:9999", listen: ns2, timeout: 500ms}
)";

} // namespace

TEST_CASE("a good topology resolves into the model", "[validate]") {
  Topology t = valid(k_bridge_nat);
  CHECK(t.name == "bridge-nat");
  CHECK(t.source_path == "t.yaml");
  CHECK(t.message == Text("ns1..ns3 share mybridge"));
  REQUIRE(t.nodes.size() == 4);
  CHECK(t.host_node() == &t.nodes[0]);

  const Node& host = t.nodes[0];
  CHECK(host.kind == NodeKind::host);
  CHECK(host.forwarding == true);
  CHECK(host.mark.line == 4);
  REQUIRE(host.interfaces.size() == 4); // three declared, vethF implied by the third link
  CHECK(host.interfaces[0].kind == LinkKind::bridge);
  CHECK(host.interfaces[0].addresses == std::vector{*Cidr::parse("192.168.10.1/24")});
  CHECK(host.interfaces[1].kind == LinkKind::veth);
  CHECK(host.interfaces[1].master == "mybridge");
  CHECK(host.interfaces[1].peer == Endpoint{"ns1", "vethB"});
  const Interface& vethF = host.interfaces[3];
  CHECK(vethF.name == "vethF");
  CHECK(vethF.kind == LinkKind::veth);
  CHECK(vethF.peer == Endpoint{"ns3", "vethE"});
  CHECK(vethF.mark.line == 34);
  CHECK(vethF.mark.col == 17);

  REQUIRE(host.nat.size() == 2);
  CHECK(host.nat[0].type == NatRule::Type::masquerade);
  CHECK(host.nat[0].source == Cidr::parse("192.168.10.0/24"));
  CHECK(host.nat[0].out == "eno1");
  CHECK(host.nat[1].type == NatRule::Type::dnat);
  CHECK(host.nat[1].protocol == "tcp");
  CHECK(host.nat[1].port_first == 9999);
  CHECK(host.nat[1].port_last == 9999);
  CHECK(host.nat[1].to_addr == IpAddr::parse("192.168.10.3"));
  CHECK(host.nat[1].to_port == 9999);

  const Node& ns1 = t.nodes[1];
  CHECK(ns1.kind == NodeKind::netns);
  CHECK(ns1.loopback_up);
  CHECK_FALSE(ns1.forwarding);
  REQUIRE(ns1.interfaces.size() == 1);
  CHECK(ns1.interfaces[0].mac == "aa:bb:cc:dd:ee:0f");
  CHECK(ns1.interfaces[0].peer == Endpoint{"host", "vethA"});
  REQUIRE(ns1.routes.size() == 1);
  CHECK(ns1.routes[0].to.str() == "0.0.0.0/0");
  CHECK(ns1.routes[0].via == IpAddr::parse("192.168.10.1"));
  CHECK_FALSE(ns1.routes[0].dev);

  const Node& ns2 = t.nodes[2];
  CHECK_FALSE(ns2.loopback_up);
  CHECK(ns2.interfaces[0].mtu == 1400u);
  CHECK(ns2.interfaces[0].addresses.size() == 2);
  REQUIRE(ns2.interfaces[0].impair); // inherited from its link
  CHECK(ns2.interfaces[0].impair->rate_bps == 10'000'000u);
  CHECK(ns2.interfaces[0].impair->delay_us == 10'000u);
  CHECK(ns2.interfaces[0].impair->loss_pct == 1.0);
  REQUIRE(ns2.routes.size() == 2);
  CHECK(ns2.routes[1].to.str() == "10.1.2.3/32");
  CHECK(ns2.routes[1].dev == "vethD");
  CHECK(ns2.routes[1].metric == 5u);
  CHECK(ns2.sysctls == std::map<std::string, std::string>{{"net.ipv4.conf.all.rp_filter", "0"},
                                                          {"net.ipv6.conf.all.forwarding", "1"}});

  REQUIRE(t.links.size() == 3);
  CHECK(t.links[0].a == Endpoint{"ns1", "vethB"});
  CHECK(t.links[0].b == Endpoint{"host", "vethA"});
  CHECK(t.links[1].impair);
  CHECK_FALSE(t.links[0].impair);

  REQUIRE(t.checks.size() == 3);
  CHECK(t.checks[0].from == "ns1");
  CHECK(t.checks[0].type == Check::Type::ping);
  CHECK(t.checks[0].expect_pass);
  CHECK(t.checks[0].timeout_s == 2.0);
  CHECK_FALSE(t.checks[1].expect_pass);
  CHECK(t.checks[2].type == Check::Type::tcp);
  CHECK(t.checks[2].target == *IpAddr::parse("192.168.10.3"));
  CHECK(t.checks[2].port == 9999);
  CHECK(t.checks[2].listen == "ns2");
  CHECK(t.checks[2].timeout_s == 0.5);
}

TEST_CASE("value forms resolve to numbers and canonical text", "[validate]") {
  Topology t = valid(R"(name: forms
version: 1
nodes:
  e1: {kind: external, netns: blue}
  e2: {kind: external, pid: 1234}
  e3: {kind: external, path: /proc/77/ns/net}
  ns1:
    interfaces:
      t0: {kind: tap, user: "1000", group: netdev, multi_queue: true, state: down}
      br0: {kind: bridge}
      m0: {kind: macvlan, parent: br0, mode: vepa}
      x0: {kind: vxlan, id: 42, remote: 10.9.0.2, dstport: 4790, dev: br0}
      d0:
        kind: dummy
        addresses: ["2001:db8::1/64", 10.0.0.1/24]
        impair: {rate: 1.5gbit, delay: 250us, jitter: 1ms, duplicate: 0.5, limit: 1000}
    routes:
      - "2001:db8:1::/48 via 2001:db8::ff"
      - default via 2001:db8::fe metric 10
      - {to: 10.8.0.0/16, dev: d0}
      - 2001:db8:9::/48 via fe80::1 dev d0 # link-local: reached through dev
      - 10.10.0.0/16 dev lo
    nat:
      - {snat: {source: 10.0.0.0/24, to: 10.9.0.1}}
      - {dnat: {protocol: udp, port: 5000-5010, to: "[2001:db8::2]:6000", in: d0}}
      - masquerade:
)");
  CHECK(t.find_node("e1")->netns_path == "/run/netns/blue");
  CHECK(t.find_node("e2")->netns_path == "/proc/1234/ns/net");
  CHECK(t.find_node("e3")->netns_path == "/proc/77/ns/net");
  CHECK_FALSE(t.find_node("ns1")->netns_path);

  const Node& n = *t.find_node("ns1");
  const Interface& tap = *n.find_interface("t0");
  CHECK(tap.kind == LinkKind::tap);
  CHECK_FALSE(tap.up);
  CHECK(tap.tun == TunOptions{"1000", "netdev", true});
  CHECK(n.find_interface("m0")->macvlan == MacvlanOptions{"br0", "vepa"});
  const auto& vx = *n.find_interface("x0")->vxlan;
  CHECK(vx.id == 42u);
  CHECK(vx.remote == IpAddr::parse("10.9.0.2"));
  CHECK(vx.dstport == 4790);
  CHECK(vx.dev == "br0");
  const auto& imp = *n.find_interface("d0")->impair;
  CHECK(imp.rate_bps == 1'500'000'000u);
  CHECK(imp.delay_us == 250u);
  CHECK(imp.jitter_us == 1000u);
  CHECK(imp.duplicate_pct == 0.5);
  CHECK(imp.limit_pkts == 1000u);
  CHECK_FALSE(imp.loss_pct);

  REQUIRE(n.routes.size() == 5);
  CHECK(n.routes[0].to.str() == "2001:db8:1::/48");
  CHECK(n.routes[1].to.str() == "::/0"); // default takes the family of via
  CHECK(n.routes[1].metric == 10u);
  CHECK(n.routes[2].dev == "d0");
  CHECK_FALSE(n.routes[2].via);

  REQUIRE(n.nat.size() == 3);
  CHECK(n.nat[0].type == NatRule::Type::snat);
  CHECK(n.nat[0].to_addr == IpAddr::parse("10.9.0.1"));
  CHECK(n.nat[1].port_first == 5000);
  CHECK(n.nat[1].port_last == 5010);
  CHECK(n.nat[1].to_addr == IpAddr::parse("2001:db8::2"));
  CHECK(n.nat[1].to_port == 6000);
  CHECK(n.nat[1].in == "d0");
  CHECK(n.nat[2].type == NatRule::Type::masquerade);
  CHECK_FALSE(n.nat[2].source);
}

TEST_CASE("wrong type for a key", "[validate]") {
  CHECK(problems(node_lab("    interfaces:\n      eth0: {kind: dummy, mtu: abc}\n")) ==
        Lines{"t.yaml:5:32: 'mtu' must be an integer, got 'abc'"});
  CHECK(problems(node_lab("    interfaces: [eth0]\n")) == Lines{"t.yaml:4:17: 'interfaces' must be a mapping, got a list"});
  CHECK(problems(node_lab("    forwarding: yes\n")) == Lines{"t.yaml:4:17: 'forwarding' must be true or false, got 'yes'"});
  CHECK(problems("name: [a]\nnodes:\n  ns1:\n") == Lines{"t.yaml:1:7: 'name' must be a string, got a list"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy, mtu: 20}\n")) ==
        Lines{"t.yaml:5:30: 'mtu' must be between 68 and 65535, got 20"});
  CHECK(problems(node_lab("    routes: default via 10.0.0.1\n")) ==
        Lines{"t.yaml:4:13: 'routes' must be a list, got 'default via 10.0.0.1'"});
  CHECK(problems("- a\n") == Lines{"t.yaml:1:1: a topology must be a mapping with 'name' and 'nodes', got a list"});
  CHECK(problems("name: lab\nnodes:\n  ns1: 3\n") == Lines{"t.yaml:3:8: node 'ns1' must be a mapping, got '3'"});
}

TEST_CASE("unknown keys are reported with a suggestion", "[validate]") {
  CHECK(problems("name: lab\nnodse:\n  ns1:\n") ==
        Lines{"t.yaml:1:1: missing required key 'nodes'", "t.yaml:2:1: unknown key 'nodse' (did you mean 'nodes'?)"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy, adresses: [10.0.0.1/24]}\n    Routes: []\n")) ==
        Lines{"t.yaml:5:25: unknown key 'adresses' (did you mean 'addresses'?)",
              "t.yaml:6:5: unknown key 'Routes' (did you mean 'routes'?)"});
  CHECK(problems(node_lab("    colour: blue\n")) == Lines{"t.yaml:4:5: unknown key 'colour'"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dumy}\n")) ==
        Lines{"t.yaml:5:18: 'kind' must be one of veth, bridge, dummy, tun, tap, macvlan, vxlan, vlan; got 'dumy' "
              "(did you mean 'dummy'?)"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy, parent: eth0}\n")) ==
        Lines{"t.yaml:5:25: key 'parent' is not valid for an interface of kind dummy"});
}

TEST_CASE("the lab name is required and must be usable as a path and an nft table", "[validate]") {
  CHECK(problems("nodes:\n  ns1:\n") == Lines{"t.yaml:1:1: missing required key 'name' (the lab name)"});
  CHECK(problems("name: a/b\nnodes:\n  ns1:\n") ==
        Lines{"t.yaml:1:7: lab name 'a/b' contains '/'; only letters, digits, '_', '.' and '-' are allowed"});
  CHECK(problems("name: \"my lab\"\nnodes:\n  ns1:\n") ==
        Lines{"t.yaml:1:7: lab name 'my lab' contains whitespace; only letters, digits, '_', '.' and '-' are allowed"});
  CHECK(problems("name: -lab\nnodes:\n  ns1:\n") == Lines{"t.yaml:1:7: lab name '-lab' must start with a letter or digit"});
  CHECK(problems("name: a..b\nnodes:\n  ns1:\n") == Lines{"t.yaml:1:7: lab name 'a..b' must not contain '..'"});
  CHECK(problems("name: \"\"\nnodes:\n  ns1:\n") == Lines{"t.yaml:1:7: lab name must not be empty"});
  CHECK(problems("name: " + std::string(33, 'a') + "\nnodes:\n  ns1:\n") ==
        Lines{"t.yaml:1:7: lab name '" + std::string(33, 'a').substr(0, 40) + "' is 33 characters; at most 32 are allowed"});
  valid("name: " + std::string(32, 'a') + "\nnodes:\n  ns1:\n");
}

TEST_CASE("node names, duplicates and the single host node", "[validate]") {
  CHECK(problems("name: lab\nnodes:\n  ns1:\n  ns1: {}\n") == Lines{"t.yaml:4:3: duplicate node 'ns1' (first defined at 3:3)"});
  CHECK(problems("name: lab\nnodes:\n  h1: {kind: host}\n  h2:\n    kind: host\n") ==
        Lines{"t.yaml:5:11: only one node can be kind host; node 'h1' already is (at 3:14)"});
  CHECK(problems("name: lab\nnodes:\n  a/b:\n") ==
        Lines{"t.yaml:3:3: node name 'a/b' contains '/'; only letters, digits, '_', '.' and '-' are allowed"});
  CHECK(problems("name: lab\nnodes: {}\n") == Lines{"t.yaml:2:8: 'nodes' is empty: a lab needs at least one node"});
}

TEST_CASE("external nodes name exactly one namespace", "[validate]") {
  CHECK(problems("name: lab\nnodes:\n  e1: {kind: external}\n") ==
        Lines{"t.yaml:3:3: external node 'e1' needs one of 'netns', 'path' or 'pid'"});
  CHECK(problems("name: lab\nnodes:\n  e1: {kind: external, netns: foo, pid: 3}\n") ==
        Lines{"t.yaml:3:36: external node 'e1' takes only one of 'netns', 'path' or 'pid'"});
  CHECK(problems("name: lab\nnodes:\n  e1: {netns: foo}\n") ==
        Lines{"t.yaml:3:8: key 'netns' is only valid for a node of kind external"});
  CHECK(problems("name: lab\nnodes:\n  e1: {kind: external, path: proc/1/ns/net}\n") ==
        Lines{"t.yaml:3:30: 'path' must be an absolute path like /proc/1234/ns/net, got 'proc/1/ns/net'"});
}

TEST_CASE("interface names follow the kernel's rules", "[validate]") {
  auto iface = [](const std::string& name) { return node_lab("    interfaces:\n      " + name + ": {kind: dummy}\n"); };
  CHECK(problems(iface("abcdefghijklmnop")) ==
        Lines{"t.yaml:5:7: interface name 'abcdefghijklmnop' is 16 bytes; Linux allows at most 15"});
  valid(iface("abcdefghijklmno"));
  CHECK(problems(iface("\"\"")) == Lines{"t.yaml:5:7: interface name must not be empty"});
  CHECK(problems(iface("a/b")) == Lines{"t.yaml:5:7: interface name 'a/b' must not contain '/'"});
  CHECK(problems(iface("\"a b\"")) == Lines{"t.yaml:5:7: interface name 'a b' must not contain whitespace"});
  CHECK(problems(iface("\"a\\tb\"")) == Lines{"t.yaml:5:7: interface name 'a\\tb' must not contain whitespace"});
  CHECK(problems(iface("\"a:b\"")) == Lines{"t.yaml:5:7: interface name 'a:b' must not contain ':'"});
  CHECK(problems(iface("\"..\"")) == Lines{"t.yaml:5:7: interface name '..' is not allowed"});
  CHECK(problems(node_lab("    interfaces:\n      lo: {}\n")) ==
        Lines{"t.yaml:5:7: interface 'lo' cannot be declared: use 'loopback: up|down' on the node"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy}\n      d0: {kind: bridge}\n")) ==
        Lines{"t.yaml:6:7: duplicate interface 'd0' in node 'ns1' (first defined at 5:7)"});
  CHECK(problems("name: lab\nnodes:\n  ns1:\n  ns2:\nlinks:\n  - [ns1:abcdefghijklmnop, ns2:e0]\n") ==
        Lines{"t.yaml:6:6: link endpoint 'ns1:abcdefghijklmnop': interface name 'abcdefghijklmnop' is 16 bytes; "
              "Linux allows at most 15"});
}

TEST_CASE("interfaces need a kind or a link", "[validate]") {
  CHECK(problems(node_lab("    interfaces:\n      eth0: {addresses: [10.0.0.1/24]}\n")) ==
        Lines{"t.yaml:5:7: interface 'eth0' has no kind and is in no link"});
  CHECK(problems(node_lab("    interfaces:\n      e0: {kind: veth}\n")) ==
        Lines{"t.yaml:5:18: interface 'e0' is a veth but is in no link; add it to 'links'"});
  CHECK(problems("name: lab\nnodes:\n  ns1:\n    interfaces:\n      br0: {kind: bridge}\n  ns2:\nlinks:\n"
                 "  - [ns1:br0, ns2:e0]\n") ==
        Lines{"t.yaml:8:6: link endpoint 'ns1:br0' is a bridge; a link end must be a veth (leave out 'kind' or set it "
              "to veth)"});
  CHECK(problems(node_lab("    interfaces:\n      m0: {kind: macvlan}\n      v0: {kind: vlan, parent: m0}\n")) ==
        Lines{"t.yaml:5:7: macvlan interface 'm0' needs a 'parent' interface",
              "t.yaml:6:7: vlan interface 'v0' needs an 'id' (1..4094)"});
  CHECK(problems(node_lab("    interfaces:\n      m0: {kind: macvlan, parent: eth0}\n")) ==
        Lines{"t.yaml:5:35: interface 'm0': parent 'eth0' is not an interface of node 'ns1'"});
}

TEST_CASE("invalid addresses and CIDRs", "[validate]") {
  CHECK(problems(node_lab("    interfaces:\n      d0:\n        kind: dummy\n"
                          "        addresses: [10.0.0.1, 10.0.0.300/24, 10.0.0.1/33, fe80::1/64]\n")) ==
        Lines{"t.yaml:7:21: address '10.0.0.1' needs a prefix length, like '10.0.0.1/24'",
              "t.yaml:7:31: '10.0.0.300/24' is not an address with a prefix length, like '10.0.0.1/24' or "
              "'2001:db8::1/64'",
              "t.yaml:7:46: '10.0.0.1/33' is not an address with a prefix length, like '10.0.0.1/24' or "
              "'2001:db8::1/64'"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy, addresses: [10.0.0.1/24]}\n"
                          "      d1: {kind: dummy, addresses: [10.0.0.1/16]}\n")) ==
        Lines{"t.yaml:6:37: address 10.0.0.1 is already used in node 'ns1' (at 5:37)"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy, mac: \"01:00:5e:00:00:01\"}\n")) ==
        Lines{"t.yaml:5:30: mac '01:00:5e:00:00:01' is a multicast address (its first byte is odd)"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy, mac: 02-00-00-00-00-01}\n")) ==
        Lines{"t.yaml:5:30: 'mac' must look like 'aa:bb:cc:dd:ee:ff', got '02-00-00-00-00-01'"});
}

TEST_CASE("link endpoints must name nodes, and an interface is in one link only", "[validate]") {
  const std::string lab = "name: lab\nnodes:\n  ns1:\n  ns2:\nlinks:\n";
  CHECK(problems(lab + "  - [ns9:eth0, ns1:eth0]\n") ==
        Lines{"t.yaml:6:6: link endpoint 'ns9:eth0' names no node (did you mean 'ns1'?)"});
  CHECK(problems(lab + "  - [router:eth0, ns1:eth0]\n") == Lines{"t.yaml:6:6: link endpoint 'router:eth0' names no node"});
  CHECK(problems(lab + "  - [ns1:eth0, ns2:eth0]\n  - [ns2:eth1, ns1:eth0]\n") ==
        Lines{"t.yaml:7:16: interface 'ns1:eth0' is already in the link at 6:5"});
  CHECK(problems(lab + "  - [ns1eth0, ns2:e1]\n") == Lines{"t.yaml:6:6: link endpoint 'ns1eth0' must be written node:interface"});
  CHECK(problems(lab + "  - [ns1:a, ns1:a]\n") == Lines{"t.yaml:6:13: link connects 'ns1:a' to itself"});
  CHECK(problems(lab + "  - [ns1:a]\n") == Lines{"t.yaml:6:5: a link needs exactly two endpoints, got 1"});
  CHECK(problems(lab + "  - {endpoints: [ns1:a, ns2:a], impair: {delay: 5}}\n") ==
        Lines{"t.yaml:6:49: 'delay' must be a duration like '10ms' (units us, ms, s), got '5'"});
}

TEST_CASE("master must be a bridge in the same node", "[validate]") {
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy}\n      d1: {kind: dummy, master: d0}\n")) ==
        Lines{"t.yaml:6:33: interface 'd1': master 'd0' is a dummy, not a bridge"});
  CHECK(problems("name: lab\nnodes:\n  ns1:\n    interfaces:\n      d0: {kind: dummy, master: br0}\n"
                 "  ns2:\n    interfaces:\n      br0: {kind: bridge}\n") ==
        Lines{"t.yaml:5:33: interface 'd0': master 'br0' is not an interface of node 'ns1' (it is in node 'ns2'; a "
              "master must be in the same node)"});
  CHECK(problems(node_lab("    interfaces:\n      br0: {kind: bridge, master: br0}\n")) ==
        Lines{"t.yaml:5:35: interface 'br0' cannot be its own master"});
  CHECK(problems(node_lab("    interfaces:\n      br0: {kind: bridge}\n      d0: {kind: dummy, master: bro}\n")) ==
        Lines{"t.yaml:6:33: interface 'd0': master 'bro' is not an interface of node 'ns1' (did you mean 'br0'?)"});
}

TEST_CASE("routes: syntax, families, dev and a reachable via", "[validate]") {
  auto routes = [](const std::string& list) {
    return node_lab("    interfaces:\n      d0: {kind: dummy, addresses: [10.0.0.1/24]}\n    routes:\n" + list);
  };
  CHECK(problems(routes("      - default via 1.2.3.4\n")) ==
        Lines{"t.yaml:7:9: route 'default via 1.2.3.4': no connected subnet of node 'ns1' reaches 1.2.3.4"});
  CHECK(problems(routes("      - {to: default, via: 1.2.3.4, dev: d0}\n")) ==
        Lines{"t.yaml:7:28: route 'default via 1.2.3.4 dev d0': no subnet on 'd0' of node 'ns1' reaches 1.2.3.4"});
  CHECK(problems(routes("      - 10.1.0.0/16 dev eth9\n")) ==
        Lines{"t.yaml:7:9: route '10.1.0.0/16 dev eth9': dev 'eth9' is not an interface of node 'ns1'"});
  CHECK(problems(routes("      - {to: 10.1.0.0/16, dev: d1}\n")) ==
        Lines{"t.yaml:7:32: route '10.1.0.0/16 dev d1': dev 'd1' is not an interface of node 'ns1' (did you mean "
              "'d0'?)"});
  CHECK(problems(routes("      - 10.3.0.1/16 via 10.0.0.2\n")) ==
        Lines{"t.yaml:7:9: route '10.3.0.1/16 via 10.0.0.2': destination 10.3.0.1/16 has host bits set (did you "
              "mean 10.3.0.0/16?)"});
  CHECK(problems(routes("      - 10.4.0.0/16 via 2001:db8::ff\n")) ==
        Lines{"t.yaml:7:9: route '10.4.0.0/16 via 2001:db8::ff': via 2001:db8::ff is IPv6 but the destination is IPv4"});
  CHECK(problems(routes("      - 10.5.0.0/16\n")) == Lines{"t.yaml:7:9: route '10.5.0.0/16': needs 'via' or 'dev'"});
  CHECK(problems(routes("      - 10.6.0.0/16 gw 10.0.0.2\n")) ==
        Lines{"t.yaml:7:9: route '10.6.0.0/16 gw 10.0.0.2': unknown word 'gw' (expected via, dev or metric)"});
  CHECK(problems(routes("      - 10.6.0.0/16 vai 10.0.0.2\n")) ==
        Lines{"t.yaml:7:9: route '10.6.0.0/16 vai 10.0.0.2': unknown word 'vai' (did you mean 'via'?)"});
  CHECK(problems(routes("      - 10.6.0.0/16 via\n")) == Lines{"t.yaml:7:9: route '10.6.0.0/16 via': 'via' needs a value"});
  CHECK(problems(routes("      - 10.6.0.0/16 via 10.0.0.2 via 10.0.0.3\n")) ==
        Lines{"t.yaml:7:9: route '10.6.0.0/16 via 10.0.0.2 via 10.0.0.3': 'via' is given twice"});
  CHECK(problems(routes("      - 10.7.0.0/16 via 10.0.0.999\n")) ==
        Lines{"t.yaml:7:9: route '10.7.0.0/16 via 10.0.0.999': via '10.0.0.999' is not an IP address"});
  CHECK(problems(routes("      - {via: 10.0.0.9}\n")) ==
        Lines{"t.yaml:7:9: a route needs 'to' (a prefix, an address or 'default')"});
  CHECK(problems(routes("      - 10.2.0.0/16 via 10.0.0.254\n      - 10.2.0.0/16 via 10.0.0.253\n")) ==
        Lines{"t.yaml:8:9: route '10.2.0.0/16 via 10.0.0.253' has the same destination and metric as the route at 7:9"});
  valid(routes("      - 10.2.0.0/16 via 10.0.0.254\n      - 10.2.0.0/16 via 10.0.0.253 metric 10\n"));
}

TEST_CASE("NAT rules", "[validate]") {
  auto nat = [](const std::string& rule) { return node_lab("    nat:\n      - " + rule + "\n"); };
  CHECK(problems(nat("{dnat: {protocol: icmp, port: 80, to: 10.0.0.2}}")) ==
        Lines{"t.yaml:5:27: 'protocol' must be one of tcp, udp; got 'icmp' (did you mean 'tcp'?)"});
  CHECK(problems(nat("{dnat: {protocol: gre, port: 80, to: 10.0.0.2}}")) ==
        Lines{"t.yaml:5:27: 'protocol' must be one of tcp, udp; got 'gre'"});
  CHECK(problems(nat("{dnat: {protocol: tcp, port: 80, to: \"10.0.0.2:\"}}")) ==
        Lines{"t.yaml:5:46: 'to' port must be between 1 and 65535, got ''"});
  CHECK(problems(nat("{dnat: {protocol: tcp, port: 80, to: \"2001:db8::1:80:\"}}")) ==
        Lines{"t.yaml:5:46: 'to' must be ADDR, ADDR:PORT or [IPV6]:PORT, got '2001:db8::1:80:'"});
  CHECK(problems(nat("{dnat: {protocol: tcp, port: 80, to: \"[10.0.0.2]:80\"}}")) ==
        Lines{"t.yaml:5:46: 'to' must be ADDR, ADDR:PORT or [IPV6]:PORT, got '[10.0.0.2]:80'"});
  CHECK(problems(nat("{dnat: {protocol: tcp, port: 80-70, to: 10.0.0.2}}")) ==
        Lines{"t.yaml:5:38: 'port' range '80-70' ends before it starts"});
  CHECK(problems(nat("{dnat: {protocol: tcp, port: 65000-65535, to: \"10.0.0.2:65001\"}}")) ==
        Lines{"t.yaml:5:55: 'to' port 65001 plus the width of the port range passes 65535"});
  CHECK(problems(nat("{dnat: {}}")) == Lines{"t.yaml:5:10: dnat needs 'port' (a port or a range like 8000-8080)",
                                             "t.yaml:5:10: dnat needs 'protocol' (tcp or udp)",
                                             "t.yaml:5:10: dnat needs 'to' (ADDR, ADDR:PORT or [IPV6]:PORT)"});
  CHECK(problems(nat("{masqurade: {}}")) == Lines{"t.yaml:5:10: unknown NAT rule 'masqurade' (did you mean 'masquerade'?)"});
  CHECK(problems(nat("{snat: {source: 10.0.0.0/8}}")) == Lines{"t.yaml:5:10: snat needs 'to' (the new source address)"});
  CHECK(problems(nat("{snat: {source: 10.0.0.0/8, to: \"2001:db8::1\"}}")) ==
        Lines{"t.yaml:5:41: 'to' and 'source' must be of the same address family"});
  CHECK(problems(nat("{masquerade: {source: 10.0.0.1/8}}")) ==
        Lines{"t.yaml:5:31: 'source' 10.0.0.1/8 has host bits set (did you mean 10.0.0.0/8?)"});
  CHECK(problems(nat("{masquerade: {}, snat: {to: 10.0.0.1}}")) ==
        Lines{"t.yaml:5:9: a NAT rule must be a mapping with one key: masquerade, snat or dnat"});
}

TEST_CASE("checks name nodes and one target", "[validate]") {
  const std::string lab = "name: lab\nnodes:\n  ns1:\nchecks:\n";
  CHECK(problems(lab + "  - {from: ns9, ping: 10.0.0.1}\n") ==
        Lines{"t.yaml:5:12: 'from': no node named 'ns9' (did you mean 'ns1'?)"});
  CHECK(problems(lab + "  - {from: ns1, tcp: \"10.0.0.1:80\", listen: server}\n") ==
        Lines{"t.yaml:5:45: 'listen': no node named 'server'"});
  CHECK(problems(lab + "  - {from: ns1, ping: 10.0.0.1, tcp: \"10.0.0.1:80\"}\n") ==
        Lines{"t.yaml:5:33: a check takes one of 'ping', 'tcp' or 'peer', not two"});
  CHECK(problems(lab + "  - {from: ns1}\n") ==
        Lines{"t.yaml:5:5: a check needs 'ping: ADDR', 'tcp: ADDR:PORT' or 'peer: IFNAME'"});
  CHECK(problems(lab + "  - {ping: 10.0.0.1}\n") == Lines{"t.yaml:5:5: a check needs 'from' (the node it runs in)"});
  CHECK(problems(lab + "  - {from: ns1, ping: 10.0.0.1, listen: ns1}\n") ==
        Lines{"t.yaml:5:33: 'listen' is only valid with 'tcp'"});
  CHECK(problems(lab + "  - {from: ns1, tcp: \"10.0.0.1\"}\n") ==
        Lines{"t.yaml:5:22: 'tcp' must be ADDR:PORT or [IPV6]:PORT, got '10.0.0.1'"});
  CHECK(problems(lab + "  - {from: ns1, ping: 10.0.0.1, timeout: 0s, expect: maybe}\n") ==
        Lines{"t.yaml:5:42: 'timeout' must be a duration from 1ms to 3600s like 2, '2s' or '500ms', got '0s'",
              "t.yaml:5:54: 'expect' must be one of pass, fail; got 'maybe'"});
}

TEST_CASE("peer checks name a veth and where its other end is and seen_from needs a listener", "[validate]") {
  const std::string lab = "name: lab\nnodes:\n  ns1:\n  ns2:\nchecks:\n";
  Topology ok = netlab::test::parse(lab + "  - {from: ns1, peer: veth1, is: ns2:veth2}\n");
  CHECK(ok.checks[0].type == Check::Type::peer);
  CHECK(ok.checks[0].iface == "veth1");
  CHECK(ok.checks[0].peer_is == Endpoint{"ns2", "veth2"});
  CHECK(problems(lab + "  - {from: ns1, peer: veth1}\n") ==
        Lines{"t.yaml:6:5: a 'peer' check needs 'is: NODE:IFNAME' (where the other end must be)"});
  CHECK(problems(lab + "  - {from: ns1, peer: veth1, is: ns3:veth2}\n") ==
        Lines{"t.yaml:6:34: 'is': no node named 'ns3' (did you mean 'ns1'?)"});
  CHECK(problems(lab + "  - {from: ns1, peer: veth1, is: veth2}\n") ==
        Lines{"t.yaml:6:34: link endpoint 'veth2' must be written node:interface"});
  CHECK(problems(lab + "  - {from: ns1, ping: 10.0.0.1, is: ns2:veth2}\n") ==
        Lines{"t.yaml:6:33: 'is' is only valid with 'peer'"});
  CHECK(problems(lab + "  - {from: ns1, tcp: \"10.0.0.1:80\", seen_from: 10.0.0.2}\n") ==
        Lines{"t.yaml:6:37: 'seen_from' needs 'listen' (the listener reports who connected)"});
  CHECK(problems(lab + "  - {from: ns1, tcp: \"10.0.0.1:80\", listen: ns2, seen_from: 10.0.0.2, expect: fail}\n") ==
        Lines{"t.yaml:6:50: 'seen_from' needs a check that connects (not 'expect: fail')"});
}

TEST_CASE("sysctls and impairments", "[validate]") {
  CHECK(problems(node_lab("    sysctls: {kernel.foo: 1, net..x: 2, net.a/b: 3, net.ok: {a: 1}}\n")) ==
        Lines{"t.yaml:4:15: sysctl 'kernel.foo' is not a net.* key; a namespace has only its own net.* sysctls",
              "t.yaml:4:30: sysctl 'net..x' has an empty component",
              "t.yaml:4:41: sysctl 'net.a/b' may only contain letters, digits, '_', '.' and '-'",
              "t.yaml:4:61: sysctl 'net.ok' must have a plain value, got a mapping"});
  CHECK(problems(node_lab("    interfaces:\n      d0: {kind: dummy, impair: {jitter: 1ms, loss: 200%, limit: 0, rate: 5tbit}}\n")) ==
        Lines{"t.yaml:5:42: 'jitter' needs a 'delay'",
              "t.yaml:5:53: 'loss' must be a percentage from 0 to 100 like '1%', got '200%'",
              "t.yaml:5:66: 'limit' must be between 1 and 4294967295, got 0",
              "t.yaml:5:75: 'rate' must be a rate like '10mbit' (units bit, kbit, mbit, gbit), got '5tbit'"});
}

TEST_CASE("every problem is reported at once, sorted by position", "[validate]") {
  auto got = problems(R"(name: bad lab
nodes:
  ns1:
    interfaces:
      eth0: {addresses: [10.0.0.1/24], mtu: huge}
    routes:
      - default via 10.9.9.9
  ns1: {}
  ns2:
    interfaces:
      averyveryverylongname: {kind: dummy}
links:
  - [ns1:eth0, ns3:eth0]
checks:
  - {from: nsX, ping: 10.0.0.2}
)");
  CHECK(got == Lines{
                   "t.yaml:1:7: lab name 'bad lab' contains whitespace; only letters, digits, '_', '.' and '-' are "
                   "allowed",
                   "t.yaml:5:45: 'mtu' must be an integer, got 'huge'",
                   "t.yaml:7:9: route 'default via 10.9.9.9': no connected subnet of node 'ns1' reaches 10.9.9.9",
                   "t.yaml:8:3: duplicate node 'ns1' (first defined at 3:3)",
                   "t.yaml:11:7: interface name 'averyveryverylongname' is 21 bytes; Linux allows at most 15",
                   "t.yaml:13:16: link endpoint 'ns3:eth0' names no node (did you mean 'ns1'?)",
                   "t.yaml:15:12: 'from': no node named 'nsX' (did you mean 'ns1'?)",
               });
}

TEST_CASE("control characters in names are escaped in messages", "[validate]") {
  CHECK(problems("name: \"a\\x01b\"\nnodes:\n  ns1:\n") ==
        Lines{"t.yaml:1:7: lab name 'a\\x01b' contains a control character; only letters, digits, '_', '.' and '-' "
              "are allowed"});
}

TEST_CASE("fuzz: a suggested name with a newline stays on one line", "[validate]") {
  // Found by fuzz/load_validate_fuzz: the suggestion was printed unescaped.
  CHECK(problems("name: lab\nnodes:\n  \"b\\ns1\":\nlinks:\n  - [ns1:veth0, b:veth0]\n") ==
        Lines{"t.yaml:3:3: node name 'b\\ns1' contains whitespace; only letters, digits, '_', '.' and '-' are allowed",
              "t.yaml:5:6: link endpoint 'ns1:veth0' names no node (did you mean 'b\\ns1'?)",
              "t.yaml:5:17: link endpoint 'b:veth0' names no node"});
}

TEST_CASE("edit distance and did-you-mean", "[validate]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("Nodes", "nodes") == 0);
  CHECK(edit_distance("abc", "") == 3);
  constexpr std::array<std::string_view, 3> keys{"name", "nodes", "links"};
  CHECK(closest_match("nmae", keys) == "name");
  CHECK(closest_match("LINKS", keys) == "links");
  CHECK_FALSE(closest_match("checks", keys));
  CHECK(did_you_mean("node", keys) == " (did you mean 'nodes'?)");
  constexpr std::array<std::string_view, 2> twins{"abc", "abd"};
  CHECK(closest_match("abx", twins) == "abc"); // a tie: the first candidate wins
  CHECK(did_you_mean("zzzzzz", keys).empty());
}

TEST_CASE("bridge vlan_filtering and port vlans in every form", "[validate][vlans]") {
  Topology t = valid(node_lab(R"(    interfaces:
      br0: {kind: bridge, vlan_filtering: true, vlans: [1 pvid untagged, 10]}
      t0: {kind: tap, master: br0, vlans: [10 pvid untagged, 20-29, "30-31 untagged", 40]}
      t1: {kind: tap, master: br0, vlans: [{id: 5, pvid: true, untagged: true}, {id: "100-200"}]}
      t2: {kind: tap, master: br0, vlans: []}
      t3: {kind: tap, master: br0}
      b2: {kind: bridge}
)"));
  const Node& n = *t.find_node("ns1");
  CHECK(n.find_interface("br0")->bridge == BridgeOptions{true});
  CHECK(n.find_interface("b2")->bridge == BridgeOptions{false});
  CHECK(n.find_interface("br0")->vlans == std::vector<BridgeVlan>{{1, 1, true, true}, {10, 10, false, false}});
  CHECK(n.find_interface("t0")->vlans == std::vector<BridgeVlan>{{10, 10, true, true},
                                                                {20, 29, false, false},
                                                                {30, 31, false, true},
                                                                {40, 40, false, false}});
  CHECK(n.find_interface("t1")->vlans == std::vector<BridgeVlan>{{5, 5, true, true}, {100, 200, false, false}});
  CHECK(n.find_interface("t2")->vlans == std::vector<BridgeVlan>{});
  CHECK_FALSE(n.find_interface("t3")->vlans);
}

TEST_CASE("bad vlans are reported at the item", "[validate][vlans]") {
  auto lab = [](const std::string& port) {
    return node_lab("    interfaces:\n      br0: {kind: bridge, vlan_filtering: true}\n      t0: {kind: tap, master: br0, " +
                    port + "}\n");
  };
  CHECK(problems(lab("vlans: [5000]")) == Lines{"t.yaml:6:44: VLAN id must be between 1 and 4094, got 5000"});
  CHECK(problems(lab("vlans: [0]")) == Lines{"t.yaml:6:44: VLAN id must be between 1 and 4094, got 0"});
  CHECK(problems(lab("vlans: [20-10]")) == Lines{"t.yaml:6:44: VLAN range '20-10' runs backwards"});
  CHECK(problems(lab("vlans: [10 tagged]")) ==
        Lines{"t.yaml:6:44: unknown word 'tagged' in VLAN '10 tagged' (expected pvid or untagged)"});
  CHECK(problems(lab("vlans: [ten]")) ==
        Lines{"t.yaml:6:44: 'ten' is not a VLAN id; a VLAN is ID, \"FIRST-LAST\", optionally followed by 'pvid' and "
              "'untagged', or a mapping {id, pvid, untagged}"});
  CHECK(problems(lab("vlans: [10-20 pvid]")) == Lines{"t.yaml:6:44: 'pvid' needs a single VLAN, not the range 10-20"});
  CHECK(problems(lab("vlans: [10 pvid, 20 pvid]")) ==
        Lines{"t.yaml:6:53: interface 't0' has two pvids: 10 (at 6:44) and 20"});
  CHECK(problems(lab("vlans: [10-20, 15]")) ==
        Lines{"t.yaml:6:51: VLAN 15 is listed twice for interface 't0' (also at 6:44)"});
  CHECK(problems(lab("vlans: [{id: 10, pvdi: true}]")) ==
        Lines{"t.yaml:6:53: unknown key 'pvdi' (did you mean 'pvid'?)"});
  CHECK(problems(lab("vlans: [{pvid: true}]")) == Lines{"t.yaml:6:44: a VLAN mapping needs 'id' (1..4094 or \"FIRST-LAST\")"});
  CHECK(problems(lab("vlans: 10")) == Lines{"t.yaml:6:43: 'vlans' must be a list, got '10'"});
}

TEST_CASE("vlans need a bridge with vlan_filtering", "[validate][vlans]") {
  CHECK(problems(node_lab("    interfaces:\n      br0: {kind: bridge}\n      t0: {kind: tap, master: br0, vlans: [10]}\n")) ==
        Lines{"t.yaml:6:43: interface 't0': 'vlans' needs vlan_filtering: true on its bridge 'br0'"});
  CHECK(problems(node_lab("    interfaces:\n      t0: {kind: tap, vlans: [10]}\n")) ==
        Lines{"t.yaml:5:30: interface 't0': 'vlans' needs a 'master' bridge with vlan_filtering: true"});
  CHECK(problems(node_lab("    interfaces:\n      br0: {kind: bridge, vlans: [10]}\n")) ==
        Lines{"t.yaml:5:34: bridge 'br0': 'vlans' (its own VLANs) needs vlan_filtering: true"});
  CHECK(problems(node_lab("    interfaces:\n      t0: {kind: tap, vlan_filtering: true}\n")) ==
        Lines{"t.yaml:5:23: key 'vlan_filtering' is not valid for an interface of kind tap"});
  CHECK(problems(node_lab("    interfaces:\n      br0: {kind: bridge, vlan_filtering: 1}\n")) ==
        Lines{"t.yaml:5:43: 'vlan_filtering' must be true or false, got '1'"});
}

TEST_CASE("addresses the kernel refuses on an interface", "[validate]") {
  auto addr = [](const std::string& a) {
    return node_lab("    interfaces:\n      d0: {kind: dummy, addresses: [\"" + a + "\"]}\n");
  };
  const std::string at = "t.yaml:5:37: address '";
  CHECK(problems(addr("0.0.0.0/0")) ==
        Lines{at + "0.0.0.0/0' is the unspecified address; an interface needs an address of its own"});
  CHECK(problems(addr("0.0.0.0/8")) ==
        Lines{at + "0.0.0.0/8' is the unspecified address; an interface needs an address of its own"});
  CHECK(problems(addr("::/0")) == Lines{at + "::/0' is the unspecified address; an interface needs an address of its own"});
  CHECK(problems(addr("::1/128")) ==
        Lines{at + "::1/128' is the loopback address; the kernel keeps ::1 for 'lo' (loopback: up)"});
  CHECK(problems(addr("ff02::1/64")) ==
        Lines{at + "ff02::1/64' is a multicast address (ff00::/8); an interface address must be unicast"});
  CHECK(problems(addr("224.0.0.1/4")) ==
        Lines{at + "224.0.0.1/4' is a multicast address (224.0.0.0/4); an interface address must be unicast"});
  CHECK(problems(addr("239.255.255.250/24")) ==
        Lines{at + "239.255.255.250/24' is a multicast address (224.0.0.0/4); an interface address must be unicast"});
  CHECK(problems(addr("255.255.255.255/32")) ==
        Lines{at + "255.255.255.255/32' is the broadcast address; an interface address must be unicast"});
  // Unusual but accepted by the kernel: kept.
  valid(addr("127.0.0.2/8"));
  valid(addr("240.0.0.1/4"));
  valid(addr("::2/128"));
  valid(addr("fe80::1/64"));
}

TEST_CASE("interface names with '%' are patterns to the kernel", "[validate]") {
  auto iface = [](const std::string& name) { return node_lab("    interfaces:\n      " + name + ": {kind: dummy}\n"); };
  CHECK(problems(iface("\"veth%d\"")) == Lines{"t.yaml:5:7: interface name 'veth%d' must not contain '%'"});
  CHECK(problems(iface("\"%\"")) == Lines{"t.yaml:5:7: interface name '%' must not contain '%'"});
  CHECK(problems(iface("\".\"")) == Lines{"t.yaml:5:7: interface name '.' is not allowed"});
  CHECK(problems(node_lab("    interfaces:\n      b0: {kind: bridge}\n      d0: {kind: dummy, master: \"b%d\"}\n")) ==
        Lines{"t.yaml:6:33: 'master': interface name 'b%d' must not contain '%'"});
  CHECK(problems("name: lab\nnodes:\n  ns1:\n  ns2:\nlinks:\n  - [\"ns1:e%d\", ns2:e0]\n") ==
        Lines{"t.yaml:6:6: link endpoint 'ns1:e%d': interface name 'e%d' must not contain '%'"});
}

TEST_CASE("sysctl values are what /proc/sys takes", "[validate]") {
  CHECK(problems(node_lab("    sysctls: {net.a: ../../x, net.b: \"\", net.c: \"1;2\", net.d: \"a\\nb\"}\n")) ==
        Lines{"t.yaml:4:22: sysctl 'net.a': value '../../x' may only contain letters, digits, spaces and '_', '.', "
              "'-', ':', ',', '+'",
              "t.yaml:4:38: sysctl 'net.b' must have a value",
              "t.yaml:4:49: sysctl 'net.c': value '1;2' may only contain letters, digits, spaces and '_', '.', '-', "
              "':', ',', '+'",
              "t.yaml:4:63: sysctl 'net.d': value 'a\\nb' may only contain letters, digits, spaces and '_', '.', "
              "'-', ':', ',', '+'"});
  CHECK(problems(node_lab("    sysctls: {net.a: " + std::string(257, '1') + "}\n")) ==
        Lines{"t.yaml:4:22: sysctl 'net.a': value '1111111111111111111111111111111111111111...' is longer than 256 "
              "characters"});
  CHECK(problems(node_lab("    sysctls: {net/ipv4/ip_forward: 1, net.ipv4.conf./../x: 1}\n")) ==
        Lines{"t.yaml:4:15: sysctl 'net/ipv4/ip_forward' is not a net.* key; a namespace has only its own net.* "
              "sysctls",
              "t.yaml:4:39: sysctl 'net.ipv4.conf./../x' may only contain letters, digits, '_', '.' and '-'"});
  auto topo = valid(node_lab("    sysctls: {net.ipv4.ip_local_port_range: \"32768 60999\", net.ipv4.tcp_congestion_control: "
                             "cubic, net.ipv6.conf.all.stable_secret: \"2001:db8::1\", net.ipv4.conf.all.rp_filter: 0}\n"));
  CHECK(topo.nodes[0].sysctls.at("net.ipv4.ip_local_port_range") == "32768 60999");
}

TEST_CASE("a bridge takes at most 1023 ports", "[validate]") {
  auto star = [](int ports, int extra_dummies) {
    std::string text = "name: lab\nnodes:\n  host:\n    kind: host\n    interfaces:\n      br0: {kind: bridge}\n";
    for (int i = 0; i < ports - extra_dummies; ++i) text += "      h" + std::to_string(i) + ": {master: br0}\n";
    for (int i = 0; i < extra_dummies; ++i) text += "      d" + std::to_string(i) + ": {kind: dummy, master: br0}\n";
    for (int i = 0; i < ports - extra_dummies; ++i) text += "  n" + std::to_string(i) + ":\n";
    text += "links:\n";
    for (int i = 0; i < ports - extra_dummies; ++i)
      text += "  - [host:h" + std::to_string(i) + ", n" + std::to_string(i) + ":e0]\n";
    return text;
  };
  valid(star(1023, 0));
  valid(star(1023, 3));
  // Port 1024 is line 6 + 1024 = 1030 (veth ends, then any dummies count alike).
  CHECK(problems(star(1025, 0)) ==
        Lines{"t.yaml:1030:23: bridge 'br0' of node 'host' has 1025 ports; the kernel allows at most 1023 (this is "
              "port 1024)"});
  CHECK(problems(star(1024, 2)) ==
        Lines{"t.yaml:1030:33: bridge 'br0' of node 'host' has 1024 ports; the kernel allows at most 1023 (this is "
              "port 1024)"});
}
