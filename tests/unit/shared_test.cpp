// Host objects labs share on purpose (`shared: true`): made once, tagged
// netlab-shared, joined by other labs, never deleted; and the conflicts that
// keep a lab's own objects and a shared one apart, named before any change.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/topology/instance.hpp>

using namespace netlab;
using namespace netlab::test;

namespace {

/// Lab `name` whose namespace `ns` joins host bridge `uplink` through port `port`.
std::string shared_lab(const std::string& name, const std::string& ns, const std::string& port,
                       const std::string& addr, const std::string& uplink = "{kind: bridge, shared: true}") {
  return "name: " + name + "\nnodes:\n  host:\n    kind: host\n    interfaces:\n      uplink: " + uplink +
         "\n      " + port + ": {master: uplink}\n  " + ns + ":\n    interfaces:\n      eth0: {addresses: [" + addr +
         "]}\nlinks:\n  - [host:" + port + ", " + ns + ":eth0]\n";
}

const std::string k_lab_a =
    shared_lab("lab-a", "a1", "sh-a", "10.77.0.1/24", "{kind: bridge, shared: true, addresses: [10.77.0.254/24]}");
const std::string k_lab_b = shared_lab("lab-b", "b1", "sh-b", "10.77.0.2/24");

/// One machine (one FakeKernel), several labs: each lab's memory kept apart.
struct Machine {
  Lab lab;
  std::map<std::string, LabState> memories;
  FakeKernel& kernel = lab.kernel;

  Plan up(const Topology& t) {
    std::swap(lab.memory, memories[t.name]);
    Plan p = lab.up(t);
    std::swap(lab.memory, memories[t.name]);
    return p;
  }
  Plan down(const std::string& name) {
    Topology t;
    t.name = name;
    return up(t);
  }
  Expected<Plan> try_plan(const Topology& t) { return plan_lab(kernel, t, memories[t.name]); }
  const ObservedLink* host_link(const std::string& name) {
    for (const auto& l : kernel.nodes["host"].links)
      if (l.name == name) return &l;
    return nullptr;
  }
};

} // namespace

TEST_CASE("a shared bridge is made once and tagged netlab-shared and a second lab joins it and it outlives both", "[shared]") {
  Machine m;
  Plan made = m.up(parse(k_lab_a));
  CHECK(has_line(lines(made), "+ bridge host:uplink"));
  const ObservedLink* uplink = m.host_link("uplink");
  REQUIRE(uplink);
  CHECK(uplink->alias == k_shared_tag);
  REQUIRE(uplink->addresses.size() == 1);
  CHECK(uplink->addresses[0].str() == "10.77.0.254/24");

  // Lab B on the same machine: it joins the bridge A made, and adds nothing to it but its port.
  Plan joined = m.up(parse(k_lab_b));
  CHECK_FALSE(has_line(lines(joined), "+ bridge host:uplink"));
  for (const auto& line : lines(joined)) CHECK(line.find("host:uplink") == std::string::npos); // A's address stays
  REQUIRE(m.host_link("sh-b"));
  CHECK(m.host_link("sh-b")->master == "uplink");
  CHECK(m.try_plan(parse(k_lab_b))->actions.empty());
  CHECK(m.try_plan(parse(k_lab_a))->actions.empty());

  // A goes: its port goes, the bridge, its address and B's port stay.
  Plan a_down = m.down("lab-a");
  for (const auto& line : lines(a_down)) CHECK(line.find("host:uplink") == std::string::npos);
  REQUIRE(m.host_link("uplink"));
  CHECK(m.host_link("uplink")->addresses.size() == 1);
  CHECK_FALSE(m.host_link("sh-a"));
  REQUIRE(m.host_link("sh-b"));
  CHECK(m.host_link("sh-b")->master == "uplink");

  // B's status is still clean; B goes too, and the bridge stays (the user removes it).
  Plan again = *m.try_plan(parse(k_lab_b));
  CHECK(again.actions.empty());
  CHECK(std::ranges::all_of(again.findings, [](const Finding& f) { return f.state == Finding::State::ok; }));
  m.down("lab-b");
  REQUIRE(m.host_link("uplink"));
  CHECK(m.host_link("uplink")->alias == k_shared_tag);
  CHECK_FALSE(m.host_link("sh-b"));

  // A comes back to the bridge that stayed: it only adds its port.
  Plan back = m.up(parse(k_lab_a));
  CHECK_FALSE(has_line(lines(back), "+ bridge host:uplink"));
}

