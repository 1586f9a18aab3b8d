// netlab export as a pure function: hand-built Observed values in, a topology
// file out; and the round trip of every shipped lab through the FakeKernel.
#include "unit.hpp"

#include <netlab/export/export.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

using namespace netlab;
using namespace netlab::test;
namespace fs = std::filesystem;

namespace {

ObservedLink link(std::string name, LinkKind kind, int ifindex, int peer = 0) {
  ObservedLink l;
  l.name = std::move(name);
  l.kind = kind;
  l.ifindex = ifindex;
  l.peer_ifindex = peer;
  l.mtu = kind == LinkKind::loopback ? 65536 : 1500;
  l.up = true;
  return l;
}

ObservedNs netns(std::string name) {
  ObservedNs ns;
  ns.ref = NsRef{name, NodeKind::netns, "/run/netns/" + name, 0};
  ns.exists = true;
  ns.lo_up = true;
  ns.links.push_back(link("lo", LinkKind::loopback, 1));
  ns.sysctls = {{"net.ipv4.ip_forward", "0"}, {"net.ipv6.conf.all.forwarding", "0"}};
  return ns;
}

ObservedRoute route(const char* to, const char* via, const char* dev, uint8_t proto, uint32_t metric = 0) {
  ObservedRoute r;
  r.to = *Cidr::parse(to);
  if (via) r.via = *IpAddr::parse(via);
  if (dev) r.dev = dev;
  r.protocol = proto;
  r.metric = metric;
  return r;
}

Cidr cidr(const char* text) { return *Cidr::parse(text); }

/// What `iptables-nft -t nat -A POSTROUTING -s 192.168.10.0/24 -o uplink -j MASQUERADE` and a
/// DNAT port forward leave in `nft -j list ruleset`, plus a filter rule netlab cannot say.
std::string iptables_ruleset() {
  using nlohmann::json;
  auto base_chain = [](const char* table, const char* name, const char* type, const char* hook, int prio) {
    return json{{"chain", {{"family", "ip"}, {"table", table}, {"name", name}, {"handle", 1}, {"type", type},
                           {"hook", hook}, {"prio", prio}, {"policy", "accept"}}}};
  };
  int handle = 2;
  auto rule = [&handle](const char* table, const char* chain, json expr) {
    return json{{"rule", {{"family", "ip"}, {"table", table}, {"chain", chain}, {"handle", handle++}, {"expr", expr}}}};
  };
  json counter = {{"counter", {{"packets", 3}, {"bytes", 252}}}};
  json doc = {{"nftables",
               {{{"metainfo", {{"version", "1.0.6"}}}},
                {{"table", {{"family", "ip"}, {"name", "nat"}, {"handle", 1}}}},
                base_chain("nat", "PREROUTING", "nat", "prerouting", -100),
                base_chain("nat", "POSTROUTING", "nat", "postrouting", 100),
                rule("nat", "POSTROUTING",
                     {{{"match",
                        {{"op", "=="},
                         {"left", {{"payload", {{"protocol", "ip"}, {"field", "saddr"}}}}},
                         {"right", {{"prefix", {{"addr", "192.168.10.0"}, {"len", 24}}}}}}}},
                      {{"match", {{"op", "=="}, {"left", {{"meta", {{"key", "oifname"}}}}}, {"right", "uplink"}}}},
                      counter,
                      {{"xt", {{"type", "target"}, {"name", "MASQUERADE"}}}}}),
                rule("nat", "PREROUTING",
                     {{{"match", {{"op", "=="}, {"left", {{"meta", {{"key", "iifname"}}}}}, {"right", "uplink"}}}},
                      {{"match", {{"op", "=="}, {"left", {{"meta", {{"key", "l4proto"}}}}}, {"right", "tcp"}}}},
                      {{"match",
                        {{"op", "=="}, {"left", {{"payload", {{"protocol", "tcp"}, {"field", "dport"}}}}}, {"right", 8080}}}},
                      counter,
                      {{"xt", {{"type", "target"}, {"name", "DNAT"}}}}}),
                {{"table", {{"family", "ip"}, {"name", "filter"}, {"handle", 2}}}},
                base_chain("filter", "FORWARD", "filter", "forward", 0),
                rule("filter", "FORWARD", {counter, {{"drop", nullptr}}})}}};
  return doc.dump();
}

/// The same ruleset as `nft -a list ruleset` prints it: only the text translates the xt targets.
const char* iptables_ruleset_text() {
  return "table ip nat { # handle 1\n"
         "\tchain POSTROUTING { # handle 1\n"
         "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
         "\t\tip saddr 192.168.10.0/24 oifname \"uplink\" counter packets 3 bytes 252 masquerade # handle 2\n"
         "\t}\n"
         "\tchain PREROUTING { # handle 2\n"
         "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
         "\t\tiifname \"uplink\" tcp dport 8080 counter packets 3 bytes 252 dnat to 192.168.10.4:80 # handle 3\n"
         "\t}\n"
         "}\n";
}

/// The tutorial's bridge lab as a student builds it by hand: ns1 behind a host
/// bridge, lan on an uplink veth, MASQUERADE and a port forward in iptables.
ExportInput hand_made() {
  ExportInput in;
  ObservedNs host;
  host.ref = NsRef{"host", NodeKind::host, "", 0};
  host.exists = true;
  host.links = {link("lo", LinkKind::loopback, 1), link("eth0", LinkKind::other, 2), link("br0", LinkKind::bridge, 5),
                link("vethA", LinkKind::veth, 6, 2), link("uplink", LinkKind::veth, 7, 2),
                link("vethZ", LinkKind::veth, 8, 9)};
  host.links[1].addresses = {cidr("198.51.100.7/24")};
  host.links[2].addresses = {cidr("192.168.10.1/24"), cidr("192.168.10.1/24")}; // as a big dump once read it
  host.links[3].master = "br0";
  host.links[4].addresses = {cidr("203.0.113.1/24")};
  host.routes = {route("0.0.0.0/0", "198.51.100.1", "eth0", 3), route("198.51.100.0/24", nullptr, "eth0", 2),
                 route("192.168.10.0/24", nullptr, "br0", 2)};
  host.sysctls = {{"net.ipv4.ip_forward", "1"}, {"net.ipv6.conf.all.forwarding", "0"}};
  host.nft_ruleset = iptables_ruleset();
  host.nft_ruleset_text = iptables_ruleset_text();
  in.have.nodes["host"] = host;

  ObservedNs ns1 = netns("ns1");
  ns1.links.push_back(link("vethB", LinkKind::veth, 2, 6));
  ns1.links.back().addresses = {cidr("192.168.10.2/24")};
  ns1.links.push_back(link("sit0", LinkKind::other, 3)); // the kernel's, in every namespace
  ns1.links.back().up = false;
  ns1.routes = {route("192.168.10.0/24", nullptr, "vethB", 2), route("0.0.0.0/0", "192.168.10.1", nullptr, 3)};
  ns1.sysctls[addr_gen_mode_key("vethB")] = "0"; // made by hand: IPv6 link-local on
  in.have.nodes["ns1"] = ns1;

  ObservedNs lan = netns("lan");
  lan.lo_up = false;
  lan.links.push_back(link("eth0", LinkKind::veth, 2, 7));
  lan.links.back().addresses = {cidr("203.0.113.2/24")};
  lan.links.back().mtu = 1400;
  in.have.nodes["lan"] = lan;
  return in;
}

} // namespace

