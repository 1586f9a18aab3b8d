// Stable MACs: the derivation, its uniqueness within a lab, and where the plan puts them.
#include <catch2/catch.hpp>

#include "unit.hpp"
#include <netlab/plan/describe.hpp>
#include <netlab/plan/mac.hpp>

#include <set>

using namespace netlab;
using namespace netlab::test;

namespace {

const char* const k_lab = R"(
name: lab1
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge, addresses: [10.1.0.1/24]}
      vethA: {master: br0}
  ns1:
    interfaces:
      vethB: {addresses: [10.1.0.2/24]}
      tap0: {kind: tap}
      tun0: {kind: tun}
      mv0: {kind: macvlan, parent: vethB}
      mvp: {kind: macvlan, parent: tap0, mode: passthru}
      vl0: {kind: vlan, parent: vethB, id: 5}
      vx0: {kind: vxlan, id: 42, remote: 10.1.0.9}
      d0: {kind: dummy, mac: "02:00:00:00:00:01"}
links: [[ns1:vethB, host:vethA]]
)";

} // namespace

TEST_CASE("derived MACs: 02 then five bytes of FNV-1a over lab, node and interface", "[mac]") {
  // FNV-1a 64 of "lab1\0ns1\0vethB", first five bytes after the fixed 02.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : std::string("lab1\0ns1\0vethB", 14)) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  char want[18];
  std::snprintf(want, sizeof want, "02:%02x:%02x:%02x:%02x:%02x", unsigned(h >> 56) & 0xff, unsigned(h >> 48) & 0xff,
                unsigned(h >> 40) & 0xff, unsigned(h >> 32) & 0xff, unsigned(h >> 24) & 0xff);
  CHECK(derived_mac("lab1", "ns1", "vethB") == want);
  // Same names, same MAC, on any machine; any name differs: another MAC.
  CHECK(derived_mac("lab1", "ns1", "vethB") == derived_mac("lab1", "ns1", "vethB"));
  std::set<std::string> seen{derived_mac("lab1", "ns1", "vethB"), derived_mac("lab2", "ns1", "vethB"),
                             derived_mac("lab1", "ns2", "vethB"), derived_mac("lab1", "ns1", "vethC"),
                             derived_mac("lab1", "ns1v", "ethB"), derived_mac("lab1", "ns1", "vethB", 1)};
  CHECK(seen.size() == 6);
  for (const auto& mac : seen) {
    CHECK(mac.size() == 17);
    CHECK(mac.starts_with("02:")); // locally administered, unicast
  }
}

TEST_CASE("derived MACs are distinct within a lab, whatever the file order", "[mac]") {
  // 20,000 interfaces: no two share a MAC, and a file MAC equal to a derived one pushes the derived one on.
  Topology t;
  t.name = "big";
  for (int n = 0; n < 2000; ++n) {
    Node node;
    node.name = "n" + std::to_string(n);
    for (int i = 0; i < 10; ++i) {
      Interface ifc;
      ifc.name = "e" + std::to_string(i);
      ifc.kind = LinkKind::dummy;
      node.interfaces.push_back(ifc);
    }
    t.nodes.push_back(node);
  }
  t.nodes[5].interfaces[0].mac = derived_mac("big", "n0", "e0"); // taken by the file
  LabMacs macs(t);
  std::set<std::string> all;
  for (const auto& node : t.nodes)
    for (const auto& ifc : node.interfaces)
      all.insert(*macs.of(node.name, ifc.name));
  CHECK(all.size() == 20000);
  CHECK(macs.of("n5", "e0") == derived_mac("big", "n0", "e0"));
  CHECK(macs.of("n0", "e0") == derived_mac("big", "n0", "e0", 1));
  CHECK(macs.of("n0", "e1") == derived_mac("big", "n0", "e1"));
  // Reversing the file's order changes nothing.
  Topology reversed = t;
  std::reverse(reversed.nodes.begin(), reversed.nodes.end());
  LabMacs again(reversed);
  for (const auto& node : t.nodes)
    for (const auto& ifc : node.interfaces)
      CHECK(again.of(node.name, ifc.name) == macs.of(node.name, ifc.name));
}

TEST_CASE("every link netlab creates gets its MAC in the create request", "[mac]") {
  Topology topo = parse(k_lab);
  LabMacs macs(topo);
  Lab fresh;
  fresh.kernel.missing_drivers.clear();
  Plan p = fresh.plan(topo);
  auto created = [&](const std::string& name) -> const CreateLink& {
    return first_of<CreateLink>(
        p, [&](const CreateLink& c) { return c.iface.name == name || (c.peer && c.peer->name == name); });
  };
  const CreateLink& veth = created("vethB");
  const Interface& b = veth.iface.name == "vethB" ? veth.iface : *veth.peer;
  const Interface& a = veth.iface.name == "vethA" ? veth.iface : *veth.peer;
  CHECK(b.mac == derived_mac("lab1", "ns1", "vethB"));
  CHECK(a.mac == derived_mac("lab1", "host", "vethA"));
  CHECK(created("br0").iface.mac == derived_mac("lab1", "host", "br0"));
  CHECK(created("tap0").iface.mac == derived_mac("lab1", "ns1", "tap0"));
  CHECK(created("mv0").iface.mac == derived_mac("lab1", "ns1", "mv0"));
  CHECK(created("vx0").iface.mac == derived_mac("lab1", "ns1", "vx0"));
  CHECK(created("d0").iface.mac == "02:00:00:00:00:01"); // the file's
  CHECK_FALSE(created("tun0").iface.mac);                // no link-layer address
  CHECK_FALSE(created("vl0").iface.mac);                 // its parent's
  CHECK_FALSE(created("mvp").iface.mac);                 // passthru: its parent's
  CHECK_FALSE(macs.of("ns1", "tun0"));
  // No SetMac of its own: the MAC costs no request.
  for (const auto& action : p.actions)
    CHECK_FALSE(std::holds_alternative<SetMac>(action));
  // --explain shows it where the kernel gets it.
  CHECK(explain(created("br0"))[0] ==
        "ip link add br0 address " + derived_mac("lab1", "host", "br0") + " up type bridge");
  auto tap = explain(created("tap0"));
  CHECK(has_part(tap, "link set tap0 address " + derived_mac("lab1", "ns1", "tap0")));
}

TEST_CASE("a derived MAC is not compared: an older lab's random MACs stay converged", "[mac]") {
  Topology topo = parse(k_lab);
  Lab lab;
  lab.kernel.missing_drivers.clear();
  lab.up(topo);
  for (auto& [name, ns] : lab.kernel.nodes)
    for (auto& l : ns.links)
      if (l.name != "lo" && l.name != "d0") l.mac = "02:99:99:99:99:99"; // as a random MAC of an older netlab
  Plan again = lab.plan(topo);
  CHECK(again.actions.empty());
  // A MAC the file sets is compared and repaired.
  for (auto& l : lab.kernel.nodes["ns1"].links)
    if (l.name == "d0") l.mac = "02:99:99:99:99:98";
  Plan repair = lab.plan(topo);
  REQUIRE(repair.actions.size() == 1);
  CHECK(std::get<SetMac>(repair.actions[0]).mac == "02:00:00:00:00:01");
}
