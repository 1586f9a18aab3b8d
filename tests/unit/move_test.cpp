// veth ends created in another namespace and moved (created_in), or created
// under a temporary name and renamed (rename_from): validation, plan order and
// text, --explain, convergence, half-way states an interrupted run leaves, undo.
#include <catch2/catch.hpp>

#include "unit.hpp"

#include <netlab/apply/apply.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/plan/inverse.hpp>
#include <netlab/report/report.hpp>
#include <netlab/topology/graph.hpp>
#include <netlab/topology/instance.hpp>

#include <nlohmann/json.hpp>

using namespace netlab;
using namespace netlab::test;

namespace {

const char* k_move_lab = R"(
name: mv
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge, addresses: [10.9.0.1/24]}
      vhost-c1: {master: br0}
  c1:
    interfaces:
      eth0: {addresses: [10.9.0.2/24], created_in: host, rename_from: veth-c1}
links:
  - [host:vhost-c1, c1:eth0]
)";

/// The first plan of `yaml`, on a fresh kernel.
Lines first_plan(const std::string& yaml) {
  Lab lab;
  return lines(lab.plan(parse(yaml)));
}

/// Applies `plan` up to and including the action printed as `line`, as a run
/// killed right after it leaves the kernel.
void apply_through(Lab& lab, const Plan& plan, const std::string& line) {
  size_t last = index_of(lines(plan), line);
  for (size_t i = 0; i <= last; ++i)
    REQUIRE(lab.kernel.apply(plan.actions[i]));
}

/// Whether some line of `l` starts with `prefix`.
bool starts_with_any(const Lines& l, const std::string& prefix) {
  return std::ranges::any_of(l, [&](const std::string& s) { return s.starts_with(prefix); });
}

/// The move lab with c1's interfaces `iface_line` (line 10 of the file on).
std::string with(const std::string& iface_line) {
  return "name: mv\nnodes:\n  host:\n    kind: host\n    interfaces:\n      br0: {kind: bridge}\n"
         "      vhost-c1: {master: br0}\n  c1:\n    interfaces:\n" +
         iface_line + "\nlinks:\n  - [host:vhost-c1, c1:eth0]\n";
}

/// The host and a node c1 whose one interface is `iface_line`, line 8 of the file.
std::string only_in_c1(const std::string& iface_line) {
  return "\nname: mv\nnodes:\n  host:\n    kind: host\n  c1:\n    interfaces:\n" + iface_line + "\n";
}

} // namespace

TEST_CASE("a veth end created in the host is moved then renamed then set up", "[move]") {
  auto l = first_plan(k_move_lab);
  size_t create = index_of(l, "+ veth host:vhost-c1 <-> host:veth-c1");
  size_t move = index_of(l, "~ move host:veth-c1 -> c1");
  size_t rename = index_of(l, "~ rename c1:veth-c1 -> eth0");
  CHECK(index_of(l, "+ netns c1") < create);
  CHECK(create < move);
  CHECK(move == create + 1);
  CHECK(rename == move + 1);
  CHECK(rename < index_of(l, "~ c1:eth0 up"));
  CHECK(rename < index_of(l, "+ address c1:eth0 10.9.0.2/24"));
}

TEST_CASE("plan --explain shows the create and move and rename commands", "[move]") {
  Lab lab;
  Plan p = lab.plan(parse(k_move_lab));
  std::vector<std::string> all;
  for (const auto& a : p.actions)
    for (const auto& c : explain(a))
      all.push_back(c);
  auto has = [&](const std::string& part) {
    INFO(part);
    CHECK(has_part(all, part));
  };
  has("type veth peer name veth-c1");
  has("ip link set veth-c1 netns c1");
  has("ip -n c1 link set veth-c1 name eth0");
  has("ip -n c1 link set eth0 up");
  // c1 has no IPv6: the moved end gets the mode again in its new namespace.
  has("ip -n c1 link set veth-c1 addrgenmode none");
}

TEST_CASE("the moved end's master and up are not folded into the create request", "[move][fold]") {
  Lab lab;
  Plan p = lab.plan(parse(k_move_lab));
  for (const auto& a : p.actions) {
    if (const auto* u = std::get_if<SetUp>(&a); u && u->link == "eth0") CHECK_FALSE(u->in_create);
    if (const auto* c = action_if<CreateLink>(a); c && c->iface.kind == LinkKind::veth) {
      CHECK(c->ns.node == "host");
      CHECK(c->peer_ns->node == "host");
    }
  }
}