TEST_CASE("export: a hand-made bridge lab becomes a valid file", "[export]") {
  ExportResult r = export_topology(hand_made(), ExportOptions{"tut", {}, false});
  std::string yaml = export_yaml(r);
  INFO(yaml);
  Topology t = parse(yaml);
  CHECK(t.name == "tut");
  const Node* host = t.find_node("host");
  REQUIRE(host);
  CHECK(host->kind == NodeKind::host);
  CHECK(host->forwarding == true);
  // The namespaces' veth peers and their bridge; never the machine's eth0 or an unrelated veth.
  CHECK(host->find_interface("br0"));
  CHECK(host->find_interface("vethA")->master == "br0");
  CHECK(host->find_interface("uplink"));
  CHECK_FALSE(host->find_interface("eth0"));
  CHECK_FALSE(host->find_interface("vethZ"));
  CHECK(host->routes.empty()); // the machine's default route is not the lab's
  REQUIRE(host->nat.size() == 2);
  CHECK(host->nat[0].type == NatRule::Type::masquerade);
  CHECK(host->nat[0].source == cidr("192.168.10.0/24"));
  CHECK(host->nat[0].out == "uplink");
  CHECK(host->nat[1].type == NatRule::Type::dnat);
  CHECK(host->nat[1].in == "uplink");
  CHECK(host->nat[1].port_first == 8080);
  CHECK(host->nat[1].to_port == 80);
  const Node* ns1 = t.find_node("ns1");
  REQUIRE(ns1);
  CHECK_FALSE(ns1->find_interface("sit0"));
  CHECK(ns1->ipv6 == true); // an IPv4-only file would switch its link-local addresses off
  CHECK_FALSE(t.find_node("lan")->ipv6.has_value());
  REQUIRE(ns1->routes.size() == 1); // the connected route is the address's
  CHECK(ns1->routes[0].to.is_default());
  CHECK(ns1->routes[0].via == IpAddr::parse("192.168.10.1"));
  const Node* lan = t.find_node("lan");
  REQUIRE(lan);
  CHECK_FALSE(lan->loopback_up);
  CHECK(lan->find_interface("eth0")->mtu == 1400u);
  CHECK(t.links.size() == 2);
  // What the format cannot say is listed, never dropped.
  CHECK(has_part(r.not_expressed, "rule in ip filter FORWARD"));
  CHECK(has_part(r.notes, "host: 1 route(s) over links not exported"));
  CHECK(yaml.starts_with("# written by netlab export"));
  CHECK(yaml.find("# not expressed: host: rule in ip filter FORWARD") != std::string::npos);
}

