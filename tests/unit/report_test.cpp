// Actions as data (--json): the keys docs/json.md and schema/json/common.schema.json promise.
#include <netlab/report/report.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace netlab;

namespace {

NsRef ns(const std::string& node) { return NsRef{node, NodeKind::netns, "/run/netns/" + node}; }

Interface iface(const std::string& name, LinkKind kind) {
  Interface i;
  i.name = name;
  i.kind = kind;
  return i;
}

} // namespace

TEST_CASE("action_json: a veth pair with both ends as data beside its plan line", "[report]") {
  CreateLink c{.ns = ns("ns1"), .iface = iface("veth1", LinkKind::veth), .owner = "netlab:lab"};
  c.iface.mtu = 1400;
  c.peer_ns = ns("ns2");
  c.peer = iface("veth2", LinkKind::veth);
  c.up = true;
  c.other_master = "br0";
  auto j = action_json(c, false);
  CHECK(j["op"] == "create");
  CHECK(j["object"] == "veth");
  CHECK(j["node"] == "ns1");
  CHECK(j["name"] == "veth1");
  CHECK(j["fields"]["mtu"] == 1400);
  CHECK(j["fields"]["up"] == true);
  const nlohmann::json peer_fields{{"master", "br0"}, {"up", false}};
  CHECK(j["peer"] == nlohmann::json{{"node", "ns2"}, {"name", "veth2"}, {"fields", peer_fields}});
  CHECK(j["text"] == "+ veth ns1:veth1 <-> ns2:veth2");
  CHECK_FALSE(j.contains("commands"));
  CHECK(action_json(c, true)["commands"].size() == 3);
}

TEST_CASE("action_json: settings of live links carry what they replace", "[report]") {
  auto mtu = action_json(SetMtu{ns("ns1"), "e0", 1400, 1500}, false);
  CHECK(mtu["op"] == "set");
  CHECK(mtu["object"] == "link");
  CHECK(mtu["fields"] == nlohmann::json{{"mtu", 1400}});
  CHECK(mtu["old"] == nlohmann::json{{"mtu", 1500}});

  auto master = action_json(SetMaster{ns("ns1"), "e0", std::nullopt, "br0", false}, false);
  CHECK(master["fields"]["master"].is_null());
  CHECK(master["old"]["master"] == "br0");
  CHECK_FALSE(master.contains("in_create"));
  CHECK(action_json(SetUp{ns("ns1"), "e0", true, false, true}, false)["in_create"] == true);

  auto vlans = action_json(SetBridgeVlans{ns("sw"), "t0", false, {{10, 10, true, true}}, {}}, false);
  CHECK(vlans["fields"]["vlans"][0] == nlohmann::json{{"id", 10}, {"last", 10}, {"pvid", true}, {"untagged", true}});
  CHECK(vlans["fields"]["self"] == false);
  CHECK(vlans["old"]["vlans"].empty());
}

TEST_CASE("action_json: addresses and routes and sysctls and NAT and impairment and re-created links", "[report]") {
  auto addr = action_json(AddAddress{ns("ns1"), "e0", *Cidr::parse("10.0.0.1/24")}, false);
  CHECK(addr["object"] == "address");
  CHECK(addr["name"] == "e0");
  CHECK(addr["fields"]["address"] == "10.0.0.1/24");

  ObservedRoute r;
  r.to = *Cidr::parse("0.0.0.0/0");
  r.via = IpAddr::parse("10.0.0.254");
  auto route = action_json(DelRoute{ns("ns1"), r}, false);
  CHECK(route["op"] == "delete");
  CHECK(route["name"] == "default");
  CHECK(route["fields"] == nlohmann::json{{"to", "default"}, {"via", "10.0.0.254"}, {"metric", 0}});

  auto sysctl = action_json(SetSysctl{NsRef{"host", NodeKind::host, {}}, "net.ipv4.ip_forward", "1", "0"}, false);
  CHECK(sysctl["name"] == "net.ipv4.ip_forward");
  CHECK(sysctl["fields"]["value"] == "1");
  CHECK(sysctl["old"]["value"] == "0");

  CHECK(action_json(SetNat{ns("r"), "netlab-lab", {}, "{}"}, false)["op"] == "delete");
  auto nat = action_json(SetNat{ns("r"), "netlab-lab", {NatRule{}}, std::nullopt}, false);
  CHECK(nat["op"] == "create");
  CHECK(nat["fields"]["rules"] == 1);

  Impairment slow;
  slow.delay_us = 10000;
  slow.loss_pct = 1.0;
  auto imp = action_json(SetImpair{ns("a"), "e0", slow, std::nullopt, 1500}, false);
  CHECK(imp["op"] == "set");
  CHECK(imp["object"] == "impair");
  CHECK(imp["fields"] == nlohmann::json{{"delay_us", 10000}, {"loss_pct", 1.0}});
  CHECK(action_json(SetImpair{ns("a"), "e0", std::nullopt, slow, 1500}, false)["op"] == "delete");

  ObservedLink was;
  was.name = "vx0";
  was.kind = LinkKind::vxlan;
  DeleteLink remake{ns("a"), was, std::nullopt, std::nullopt, "id 43, was 42"};
  auto del = action_json(remake, false);
  CHECK(del["object"] == "vxlan");
  CHECK(del["fields"]["reason"] == "id 43, was 42");
}

TEST_CASE("reconcile_json: a failure names the change and the error with its exit code", "[report]") {
  ReconcileReport r;
  r.plan.actions.push_back(CreateNetns{ns("ns1"), "netlab:lab", true});
  r.plan.actions.push_back(CreateNetns{ns("ns2"), "netlab:lab", true});
  r.applied.done = 1;
  r.applied.failed_index = 1;
  r.applied.error = Error{"File exists"};
  r.applied.rolled_back = true;
  auto j = reconcile_json("lab", r);
  CHECK(j["ok"] == false);
  CHECK(j["changes"].size() == 1);
  CHECK(j["error"]["exit_code"] == 1);
  CHECK(j["error"]["message"] == "failed: + netns ns2: File exists");
  CHECK(j["error"]["failed_change"]["name"] == "ns2");
  CHECK(j["error"]["rolled_back"] == true);
}