TEST_CASE("a moved and renamed end converges and a second up changes nothing", "[move]") {
  Lab lab;
  Topology t = parse(k_move_lab);
  lab.converge(t);
  REQUIRE(lab.kernel.link("c1", "eth0"));
  CHECK(lab.kernel.link("c1", "eth0")->up);
  CHECK(lab.kernel.link("c1", "eth0")->addresses.size() == 1);
  CHECK_FALSE(lab.kernel.link("host", "veth-c1"));
  CHECK_FALSE(lab.kernel.link("c1", "veth-c1"));
}

TEST_CASE("a kill between create and move is resumed: the move and rename are left", "[move][crash]") {
  Lab lab;
  Topology t = parse(k_move_lab);
  auto plan = lab.plan(t);
  lab.memory = next_lab_state(lab.memory, t, {});
  apply_through(lab, plan, "+ veth host:vhost-c1 <-> host:veth-c1");
  REQUIRE(lab.kernel.link("host", "veth-c1"));
  Plan again = lab.plan(t);
  auto l = lines(again);
  CHECK_FALSE((starts_with_any(l, "+ veth") || starts_with_any(l, "- veth")));
  CHECK(index_of(l, "~ move host:veth-c1 -> c1") < index_of(l, "~ rename c1:veth-c1 -> eth0"));
  CHECK(std::ranges::any_of(again.findings, [](const Finding& f) {
    return f.path == "c1/eth0/netns" && f.want == "c1" && f.have == "host";
  }));
  lab.converge(t);
}

TEST_CASE("a kill between move and rename is resumed: the rename is left", "[move][crash]") {
  Lab lab;
  Topology t = parse(k_move_lab);
  apply_through(lab, lab.plan(t), "~ move host:veth-c1 -> c1");
  REQUIRE(lab.kernel.link("c1", "veth-c1"));
  auto l = lines(lab.plan(t));
  CHECK_FALSE(has_line(l, "~ move host:veth-c1 -> c1"));
  CHECK(index_of(l, "~ rename c1:veth-c1 -> eth0") < index_of(l, "~ c1:eth0 up"));
  lab.converge(t);
}

TEST_CASE("a half-way end brought up by hand is set down before its rename", "[move][crash]") {
  Lab lab;
  Topology t = parse(k_move_lab);
  apply_through(lab, lab.plan(t), "~ move host:veth-c1 -> c1");
  lab.kernel.link("c1", "veth-c1")->up = true;
  auto l = lines(lab.plan(t));
  CHECK(index_of(l, "~ c1:veth-c1 down") < index_of(l, "~ rename c1:veth-c1 -> eth0"));
  CHECK(index_of(l, "~ rename c1:veth-c1 -> eth0") < index_of(l, "~ c1:eth0 up"));
  lab.converge(t);
  CHECK(lab.kernel.link("c1", "eth0")->up);
}

TEST_CASE("down finds an end left under its temporary name in the host", "[move][crash]") {
  Lab lab;
  Topology t = parse(k_move_lab);
  apply_through(lab, lab.plan(t), "+ veth host:vhost-c1 <-> host:veth-c1");
  lab.memory = next_lab_state(lab.memory, t, {});
  lab.up(empty_lab(t.name));
  CHECK_FALSE(lab.kernel.link("host", "veth-c1"));
  CHECK_FALSE(lab.kernel.link("host", "vhost-c1"));
}

TEST_CASE("a failure after the move undoes the move and the create", "[move][undo]") {
  Lab lab;
  Topology t = parse(k_move_lab);
  auto before = lab.kernel.nodes;
  auto plan = lab.plan(t);
  size_t rename = index_of(lines(plan), "~ rename c1:veth-c1 -> eth0");
  lab.kernel.fail_write = rename; // every action before it succeeds (writes are counted from 0)
  auto r = apply_plan(lab.kernel, plan.actions);
  CHECK_FALSE(r.ok());
  CHECK(r.rolled_back);
  for (const auto& e : r.undo_errors)
    FAIL_CHECK(e);
  CHECK(lab.kernel.nodes.size() == before.size());
  CHECK(lab.kernel.nodes["host"].links.size() == before["host"].links.size());
}

TEST_CASE("the undo of a move moves back and of a rename renames back", "[move][undo]") {
  NsRef host{"host", NodeKind::host, ""}, c1{"c1", NodeKind::netns, "/run/netns/c1"};
  auto back = std::get<MoveLink>(inverse(MoveLink{host, "veth-c1", c1, true}).front());
  CHECK(back.ns.node == "c1");
  CHECK(back.to.node == "host");
  CHECK(back.link == "veth-c1");
  auto name = std::get<RenameLink>(inverse(RenameLink{c1, "veth-c1", "eth0"}).front());
  CHECK(name.link == "eth0");
  CHECK(name.name == "veth-c1");
}