TEST_CASE("export: --host-links adds a host interface, MACs netlab would not derive are written", "[export]") {
  ExportInput in = hand_made();
  in.have.nodes["host"].links[1].kind = LinkKind::dummy;
  in.have.nodes["ns1"].links[1].mac = "02:00:00:00:00:01";
  ExportResult r = export_topology(in, ExportOptions{"tut", {"eth0", "nosuch"}, true});
  Topology t = parse(export_yaml(r));
  const Interface* eth0 = t.find_node("host")->find_interface("eth0");
  REQUIRE(eth0);
  CHECK(eth0->kind == LinkKind::dummy);
  CHECK(t.find_node("ns1")->find_interface("vethB")->mac == "02:00:00:00:00:01");
  CHECK(has_part(r.not_expressed, "--host-links nosuch: no such link"));
  // With eth0 exported, the default route over it is the lab's too.
  CHECK(t.find_node("host")->routes.size() == 1);
}

TEST_CASE("export: a veth into an unnamed namespace and odd routes are listed", "[export]") {
  ExportInput in;
  ObservedNs ns1 = netns("ns1");
  ns1.links.push_back(link("eth0", LinkKind::veth, 2, 40)); // a container's end: no named namespace has it
  ns1.links.push_back(link("d0", LinkKind::dummy, 3));
  ns1.links.back().addresses = {cidr("10.0.0.1/24"), cidr("2001:db8::1/64")};
  ns1.links.back().qdisc = "htb";
  ns1.routes = {route("10.9.0.0/16", nullptr, nullptr, 3), route("2001:db8:1::/64", "2001:db8::2", nullptr, 9, 1024),
                route("10.8.0.0/16", "10.0.0.2", nullptr, 4, 7)};
  ns1.sysctls["net.ipv4.ip_forward"] = "1";
  ns1.sysctls["net.ipv4.conf.all.arp_ignore"] = "1";
  ns1.sysctls["net.ipv4.conf.all.proxy_arp"] = "0";
  in.have.nodes["ns1"] = ns1;
  ExportResult r = export_topology(in, ExportOptions{});
  INFO(export_yaml(r));
  Topology t = parse(export_yaml(r));
  CHECK(t.name == "exported");
  CHECK_FALSE(t.find_node("host")); // no host link belongs to the lab
  const Node* n = t.find_node("ns1");
  CHECK(n->forwarding == true);
  CHECK(n->sysctls == std::map<std::string, std::string>{{"net.ipv4.conf.all.arp_ignore", "1"}});
  CHECK_FALSE(n->find_interface("eth0"));
  REQUIRE(n->routes.size() == 1);
  CHECK(n->routes[0].metric == 7u);
  CHECK(has_part(r.not_expressed, "ns1:eth0: a veth whose other end is in no exported namespace"));
  CHECK(has_part(r.not_expressed, "ns1:d0: root qdisc htb"));
  CHECK(has_part(r.not_expressed, "route 10.9.0.0/16"));
  CHECK(has_part(r.not_expressed, "router advertisement"));
  CHECK(has_part(r.not_expressed, "net.ipv6.conf.all.forwarding = 0"));
}