TEST_CASE("a shared object's addresses are only added: another lab's are never removed", "[shared]") {
  Machine m;
  m.up(parse(k_lab_a));
  Plan p = m.up(parse(shared_lab("lab-b", "b1", "sh-b", "10.77.0.2/24",
                                 "{kind: bridge, shared: true, addresses: [10.77.0.253/24]}")));
  CHECK(has_line(lines(p), "+ address host:uplink 10.77.0.253/24"));
  CHECK(m.host_link("uplink")->addresses.size() == 2);
  CHECK(m.try_plan(parse(k_lab_a))->actions.empty()); // B's address is not A's extra
  m.down("lab-b");
  CHECK(m.host_link("uplink")->addresses.size() == 2); // down leaves a shared object's addresses too
}

TEST_CASE("a shared object declared without shared is a conflict that says how to join it", "[shared]") {
  Machine m;
  m.up(parse(k_lab_a));
  m.kernel.writes = 0;
  auto plan = m.try_plan(parse(shared_lab("lab-b", "b1", "sh-b", "10.77.0.2/24", "{kind: bridge}")));
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("link host:uplink already exists and is shared by labs (alias "
                                                   "netlab-shared); lab 'lab-b' will not touch it (declare it "
                                                   "'shared: true' in the file to join it)"));
  CHECK(m.kernel.writes == 0);
}

TEST_CASE("two labs declaring one host bridge without shared: the second is refused and both are named", "[shared]") {
  Machine m;
  m.up(parse(shared_lab("lab-a", "a1", "sh-a", "10.77.0.1/24", "{kind: bridge}")));
  CHECK(m.host_link("uplink")->alias == "netlab:lab-a");
  m.kernel.writes = 0;
  auto plan = m.try_plan(parse(shared_lab("lab-b", "b1", "sh-b", "10.77.0.2/24", "{kind: bridge}")));
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("link host:uplink already exists and is owned by lab 'lab-a' "
                                                   "(netlab down -l lab-a); lab 'lab-b' will not touch it"));
  CHECK(m.kernel.writes == 0);
}

TEST_CASE("shared on a bridge another lab owns is a conflict naming that lab before any change", "[shared]") {
  Machine m;
  m.up(parse(shared_lab("lab-a", "a1", "sh-a", "10.77.0.1/24", "{kind: bridge}")));
  m.kernel.writes = 0;
  auto plan = m.try_plan(parse(k_lab_b));
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("shared bridge host:uplink already exists and is owned by lab "
                                                   "'lab-a' (netlab down -l lab-a); lab 'lab-b' shares only what "
                                                   "netlab made shared"));
  CHECK(m.kernel.writes == 0);
}

TEST_CASE("shared on a foreign bridge is a conflict that up --adopt resolves by taking it over as shared", "[shared][adopt]") {
  Machine m;
  ObservedLink user;
  user.name = "uplink";
  user.kind = LinkKind::bridge;
  user.ifindex = 40;
  m.kernel.nodes["host"].links.push_back(user);
  Topology t = parse(k_lab_b);
  auto refused = m.try_plan(t);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("shared bridge host:uplink already exists and is not created by "
                                                      "netlab; lab 'lab-b' shares only what netlab made shared (take "
                                                      "it over as shared: up --adopt)"));
  CHECK(m.kernel.writes == 0);
  m.memories["lab-b"].adopt = true;
  Plan p = m.up(t);
  CHECK(has_line(lines(p), "~ host:uplink alias netlab-shared (adopted as shared: up --adopt)"));
  CHECK(m.host_link("uplink")->alias == k_shared_tag);
  m.memories["lab-b"].adopt = false;
  m.down("lab-b");
  CHECK(m.host_link("uplink"));
}

