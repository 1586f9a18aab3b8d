// The renaming pass of instances and namespace_prefix (topology/instance.hpp), the
// lab-name rule with '@', and a renamed lab against the FakeKernel.
#include <catch2/catch.hpp>

#include "unit.hpp"
#include <netlab/topology/instance.hpp>
#include <netlab/topology/validate.hpp>

#include <string>

using namespace netlab;
using namespace netlab::test;

namespace {

const std::string k_gateway = R"(name: gw
nodes:
  host:
    kind: host
    forwarding: true
    interfaces:
      br0: {kind: bridge, addresses: [10.0.0.1/24]}
      vethA: {master: br0}
    nat:
      - {masquerade: {source: 10.0.0.0/24}}
  ns1:
    interfaces:
      eth0: {addresses: [10.0.0.2/24]}
    routes: [default via 10.0.0.1]
links:
  - [ns1:eth0, host:vethA]
checks:
  - {from: ns1, ping: 10.0.0.1}
  - {from: host, tcp: "10.0.0.2:80", listen: ns1}
)";

} // namespace

TEST_CASE("an instance renames every namespace and every reference to a node", "[instance]") {
  auto inst = instantiate(parse(k_gateway), "s01");
  REQUIRE(inst);
  CHECK(inst->name == "gw@s01");
  CHECK(inst->instance == "s01");
  CHECK(inst->prefix == "s01-");
  REQUIRE(inst->nodes.size() == 2);
  const Node& host = inst->nodes[0];
  CHECK(host.name == "s01-host");
  CHECK(host.file_name == "host");
  CHECK(host.kind == NodeKind::netns); // the host node is a namespace of the instance's own
  CHECK(host.forwarding == true);
  CHECK(host.nat.size() == 1);
  CHECK(host.find_interface("br0")); // interface names stay
  CHECK(host.find_interface("vethA")->peer->node == "s01-ns1");
  CHECK(inst->nodes[1].name == "s01-ns1");
  CHECK(inst->nodes[1].find_interface("eth0")->peer->node == "s01-host");
  CHECK(inst->links[0].a.node == "s01-ns1");
  CHECK(inst->links[0].b.node == "s01-host");
  CHECK(inst->checks[0].from == "s01-ns1");
  CHECK(inst->checks[1].from == "s01-host");
  CHECK(inst->checks[1].listen == "s01-ns1");
  CHECK(inst->nodes[1].interfaces[0].addresses == parse(k_gateway).nodes[1].interfaces[0].addresses);
  // The file's names still find the nodes.
  CHECK(inst->find_node_as_written("ns1") == &inst->nodes[1]);
  CHECK(inst->find_node_as_written("s01-ns1") == &inst->nodes[1]);
  CHECK(inst->find_node("ns1") == nullptr);
}

TEST_CASE("namespace_prefix renames in validate, and an instance puts its prefix in front", "[instance]") {
  std::string text = k_gateway;
  text.replace(0, 9, "name: gw\nnamespace_prefix: lab1.\n");
  Topology t = parse(text);
  CHECK(t.name == "gw");
  CHECK(t.prefix == "lab1.");
  CHECK(t.nodes[0].name == "lab1.host");
  CHECK(t.nodes[1].name == "lab1.ns1");
  CHECK(t.nodes[1].as_written() == "ns1");
  auto inst = instantiate(t, "b");
  REQUIRE(inst);
  CHECK(inst->nodes[1].name == "b-lab1.ns1");
  CHECK(inst->nodes[1].as_written() == "ns1");
  CHECK(inst->prefix == "b-lab1.");
  CHECK(inst->name == "gw@b");
}

TEST_CASE("bad prefixes and instance names, and labs that cannot be renamed", "[instance]") {
  CHECK(problems("name: a\nnamespace_prefix: a/b\nnodes:\n  ns1:\n") ==
        Lines{"t.yaml:2:19: namespace_prefix may hold only letters, digits, '_', '.' and '-'"});
  CHECK(problems("name: a\nnamespace_prefix: " + std::string(17, 'p') + "\nnodes:\n  ns1:\n") ==
        Lines{"t.yaml:2:19: namespace_prefix '" + std::string(17, 'p') + "' is 17 characters; at most 16 are allowed"});
  CHECK(problems("name: a\nnamespace_prefix: x\nnodes:\n  e: {kind: external, netns: ext}\n") ==
        Lines{"t.yaml:2:19: namespace_prefix: node 'e' is kind external: its namespace is not the lab's, and two "
              "copies of the lab would add the same interfaces to it; a lab with an external node cannot be renamed "
              "(run it plain)"});
  auto ext = instantiate(parse("name: a\nnodes:\n  e: {kind: external, netns: ext}\n"), "x");
  REQUIRE_FALSE(ext);
  CHECK(ext.error().starts_with("lab 'a' cannot be instanced: node 'e' is kind external"));
  for (const char* bad : {"", "../x", "a/b", "a@b", ".x", "-x", "x..y", "a b", "a\nb", "aaaaaaaaaaaaaaaaa"}) {
    INFO(bad);
    CHECK(instance_name_problem(bad));
    CHECK_FALSE(instantiate(parse(k_gateway), bad));
  }
  CHECK_FALSE(instance_name_problem("s01"));
  CHECK_FALSE(instance_name_problem("A_1.x-2"));
  CHECK(instance_of("gw@s01") == "s01");
  CHECK(instance_of("gw") == "");
}

TEST_CASE("the lab-name rule takes LAB@INSTANCE, and a file's name never has '@'", "[instance][validate]") {
  CHECK_FALSE(lab_name_problem("gw@s01"));
  CHECK_FALSE(lab_name_problem("bridge-nat@a.b_c-1"));
  for (const char* bad : {"gw@", "@s01", "gw@s01@x", "gw@../x", "gw@x/y", "../gw@x", "gw@.x", "a b@x"}) {
    INFO(bad);
    CHECK(lab_name_problem(bad));
  }
  CHECK(problems("name: gw@s01\nnodes:\n  ns1:\n") ==
        Lines{"t.yaml:1:7: lab name 'gw@s01' contains '@'; only letters, digits, '_', '.' and '-' are allowed"});
}

TEST_CASE("two instances of a lab are planned apart against one kernel", "[instance]") {
  Lab lab;
  auto a = instantiate(parse(k_gateway), "a");
  auto b = instantiate(parse(k_gateway), "b");
  REQUIRE(a);
  REQUIRE(b);
  Lines plan_a = lines(lab.up(*a));
  CHECK(has_part(plan_a, "a-host"));
  CHECK_FALSE(has_part(plan_a, " host:"));
}