TEST_CASE("export: nft rules netlab cannot say are listed with their table and chain", "[export]") {
  std::vector<std::string> missing;
  auto items = export_nat(R"({"nftables": [
    {"table": {"family": "ip", "name": "nat"}},
    {"chain": {"family": "ip", "table": "nat", "name": "POSTROUTING", "type": "nat", "hook": "postrouting", "prio": 100, "policy": "drop"}},
    {"chain": {"family": "ip", "table": "nat", "name": "DOCKER"}},
    {"rule": {"family": "ip", "table": "nat", "chain": "POSTROUTING", "expr": [{"jump": {"target": "DOCKER"}}]}},
    {"rule": {"family": "ip", "table": "nat", "chain": "DOCKER", "expr": [{"masquerade": null}]}},
    {"rule": {"family": "ip", "table": "nat", "chain": "POSTROUTING", "expr": [{"xt": {"type": "target", "name": "MASQUERADE"}}]}},
    {"rule": {"family": "ip", "table": "nat", "chain": "POSTROUTING",
              "expr": [{"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "eth0"}}, {"snat": {"addr": "192.0.2.1"}}]}}
  ]})",
                          "", "host", missing);
  REQUIRE(items.size() == 1);
  CHECK(items[0].entries[0].first.scalar == "snat");
  CHECK(has_part(missing, "POSTROUTING has policy drop"));
  CHECK(has_part(missing, "rule in ip nat DOCKER (a chain without a hook)"));
  CHECK(has_part(missing, "jump"));
  CHECK(has_part(missing, "xt target MASQUERADE (its arguments were not read)"));
  missing.clear();
  CHECK(export_nat("not json", "", "ns1", missing).empty());
  CHECK(has_part(missing, "ns1: the nftables ruleset could not be read"));
}

namespace {

std::vector<fs::path> shipped_labs() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(NETLAB_SOURCE_DIR) / "topologies"))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

/// What `export` reads from the fake: every namespace, the NAT table as a ruleset listing.
ExportInput observe_for_export(FakeKernel& k) {
  ExportInput in;
  ObserveRequest what;
  what.sysctls = {"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"};
  for (const auto& [key, value] : export_sysctl_defaults()) what.sysctls.push_back(key);
  what.all_routes = what.qdiscs = what.bridge_vlans = true;
  for (const auto& [name, ns] : k.nodes) {
    if (!ns.exists) continue;
    NsRef ref = name == "host" ? NsRef{"host", NodeKind::host, "", 0} : ns.ref;
    auto seen = k.observe(ref, what);
    REQUIRE(seen);
    // Like cmd_export: each link's IPv6 address generation, read once its links are known.
    if (name != "host") {
      ObserveRequest modes;
      for (const auto& l : seen->links)
        if (l.kind != LinkKind::loopback) modes.sysctls.push_back(addr_gen_mode_key(l.name));
      auto m = k.observe(ref, modes);
      REQUIRE(m);
      seen->sysctls.merge(m->sysctls);
    }
    if (ns.nat_table) seen->nft_ruleset = R"({"nftables": )" + *ns.nat_table + "}";
    in.have.nodes[name] = *seen;
  }
  return in;
}

} // namespace

TEST_CASE("export: every shipped lab, brought up on the fake kernel, exports to a file that is converged",
          "[export]") {
  for (const auto& file : shipped_labs()) {
    // An external namespace is not the lab's to create: exported, it would be a netns node.
    if (file.filename() == "external-netns.yaml" || file.filename() == "container-netns.yaml") continue;
    SECTION(file.filename().string()) {
      auto raw = load_file(file.string());
      REQUIRE(raw);
      auto topo = validate(*raw);
      REQUIRE(topo);
      Lab lab;
      lab.kernel.missing_drivers.clear();
      lab.kernel.missing_qdiscs.clear();
      for (const auto& [key, value] : export_sysctl_defaults()) lab.kernel.known_sysctls.insert(key);
      lab.up(*topo);
      // veth-default-dev's br6 is a host link no namespace's veth reaches: exported when named.
      std::vector<std::string> host_links;
      if (file.filename() == "veth-default-dev.yaml") host_links = {"br6"};
      ExportResult r = export_topology(observe_for_export(lab.kernel), ExportOptions{topo->name, host_links, true});
      std::string yaml = export_yaml(r);
      INFO(yaml);
      CHECK(r.not_expressed.empty());
      Topology exported = parse(yaml);
      // Same lab name: the objects are the lab's; status of the export must find nothing to do.
      Plan again = lab.plan(exported);
      CHECK(lines(again) == Lines{});
      CHECK(again.conflicts.empty());
      // And the original file is still converged against the same kernel (nothing was changed).
      CHECK(lines(lab.plan(*topo)) == Lines{});
    }
  }
}

