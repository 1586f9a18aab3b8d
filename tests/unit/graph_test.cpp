#include <catch2/catch.hpp>
#include <netlab/topology/graph.hpp>
#include <netlab/topology/graph_image.hpp>

#include <regex>

using namespace netlab;

namespace {

Cidr cidr(const char* s) { return *Cidr::parse(s, true); }
IpAddr ip(const char* s) { return *IpAddr::parse(s); }

Interface veth(std::string name, std::string peer_node, std::string peer_if) {
  Interface i;
  i.name = std::move(name);
  i.peer = Endpoint{std::move(peer_node), std::move(peer_if)};
  return i;
}

// The README's default lab: ns1 and ns2 on mybridge in the host, host is the gateway.
Topology bridge_gateway() {
  Topology t;
  t.name = "bridge-gateway";
  Node host;
  host.name = "host";
  host.kind = NodeKind::host;
  host.forwarding = true;
  Interface br;
  br.name = "mybridge";
  br.kind = LinkKind::bridge;
  br.addresses = {cidr("192.168.10.1/24")};
  host.interfaces.push_back(br);
  for (const char* n : {"vethA", "vethC"}) {
    Interface port = veth(n, n == std::string("vethA") ? "ns1" : "ns2", "eth0");
    port.master = "mybridge";
    host.interfaces.push_back(port);
  }
  NatRule masq;
  masq.source = cidr("192.168.10.0/24");
  masq.out = "uplink";
  host.nat.push_back(masq);
  NatRule dnat;
  dnat.type = NatRule::Type::dnat;
  dnat.protocol = "tcp";
  dnat.port_first = dnat.port_last = 8080;
  dnat.to_addr = ip("192.168.10.3");
  dnat.to_port = 80;
  host.nat.push_back(dnat);
  t.nodes.push_back(host);
  for (auto [ns, hostside, addr] : {std::tuple{"ns1", "vethA", "192.168.10.2/24"}, {"ns2", "vethC", "192.168.10.3/24"}}) {
    Node n;
    n.name = ns;
    Interface e = veth("eth0", "host", hostside);
    e.addresses = {cidr(addr)};
    n.interfaces.push_back(e);
    Route r;
    r.to = cidr("0.0.0.0/0");
    r.via = ip("192.168.10.1");
    n.routes.push_back(r);
    t.nodes.push_back(n);
    t.links.push_back({Endpoint{ns, "eth0"}, Endpoint{"host", hostside}, std::nullopt, {}, std::nullopt});
  }
  return t;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

} // namespace

TEST_CASE("mermaid: one subgraph per node, interfaces inside, veth and port edges", "[graph]") {
  std::string m = render_mermaid(bridge_gateway());
  CHECK(m.find("flowchart LR\n") != std::string::npos);
  CHECK(count(m, "  subgraph ") == 3);
  CHECK(count(m, "\n  end\n") == 3);
  CHECK(m.find("subgraph n0 [\"host (host)\"]") != std::string::npos);
  CHECK(m.find("subgraph n1 [\"ns1 (netns)\"]") != std::string::npos);
  // Bridge is a hexagon, with its address; veth ends are plain boxes.
  CHECK(m.find("n0_i0{{\"mybridge (bridge)<br/>192.168.10.1/24\"}}") != std::string::npos);
  CHECK(m.find("n1_i0[\"eth0<br/>192.168.10.2/24\"]") != std::string::npos);
  // veth pairs are thick edges across subgraphs, ports plain edges to the bridge.
  CHECK(m.find("n1_i0 === n0_i1") != std::string::npos);
  CHECK(m.find("n2_i0 === n0_i2") != std::string::npos);
  CHECK(m.find("n0_i1 --- n0_i0") != std::string::npos);
  CHECK(m.find("n0_i2 --- n0_i0") != std::string::npos);
  // Routes and NAT summarised in the node.
  CHECK(m.find("default via 192.168.10.1") != std::string::npos);
  CHECK(m.find("NAT masquerade from 192.168.10.0/24 out uplink") != std::string::npos);
  CHECK(m.find("NAT dnat tcp 8080 -#gt; 192.168.10.3:80") != std::string::npos);
  CHECK(m.find("forwarding on") != std::string::npos);
  CHECK(m.find("class n0_i0 bridge") != std::string::npos);
}

TEST_CASE("dot: one cluster per node, bridges as hexagons, routes in the cluster label", "[graph]") {
  std::string d = render_dot(bridge_gateway());
  CHECK(d.rfind("graph \"netlab\" {\n", 0) == 0);
  CHECK(d.ends_with("}\n"));
  CHECK(count(d, "subgraph \"cluster_") == 3);
  CHECK(d.find("label=\"ns1 (netns)\\ndefault via 192.168.10.1\\l\"") != std::string::npos);
  CHECK(d.find("\"n0_i0\" [label=\"mybridge (bridge)\\n192.168.10.1/24\", shape=hexagon") != std::string::npos);
  CHECK(d.find("\"n1_i0\" -- \"n0_i1\" [penwidth") != std::string::npos);
  CHECK(d.find("\"n0_i1\" -- \"n0_i0\" [color") != std::string::npos);
  CHECK(d.find("NAT dnat tcp 8080 -> 192.168.10.3:80\\l") != std::string::npos);
  // Braces balance: every cluster is closed.
  CHECK(count(d, "{") == count(d, "}"));
}

TEST_CASE("labels are escaped for each language", "[graph]") {
  Topology t;
  t.name = "q\"l'ab";
  Node n;
  n.name = "we\"ird#<&>`\\";
  Interface i;
  i.name = "e\"1#\\";
  i.kind = LinkKind::dummy;
  n.interfaces.push_back(i);
  n.sysctls["net.x"] = "a\nb";
  t.nodes.push_back(n);

  std::string m = render_mermaid(t);
  CHECK(m.find("we#quot;ird#35;#lt;#amp;#gt;#96;\\ (netns)") != std::string::npos);
  CHECK(m.find("e#quot;1#35;\\ (dummy)") != std::string::npos);
  CHECK(m.find("net.x=a b") != std::string::npos);
  CHECK(m.find("title: 'lab q\"l''ab'\n") != std::string::npos);
  // No raw quote survives inside a label: every line has an even number of quotes.
  for (size_t pos = m.find("flowchart"), next; pos < m.size(); pos = next + 1) {
    next = m.find('\n', pos);
    if (next == std::string::npos) next = m.size();
    CHECK(count(m.substr(pos, next - pos), "\"") % 2 == 0);
  }

  std::string d = render_dot(t);
  CHECK(d.find("label=\"we\\\"ird#<&>`\\\\ (netns)") != std::string::npos);
  CHECK(d.find("label=\"e\\\"1#\\\\ (dummy)\"") != std::string::npos);
  CHECK(d.find("net.x=a b\\l") != std::string::npos);
}

TEST_CASE("ids are valid identifiers whatever the names", "[graph]") {
  Topology t = bridge_gateway();
  t.nodes[1].name = "end";       // a Mermaid keyword
  t.nodes[2].name = "a-b.c";     // characters not allowed in a bare DOT id
  t.links[0].a.node = "end";
  t.links[1].a.node = "a-b.c";
  std::string m = render_mermaid(t);
  std::regex mermaid_ids(R"(^\s+(subgraph )?([^\s\[{(]+))");
  for (std::sregex_iterator it(m.begin(), m.end(), mermaid_ids), end; it != end; ++it) {
    std::string id = (*it)[2];
    if (id == "end" || id == "classDef" || id == "class" || id == "style") continue;
    CHECK(std::regex_match(id, std::regex("n[0-9]+(_(i[0-9]+|lo|info))?")));
  }
  CHECK(m.find("n1_i0 === n0_i1") != std::string::npos);
  CHECK(m.find("subgraph n1 [\"end (netns)\"]") != std::string::npos);
}

TEST_CASE("loopback is drawn when down or alone, and impairments label the link", "[graph]") {
  Topology t;
  t.name = "lo";
  Node a, b;
  a.name = "a";
  a.loopback_up = false;
  b.name = "b";
  t.nodes = {a, b};
  Topology with_link = bridge_gateway();
  Impairment im;
  im.rate_bps = 10'000'000;
  im.delay_us = 10'000;
  im.loss_pct = 1.5;
  with_link.links[0].impair = im;

  std::string m = render_mermaid(t);
  CHECK(m.find("n0_lo([\"lo<br/>state down\"])") != std::string::npos);
  CHECK(m.find("n1_lo([\"lo<br/>127.0.0.1/8\"])") != std::string::npos);
  CHECK(render_mermaid(bridge_gateway()).find("_lo") == std::string::npos);
  CHECK(render_mermaid(with_link).find("n1_i0 ===|\"rate 10mbit, delay 10ms, loss 1.5%\"| n0_i1") !=
        std::string::npos);
  CHECK(render_dot(with_link).find("label=\"rate 10mbit, delay 10ms, loss 1.5%\"") != std::string::npos);
  CHECK(render_dot(t).find("\"n0_lo\" [label=\"lo\\nstate down\", shape=ellipse") != std::string::npos);
}

TEST_CASE("kind-specific details and parent edges", "[graph]") {
  Topology t;
  t.name = "kinds";
  Node n;
  n.name = "n";
  n.kind = NodeKind::external;
  n.netns_path = "/run/netns/other";
  Interface eth;
  eth.name = "eth0";
  eth.kind = LinkKind::dummy;
  eth.mtu = 9000;
  eth.up = false;
  Interface v;
  v.name = "eth0.10";
  v.kind = LinkKind::vlan;
  v.vlan = VlanOptions{"eth0", 10};
  Interface x;
  x.name = "vx0";
  x.kind = LinkKind::vxlan;
  x.vxlan = VxlanOptions{};
  x.vxlan->id = 42;
  x.vxlan->remote = ip("2001:db8::2");
  Route r;
  r.to = cidr("10.9.0.0/16");
  r.dev = "eth0";
  r.metric = 5;
  n.routes.push_back(r);
  NatRule d6;
  d6.type = NatRule::Type::dnat;
  d6.protocol = "udp";
  d6.port_first = 5000;
  d6.port_last = 5010;
  d6.to_addr = ip("2001:db8::5");
  d6.to_port = 6000;
  d6.in = "eth0";
  n.nat.push_back(d6);
  n.interfaces = {eth, v, x};
  t.nodes.push_back(n);

  std::string d = render_dot(t);
  CHECK(d.find("n (external: /run/netns/other)") != std::string::npos);
  CHECK(d.find("eth0 (dummy)\\nmtu 9000\\nstate down") != std::string::npos);
  CHECK(d.find("eth0.10 (vlan)\\nvlan 10") != std::string::npos);
  CHECK(d.find("vx0 (vxlan)\\nvni 42 remote 2001:db8::2") != std::string::npos);
  CHECK(d.find("\"n0_i1\" -- \"n0_i0\" [style=dashed") != std::string::npos);
  CHECK(d.find("10.9.0.0/16 dev eth0 metric 5\\l") != std::string::npos);
  CHECK(d.find("NAT dnat udp 5000-5010 in eth0 -> [2001:db8::5]:6000\\l") != std::string::npos);
  CHECK(render_mermaid(t).find("style n0 fill:") != std::string::npos);
}

TEST_CASE("port VLANs and vlan_filtering are drawn on the bridge and its ports", "[graph]") {
  Topology t = bridge_gateway();
  auto& host = t.nodes[0];
  host.interfaces[0].bridge = BridgeOptions{true};
  host.interfaces[1].vlans = std::vector<BridgeVlan>{{10, 10, true, true}, {20, 29, false, false}};
  std::string d = render_dot(t);
  CHECK(d.find("mybridge (bridge)\\n192.168.10.1/24\\nvlan_filtering") != std::string::npos);
  CHECK(d.find("vethA\\nvlans 10 pvid untagged, 20-29") != std::string::npos);
  CHECK(render_mermaid(t).find("vethA<br/>vlans 10 pvid untagged, 20-29") != std::string::npos);
}

TEST_CASE("svg and png and html pictures come from the Graphviz dot layout", "[graph][image]") {
  Topology t = bridge_gateway();
  auto svg = render_image(t, ImageFormat::svg);
  REQUIRE(svg.has_value());
  CHECK(svg->find("<svg") != std::string::npos);
  CHECK(svg->find("mybridge (bridge)") != std::string::npos);
  CHECK(svg->find("ns2 (netns)") != std::string::npos);
  CHECK(svg->find("192.168.10.3/24") != std::string::npos);

  auto png = render_image(t, ImageFormat::png);
  REQUIRE(png.has_value());
  REQUIRE(png->size() > 8);
  CHECK(png->compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);

  auto html = render_image(t, ImageFormat::html);
  REQUIRE(html.has_value());
  CHECK(html->starts_with("<!DOCTYPE html>"));
  CHECK(html->find("<title>netlab lab bridge-gateway</title>") != std::string::npos);
  CHECK(html->find("<svg") != std::string::npos);
  CHECK(html->find("<?xml") == std::string::npos); // the prolog cannot sit inside <body>

  CHECK(parse_image_format("svg") == ImageFormat::svg);
  CHECK_FALSE(parse_image_format("jpeg").has_value());
}