TEST_CASE("a lab's own bridge declared shared is handed over and its down then leaves it", "[shared]") {
  Machine m;
  m.up(parse(shared_lab("lab-a", "a1", "sh-a", "10.77.0.1/24", "{kind: bridge}")));
  Plan p = m.up(parse(k_lab_a));
  CHECK(has_line(lines(p), "~ host:uplink alias netlab-shared (shared: no lab owns it)"));
  CHECK(m.host_link("uplink")->alias == k_shared_tag);
  m.down("lab-a");
  CHECK(m.host_link("uplink"));
}

TEST_CASE("labs sharing a bridge must declare its kind and kind options alike", "[shared]") {
  Machine m;
  m.kernel.missing_drivers.clear();
  m.up(parse(shared_lab("lab-a", "a1", "sh-a", "10.77.0.1/24", "{kind: bridge, shared: true, vlan_filtering: true}")));
  m.kernel.writes = 0;
  auto plan = m.try_plan(parse(k_lab_b));
  REQUIRE_FALSE(plan);
  CHECK_THAT(plan.error().message, Catch::Contains("labs sharing it must declare it alike"));
  auto dummy = m.try_plan(parse("name: lab-b\nnodes:\n  host:\n    kind: host\n    interfaces:\n"
                                "      uplink: {kind: dummy, shared: true}\n"));
  REQUIRE_FALSE(dummy);
  CHECK_THAT(dummy.error().message, Catch::Contains("shared dummy host:uplink exists as a shared bridge; a shared "
                                                    "object is never re-created"));
  CHECK(m.kernel.writes == 0);
}

TEST_CASE("shared is for the host node's standalone objects only", "[shared][validate]") {
  CHECK(problems("name: t\nnodes:\n  ns1:\n    interfaces:\n      br0: {kind: bridge, shared: true}\n") ==
        Lines{"t.yaml:5:35: interface 'br0' is shared: only interfaces of the kind host node can be shared (node "
              "'ns1' is not; a namespace's objects are its lab's)"});
  CHECK(problems("name: t\nnodes:\n  h:\n    kind: host\n    interfaces:\n      u: {kind: bridge, shared: true, "
                 "impair: {delay: 5ms}}\n") ==
        Lines{"t.yaml:6:47: interface 'u' is shared: 'impair' is one lab's setting and a shared object outlives the "
              "lab"});
  auto veth = problems("name: t\nnodes:\n  h:\n    kind: host\n    interfaces:\n      v: {shared: true}\n  n: {}\n"
                       "links:\n  - [h:v, n:eth0]\n");
  REQUIRE(veth.size() == 1);
  CHECK_THAT(veth[0], Catch::Contains("t.yaml:6:19: interface 'v' is shared: a veth end belongs to its link"));
  auto vlan = problems("name: t\nnodes:\n  h:\n    kind: host\n    interfaces:\n      d: {kind: dummy}\n"
                       "      v: {kind: vlan, parent: d, id: 5, shared: true}\n");
  REQUIRE(vlan.size() == 1);
  CHECK_THAT(vlan[0], Catch::Contains("interface 'v' is shared: it sits on another link"));
  CHECK(problems("name: t\nnodes:\n  h:\n    kind: host\n    interfaces:\n      u: {kind: bridge, shared: 3}\n")
            .size() == 1);
  Topology plain = parse("name: t\nnodes:\n  h:\n    kind: host\n    interfaces:\n      u: {kind: bridge, shared: false}\n");
  CHECK_FALSE(plain.nodes[0].interfaces[0].shared);
}

TEST_CASE("an instance or a namespace_prefix refuses a lab with a shared object", "[shared][instance]") {
  auto inst = instantiate(parse(k_lab_a), "s1");
  REQUIRE_FALSE(inst);
  CHECK_THAT(inst.error(), Catch::Contains("lab 'lab-a' cannot be instanced: interface 'uplink' of node 'host' is "
                                           "shared: it lives in the machine's host namespace"));
  auto prefixed = problems("name: t\nnamespace_prefix: p-\nnodes:\n  h:\n    kind: host\n    interfaces:\n"
                           "      u: {kind: bridge, shared: true}\n");
  REQUIRE(prefixed.size() == 1);
  CHECK_THAT(prefixed[0], Catch::Contains("t.yaml:2:19: namespace_prefix: interface 'u' of node 'h' is shared"));
}
