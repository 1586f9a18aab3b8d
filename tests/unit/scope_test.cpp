// edit_scope and the scoped diff (netlab watch's edits): what an edit changed,
// and that diffing only that plans what diffing the whole lab plans.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/engine.hpp>
#include <netlab/plan/diff.hpp>

using namespace netlab;
using namespace netlab::test;

namespace {

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

/// k_bridge_lab with no route in ns2: a node an edit may diff interface by interface.
std::string bridge_lab() { return replaced(k_bridge_lab, "    routes:\n      - {to: default, via: 192.168.10.1}\n", ""); }

/// The lab up as `before`, then `after` planned whole and within edit_scope: the same actions.
void same_plan(const std::string& before, const std::string& after) {
  Lab lab;
  lab.converge(parse(before));
  const Topology old = parse(before), now = parse(after);
  auto have = observe_lab(lab.kernel, now, lab.memory);
  REQUIRE(have);
  auto scope = edit_scope(old, now);
  REQUIRE(scope);
  Plan whole = diff(now, *have, lab.memory);
  Plan part = diff(now, *have, lab.memory, *scope);
  INFO("edit:\n" << after);
  CHECK(lines(part) == lines(whole));
  CHECK(part.conflicts == whole.conflicts);
  CHECK(part.vanishing.size() == whole.vanishing.size());
}

} // namespace

TEST_CASE("edit_scope names what an edit changed, by node or by interface", "[scope]") {
  const Topology old = parse(bridge_lab());
  SECTION("an address: its node whole (it has routes)") {
    auto s = edit_scope(old, parse(replaced(bridge_lab(), "192.168.10.2/24", "192.168.10.9/24")));
    REQUIRE(s);
    CHECK(s->nodes == std::unordered_set<std::string>{"ns1"});
    CHECK(s->interfaces.empty());
  }
  SECTION("a namespace added: it whole, and only the host's new port") {
    std::string edited = replaced(bridge_lab(), "      vethC: {master: br0}\n", "      vethC: {master: br0}\n      vethE: {master: br0}\n");
    edited = replaced(edited, "links:\n", "  ns3:\n    interfaces:\n      vethF: {addresses: [192.168.10.4/24]}\nlinks:\n");
    edited += "  - [ns3:vethF, host:vethE]\n";
    auto s = edit_scope(old, parse(edited));
    REQUIRE(s);
    CHECK(s->nodes == std::unordered_set<std::string>{"ns3"});
    REQUIRE(s->interfaces.contains("host"));
    CHECK(s->interfaces.at("host") == std::set<std::string>{"vethE"});
  }
  SECTION("where things are written is not what they are: a comment above moves every mark, and nothing changed") {
    auto s = edit_scope(old, parse("# a comment\n\n" + bridge_lab()));
    REQUIRE(s);
    CHECK(s->nodes.empty());
    CHECK(s->interfaces.empty());
  }
  SECTION("nodes and links in another order: nothing changed") {
    std::string ns1 = "  ns1:\n    interfaces:\n      vethB: {addresses: [192.168.10.2/24]}\n    routes: [default via 192.168.10.1]\n";
    std::string moved = replaced(bridge_lab(), ns1, "");
    moved = replaced(moved, "links:\n", ns1 + "links:\n");
    moved = replaced(moved, "  - [ns1:vethB, host:vethA]\n  - [ns2:vethD, host:vethC]\n",
                     "  - [ns2:vethD, host:vethC]\n  - [ns1:vethB, host:vethA]\n");
    auto s = edit_scope(old, parse(moved));
    REQUIRE(s);
    CHECK(s->nodes.empty());
    CHECK(s->interfaces.empty());
  }
  SECTION("another lab name is beyond nodes and links: diffed whole") {
    CHECK_FALSE(edit_scope(old, parse(replaced(bridge_lab(), "name: lab1", "name: other"))));
  }
}

TEST_CASE("a scoped diff plans what the whole diff plans", "[scope]") {
  SECTION("an address changed") { same_plan(bridge_lab(), replaced(bridge_lab(), "192.168.10.2/24", "192.168.10.9/24")); }
  SECTION("an MTU changed") { same_plan(bridge_lab(), replaced(bridge_lab(), "mtu: 1400", "mtu: 1300")); }
  SECTION("the bridge readdressed") { same_plan(bridge_lab(), replaced(bridge_lab(), "192.168.10.1/24]", "192.168.10.254/24]")); }
  SECTION("a route changed") { same_plan(bridge_lab(), replaced(bridge_lab(), "default via 192.168.10.1", "10.9.0.0/16 via 192.168.10.1")); }
  SECTION("a namespace removed with its link and port") {
    std::string edited = replaced(bridge_lab(), "      vethC: {master: br0}\n", "");
    edited = replaced(edited, "  ns2:\n    interfaces:\n      vethD: {addresses: [192.168.10.3/24], mtu: 1400}\n", "");
    edited = replaced(edited, "  - [ns2:vethD, host:vethC]\n", "");
    same_plan(bridge_lab(), edited);
  }
  SECTION("a namespace added on the bridge") {
    std::string edited = replaced(bridge_lab(), "      vethC: {master: br0}\n", "      vethC: {master: br0}\n      vethE: {master: br0}\n");
    edited = replaced(edited, "links:\n", "  ns3:\n    interfaces:\n      vethF: {addresses: [192.168.10.4/24]}\nlinks:\n");
    same_plan(bridge_lab(), edited + "  - [ns3:vethF, host:vethE]\n");
  }
  SECTION("a host port renamed (its link with it)") {
    std::string edited = replaced(bridge_lab(), "      vethC: {master: br0}\n", "      vethX: {master: br0}\n");
    same_plan(bridge_lab(), replaced(edited, "host:vethC]", "host:vethX]"));
  }
  SECTION("a port leaves its bridge") { same_plan(bridge_lab(), replaced(bridge_lab(), "vethC: {master: br0}", "vethC: {}")); }
  SECTION("a link moved from the bridge to another namespace") {
    std::string edited = replaced(bridge_lab(), "      vethC: {master: br0}\n", "");
    same_plan(bridge_lab(), replaced(edited, "host:vethC]", "ns1:vethZ]"));
  }
}

TEST_CASE("a scoped diff that re-makes a link plans what sits on it too, out of scope or not", "[scope]") {
  // ns2's veth pairs with another end: it is re-made, and the macvlan on it (unchanged
  // in the file, so outside the edit's scope) goes and comes back with it.
  std::string stacked = replaced(bridge_lab(), "      vethD: {addresses: [192.168.10.3/24], mtu: 1400}\n",
                                 "      vethD: {addresses: [192.168.10.3/24], mtu: 1400}\n"
                                 "      mv0: {kind: macvlan, parent: vethD}\n");
  std::string moved = replaced(stacked, "      vethC: {master: br0}\n", "");
  moved = replaced(moved, "  - [ns2:vethD, host:vethC]", "  - [ns2:vethD, ns1:vethZ]");
  same_plan(stacked, moved);
  Lab lab;
  lab.converge(parse(stacked));
  auto have = observe_lab(lab.kernel, parse(moved), lab.memory);
  REQUIRE(have);
  auto scope = edit_scope(parse(stacked), parse(moved));
  REQUIRE(scope);
  CHECK_FALSE(scope->interfaces.at("ns2").contains("mv0"));
  CHECK(has_part(lines(diff(parse(moved), *have, lab.memory, *scope)), "macvlan ns2:mv0"));
}