namespace {

/// `t` brought up on the fake, then every netlab mark taken away: what a student makes by hand.
Lab hand_made_lab(const Topology& t) {
  Lab lab;
  lab.up(t);
  for (auto& [name, ns] : lab.kernel.nodes) {
    ns.owner.clear();
    for (auto& l : ns.links) l.alias.clear();
    for (auto& r : ns.routes) r.protocol = 3; // RTPROT_BOOT: `ip route add`
    ns.nat_table.reset();
  }
  lab.memory = LabState{};
  return lab;
}

const char* const k_adopt_lab = R"(name: adopt
nodes:
  host:
    kind: host
    interfaces:
      br0: {kind: bridge, addresses: [10.0.0.1/24]}
      vethA: {master: br0}
  ns1:
    ipv6: true            # as export writes it for a namespace made by hand
    interfaces:
      vethB: {addresses: [10.0.0.2/24]}
    routes: [default via 10.0.0.1]
links:
  - [ns1:vethB, host:vethA]
)";

} // namespace

TEST_CASE("up --adopt tags hand-made namespaces and links that match, and accepts their routes", "[export][adopt]") {
  Topology t = parse(k_adopt_lab);
  Lab lab = hand_made_lab(t);
  auto have = observe_lab(lab.kernel, t, lab.memory);
  REQUIRE(have);
  CHECK_FALSE(diff(t, *have, lab.memory).conflicts.empty()); // without --adopt: foreign objects, refused
  lab.memory.adopt = true;
  Plan adopt = lab.plan(t);
  CHECK(adopt.conflicts.empty());
  Lines planned = lines(adopt);
  std::ranges::sort(planned);
  CHECK(planned == Lines{"+ route ns1: default via 10.0.0.1",
                         "- route ns1: default via 10.0.0.1 dev vethB",
                         "~ host:br0 alias netlab:adopt (adopted: up --adopt)",
                         "~ host:vethA alias netlab:adopt (adopted: up --adopt)",
                         "~ ns1:lo alias netlab:adopt (adopted: up --adopt)",
                         "~ ns1:vethB alias netlab:adopt (adopted: up --adopt)"});
  // status --adopt: what would be adopted counts as ok
  CHECK(std::ranges::all_of(adopt.findings, [](const Finding& f) { return f.state == Finding::State::ok; }));
  lab.up(t);
  lab.memory.adopt = false;
  CHECK(lines(lab.plan(t)) == Lines{});
  // Adopted, the objects are the lab's: down removes them.
  Topology empty;
  empty.name = "adopt";
  Lines down = lines(lab.plan(empty));
  CHECK(has_line(down, "- netns ns1"));
  CHECK(has_line(down, "- bridge host:br0"));
}

TEST_CASE("up --adopt never takes over a host bridge that also holds links the file does not name", "[export][adopt]") {
  Topology t = parse(k_adopt_lab);
  Lab lab = hand_made_lab(t);
  // The machine's own uplink is a port of br0 too: adopting br0 would let `down` delete it.
  ObservedLink uplink;
  uplink.name = "eno1";
  uplink.kind = LinkKind::other;
  uplink.ifindex = 99;
  uplink.master = "br0";
  uplink.up = true;
  lab.kernel.nodes.at("host").links.push_back(uplink);
  lab.memory.adopt = true;
  auto have = observe_lab(lab.kernel, t, lab.memory);
  REQUIRE(have);
  Plan p = diff(t, *have, lab.memory); // plan_lab refuses a plan with conflicts
  REQUIRE(p.conflicts.size() == 1);
  CHECK_THAT(p.conflicts.front(), Catch::Contains("br0") && Catch::Contains("whose ports the file all names"));
  Lines planned = lines(p);
  CHECK_FALSE(has_line(planned, "~ host:br0 alias netlab:adopt (adopted: up --adopt)"));
}
