// Crash recovery on the FakeKernel: what an interrupted run leaves (an empty
// namespace file, an untagged namespace or link) is the lab's to adopt or
// remove; a stop request (SIGINT/SIGTERM) undoes the run, a second one stops the undo.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/apply/engine.hpp>
#include <netlab/plan/describe.hpp>

using namespace netlab;
using namespace netlab::test;

namespace {

const char* k_lab = R"(
name: lab1
nodes:
  host:
    kind: host
    forwarding: true
    interfaces:
      br0: {kind: bridge, addresses: [192.168.10.1/24]}
      vethA: {master: br0}
  ns1:
    interfaces:
      vethB: {addresses: [192.168.10.2/24]}
    routes: [default via 192.168.10.1]
links:
  - [ns1:vethB, host:vethA]
)";

/// Removes the alias of link `name` in `node`, as a kill between create and tag leaves it.
void untag(Lab& lab, const std::string& node, const std::string& name) {
  for (auto& l : lab.kernel.nodes[node].links)
    if (l.name == name) l.alias.clear();
  if (name == "lo") lab.kernel.nodes[node].owner.clear();
}

} // namespace

TEST_CASE("an untagged veth with an end in the lab's namespace is adopted: tagged, then converged", "[crash]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  untag(lab, "ns1", "vethB");
  untag(lab, "host", "vethA");
  Plan p = lab.plan(t);
  auto l = lines(p);
  CHECK(has_line(l, "~ host:vethA alias netlab:lab1 (adopted: left untagged by an interrupted run)"));
  CHECK(has_line(l, "~ ns1:vethB alias netlab:lab1 (adopted: left untagged by an interrupted run)"));
  lab.converge(t);
}

TEST_CASE("an untagged host link is foreign unless the lab's memory says a run was about to make it", "[crash]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  untag(lab, "host", "br0");
  auto refused = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("link host:br0 already exists and is not created by netlab"));
  lab.memory.pending_links["host"] = {"br0"}; // written before the run that was killed
  auto l = lines(lab.plan(t));
  CHECK(has_line(l, "~ host:br0 alias netlab:lab1 (adopted: left untagged by an interrupted run)"));
}

TEST_CASE("a namespace the lab's memory lists, untagged and empty, is adopted", "[crash]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.memory.lab = "lab1";
  lab.memory.nodes.push_back({"ns1", NodeKind::netns, "/run/netns/ns1"});
  ObservedNs made; // a kill between making it and tagging its lo
  made.ref = lab.memory.nodes.back();
  made.exists = true;
  ObservedLink lo;
  lo.name = "lo";
  lo.kind = LinkKind::loopback;
  lo.ifindex = 1;
  made.links.push_back(lo);
  lab.kernel.nodes["ns1"] = made;
  auto l = lines(lab.plan(t));
  CHECK(has_line(l, "~ ns1:lo alias netlab:lab1 (adopted: left untagged by an interrupted run)"));
  lab.converge(t);
  // Not listed in the memory: someone else's namespace.
  Lab other;
  other.kernel.nodes["ns1"] = made;
  auto refused = plan_lab(other.kernel, t, other.memory);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("namespace 'ns1' already exists and is not created by netlab"));
}

TEST_CASE("down removes the empty file a killed namespace create or delete left", "[crash]") {
  Topology t = parse(k_lab);
  LabState memory;
  memory.lab = "lab1";
  memory.nodes.push_back({"ns1", NodeKind::netns, "/run/netns/ns1"});
  memory.nodes.push_back({"host", NodeKind::host, {}});
  Observed have;
  have.nodes["ns1"].ref = memory.nodes[0];
  have.nodes["ns1"].stale_file = true;
  have.nodes["host"].ref = memory.nodes[1];
  have.nodes["host"].exists = true;
  auto down = lines(diff(empty_lab("lab1"), have, memory));
  CHECK(has_line(down, "- netns ns1"));
  // An up plans it as missing: the kernel removes the file before making the namespace.
  auto up = lines(diff(t, have, memory));
  CHECK(has_line(up, "+ netns ns1"));
}

TEST_CASE("a stop request undoes the completed actions, a second one stops the undo", "[crash][signal]") {
  Lab lab;
  Topology t = parse(k_lab);
  auto before = lab.kernel.nodes;
  auto plan = plan_lab(lab.kernel, t, lab.memory);
  REQUIRE(plan);
  reset_stop();
  size_t seen = 0;
  auto r = apply_plan(lab.kernel, plan->actions, [&](const Action&, const Expected<void>&) {
    if (++seen == 4) request_stop(2);
  });
  CHECK(r.interrupted == 2);
  CHECK_FALSE(r.ok());
  CHECK(r.done == 4);
  CHECK(r.rolled_back);
  CHECK_FALSE(r.undo_stopped);
  CHECK_FALSE(r.undone.empty());
  CHECK(lab.kernel.nodes.size() == before.size());
  CHECK(lab.kernel.nodes["host"].links.size() == before["host"].links.size());

  // Two requests at once: the undo stops before its first step.
  reset_stop();
  auto again = apply_plan(lab.kernel, plan->actions, [&](const Action&, const Expected<void>&) {
    request_stop(2);
    request_stop(2);
  });
  CHECK(again.interrupted == 2);
  CHECK(again.undo_stopped);
  CHECK(again.undone.empty());
  reset_stop();
}

TEST_CASE("down deletes an untagged host link an interrupted run was making", "[crash]") {
  Lab lab;
  Topology t = parse(k_lab);
  lab.up(t);
  untag(lab, "host", "br0");
  lab.memory.pending_links["host"] = {"br0"};
  const Topology nothing = empty_lab("lab1");
  auto l = lines(lab.plan(nothing));
  CHECK(has_line(l, "- bridge host:br0"));
  lab.memory.pending_links.clear(); // not named: foreign, left alone
  CHECK_FALSE(has_line(lines(lab.plan(nothing)), "- bridge host:br0"));
}