TEST_CASE("moves and renames as JSON are link settings: netns and name", "[move][json]") {
  NsRef host{"host", NodeKind::host, ""}, c1{"c1", NodeKind::netns, "/run/netns/c1"};
  auto m = action_json(MoveLink{host, "veth-c1", c1, false}, true);
  CHECK(m["op"] == "set");
  CHECK(m["object"] == "link");
  CHECK(m["node"] == "host");
  CHECK(m["fields"]["netns"] == "c1");
  CHECK(m["old"]["netns"] == "host");
  CHECK(m["text"] == "~ move host:veth-c1 -> c1");
  CHECK(m["commands"][0] == "ip link set veth-c1 netns c1");
  auto r = action_json(RenameLink{c1, "veth-c1", "eth0"}, true);
  CHECK(r["fields"]["name"] == "eth0");
  CHECK(r["old"]["name"] == "veth-c1");
  CHECK(r["commands"][0] == "ip -n c1 link set veth-c1 name eth0");
}

TEST_CASE("rename_from alone renames in place and created_in alone moves under the end's name", "[move]") {
  auto l = first_plan(with("      eth0: {rename_from: tmp0}"));
  CHECK(has_line(l, "~ rename c1:tmp0 -> eth0"));
  CHECK_FALSE(starts_with_any(l, "~ move"));
  auto m = first_plan(with("      eth0: {created_in: host}"));
  CHECK(has_line(m, "~ move host:eth0 -> c1"));
  CHECK_FALSE(starts_with_any(m, "~ rename"));
}

TEST_CASE("created_in and rename_from are checked with positions", "[move][validate]") {
  CHECK(problems(with("      eth0: {created_in: hots}")) ==
        Lines{"t.yaml:10:26: interface 'c1:eth0': created_in 'hots' names no node (did you mean 'host'?)"});
  auto long_name = problems(with("      eth0: {rename_from: a-name-of-16-byte}"));
  REQUIRE(long_name.size() == 1);
  CHECK(long_name[0].starts_with("t.yaml:10:27: 'rename_from': "));
  auto clash = problems(with("      eth0: {created_in: host, rename_from: br0}"));
  REQUIRE(clash.size() == 1);
  CHECK(clash[0].starts_with("t.yaml:10:45: interface 'c1:eth0' is created as 'br0' in node 'host', where interface "
                             "'host:br0' has that name"));
  auto plain = problems(with("      eth0: {created_in: host}\n      eth1: {kind: dummy, created_in: host}"));
  CHECK(starts_with_any(plain, "t.yaml:11:39: interface 'c1:eth1' is a dummy; netlab creates elsewhere and moves"));
}

TEST_CASE("a bridge or lo that would move is refused with the kernel's reason", "[move][validate]") {
  auto bridge = problems(only_in_c1("      br1: {kind: bridge, created_in: host}"));
  REQUIRE(bridge.size() == 1);
  CHECK(bridge[0].starts_with(
      "t.yaml:8:39: interface 'c1:br1' is a bridge, and a bridge cannot move between namespaces"));
  CHECK(bridge[0].find("NETIF_F_NETNS_LOCAL") != std::string::npos);
  CHECK(bridge[0].find("Invalid argument") != std::string::npos);
  auto lo = problems(only_in_c1("      lo: {created_in: host}"));
  REQUIRE(lo.size() == 1);
  CHECK(lo[0].starts_with("t.yaml:8:24: 'lo' cannot move between namespaces"));
  CHECK(lo[0].find("Invalid argument") != std::string::npos);
}

TEST_CASE("two ends created in one namespace under one name are refused", "[move][validate]") {
  auto p = problems(R"(
name: mv
nodes:
  host:
    kind: host
  c1:
    interfaces:
      eth0: {created_in: host, rename_from: tmp}
  c2:
    interfaces:
      eth0: {created_in: host, rename_from: tmp}
links:
  - [c1:eth0, c2:eth0]
)");
  REQUIRE(p.size() == 1);
  CHECK(p[0].starts_with("t.yaml:11:45: interface 'c2:eth0' and 'c1:eth0' are both created as 'tmp' in node 'host'"));
}

TEST_CASE("an instance renames created_in with the nodes", "[move][instance]") {
  Topology t = parse(k_move_lab);
  auto i = instantiate(t, "a");
  REQUIRE(i);
  const Node* c1 = i->find_node("a-c1");
  REQUIRE(c1);
  CHECK(c1->find_interface("eth0")->created_in == "a-host");
}

TEST_CASE("the graph says where a moved end was made and as what", "[move][graph]") {
  Topology t = parse(k_move_lab);
  CHECK(render_dot(t).find("made in host as veth-c1") != std::string::npos);
  CHECK(render_mermaid(t).find("made in host as veth-c1") != std::string::npos);
}
