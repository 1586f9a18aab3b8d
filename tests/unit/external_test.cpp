// Nodes of kind external: what the validator refuses, and how the engine
// treats a namespace it must never create or delete, against the FakeKernel.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/topology/load.hpp>
#include <netlab/topology/validate.hpp>

using namespace netlab;
using netlab::test::empty_lab;
using netlab::test::FakeKernel;
using netlab::test::has_line;
using netlab::test::Lines;
using netlab::test::lines;
using netlab::test::parse;
using netlab::test::problems;

namespace {

const char* k_lab = R"(
name: lab1
nodes:
  ns1:
    interfaces:
      eth0: {addresses: [10.0.0.1/24]}
  ext:
    kind: external
    netns: other
    forwarding: true
    interfaces:
      vlab: {addresses: [10.0.0.2/24]}
    routes: [10.9.0.0/24 via 10.0.0.1]
links:
  - [ns1:eth0, ext:vlab]
)";

/// A FakeKernel holding the external namespace /run/netns/other (id 4242).
struct Lab : test::Lab {
  Lab() {
    ObservedNs other;
    other.ref = {"ext", NodeKind::external, "/run/netns/other"};
    other.exists = true;
    other.ns_id = 4242;
    other.sysctls = {{"net.ipv4.ip_forward", "0"}};
    kernel.nodes["ext"] = other;
  }

  /// plan + apply + remember, like `up`; records the namespace id the way reconcile does.
  Plan up(const Topology& t) {
    Plan applied = test::Lab::up(t);
    for (auto& ref : memory.nodes)
      if (ref.kind == NodeKind::external && kernel.nodes.contains(ref.node)) ref.ns_id = kernel.nodes[ref.node].ns_id;
    return applied;
  }
};

} // namespace

TEST_CASE("an external node must name a namespace of its own", "[validate][external]") {
  CHECK(problems("name: lab\nnodes:\n  ns1: {}\n  e1: {kind: external, netns: ns1}\n") ==
        Lines{"t.yaml:4:31: external node 'e1' names namespace 'ns1', which node 'ns1' of this lab creates; "
              "use that node"});
  CHECK(problems("name: lab\nnodes:\n  ns1: {}\n  e1: {kind: external, path: /run/netns/./ns1}\n") ==
        Lines{"t.yaml:4:30: external node 'e1' names namespace 'ns1', which node 'ns1' of this lab creates; "
              "use that node"});
  CHECK(problems("name: lab\nnodes:\n  e1: {kind: external, netns: x}\n  e2: {kind: external, path: /run/netns/x}\n") ==
        Lines{"t.yaml:4:30: external node 'e2' names the same namespace as node 'e1' (/run/netns/x)"});
  CHECK(problems("name: lab\nnodes:\n  e1: {kind: external, pid: 7}\n  e2: {kind: external, path: /proc/7/ns/net}\n") ==
        Lines{"t.yaml:4:30: external node 'e2' names the same namespace as node 'e1' (/proc/7/ns/net)"});
  CHECK(problems("name: lab\nnodes:\n  e1: {kind: external, path: /proc/self/ns/net}\n") ==
        Lines{"t.yaml:3:30: external node 'e1': /proc/self/ns/net is netlab's own namespace; use a node of kind "
              "host for it"});
  // Another lab's namespace, or one with a node's name in another lab, is fine.
  parse("name: lab\nnodes:\n  ns1: {}\n  e1: {kind: external, netns: ns2}\n  e2: {kind: external, netns: ns1x}\n");
}

TEST_CASE("external: up adds, down removes only that and restores its sysctls", "[engine][external]") {
  Lab lab;
  Topology t = parse(k_lab);
  Plan p = lab.up(t);
  Lines l = lines(p);
  CHECK_FALSE(has_line(l, "+ netns ext"));
  CHECK(has_line(l, "~ sysctl ext: net.ipv4.ip_forward = 1 (was 0)"));
  CHECK(lab.memory.saved_sysctls["ext"]["net.ipv4.ip_forward"] == "0");
  CHECK(lab.memory.find_node("ext")->ns_id == 4242);
  CHECK(lab.up(t).actions.empty());

  Plan down = lab.up(empty_lab("lab1"));
  l = lines(down);
  CHECK(has_line(l, "~ sysctl ext: net.ipv4.ip_forward = 0 (was 1)"));
  CHECK_FALSE(has_line(l, "- netns ext"));
  CHECK(lab.kernel.nodes["ext"].exists);
  CHECK(lab.kernel.nodes["ext"].sysctls["net.ipv4.ip_forward"] == "0");
  CHECK(lab.kernel.link("ext", "vlab") == nullptr);
}

TEST_CASE("external: a namespace replaced under the same path is refused by up and left alone by down",
          "[engine][external]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  // The namespace is deleted and another made at the same path, with forwarding on.
  ObservedNs fresh;
  fresh.ref = lab.kernel.nodes["ext"].ref;
  fresh.exists = true;
  fresh.ns_id = 5151;
  fresh.sysctls = {{"net.ipv4.ip_forward", "1"}};
  lab.kernel.nodes["ext"] = fresh;

  auto plan = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("external namespace of node 'ext' (/run/netns/other) is not the "
                                                   "one lab 'lab1' set up"));
  auto have = observe_lab(lab.kernel, t, lab.memory);
  REQUIRE(have);
  Plan status = diff(t, *have, lab.memory);
  CHECK(std::ranges::any_of(status.findings,
                            [](const Finding& f) { return f.state == Finding::State::conflict && f.path == "ext"; }));

  size_t writes = lab.kernel.writes;
  Plan down = lab.up(empty_lab("lab1"));
  CHECK(lines(down) == Lines{"- netns ns1"});
  CHECK(lab.kernel.writes == writes + 1);
  CHECK(lab.kernel.nodes["ext"].sysctls["net.ipv4.ip_forward"] == "1"); // not the lab's to restore
}

TEST_CASE("external: a namespace that is gone costs down nothing", "[engine][external]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  lab.kernel.nodes["ext"].exists = false;
  lab.kernel.nodes["ext"].links.clear();
  auto plan = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message,
             Catch::Contains("external namespace of node 'ext' (/run/netns/other) does not exist"));
  Plan down = lab.up(empty_lab("lab1"));
  CHECK(lines(down) == Lines{"- netns ns1"});
  CHECK(lab.memory.nodes.empty());
}

TEST_CASE("external: pointing a node at another namespace needs a down first", "[engine][external]") {
  Lab lab;
  lab.up(parse(k_lab));
  std::string moved = k_lab;
  moved.replace(moved.find("netns: other"), 12, "netns: elsewhere");
  auto plan = plan_lab(lab.kernel, parse(moved), lab.memory);
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message ==
        "node 'ext' now names /run/netns/elsewhere, but lab 'lab1' set up in /run/netns/other; 'netlab down' it first");
  lab.up(empty_lab("lab1"));
  CHECK(lab.kernel.nodes["ext"].sysctls["net.ipv4.ip_forward"] == "0");
  lab.up(parse(moved));
}
