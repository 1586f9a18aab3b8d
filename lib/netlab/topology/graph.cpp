#include <netlab/topology/graph.hpp>

#include <charconv>
#include <map>
#include <utility>
#include <vector>

namespace netlab {
namespace {

// Both renderers draw the same picture: it is built once as plain values, then
// written in each language's syntax, so the two outputs cannot drift apart.

enum class Shape { iface, bridge, loopback, info };
enum class EdgeStyle { veth, port, parent };

struct Box {
  std::string id;
  Shape shape = Shape::iface;
  std::vector<std::string> lines; ///< first line is the title
};

struct Cluster {
  std::string id;
  NodeKind kind = NodeKind::netns;
  std::string title;                ///< "ns1 (netns)"
  std::vector<std::string> summary; ///< forwarding, routes, NAT, sysctls
  std::vector<Box> boxes;
};

struct Edge {
  std::string a, b;
  EdgeStyle style = EdgeStyle::veth;
  std::string label; ///< empty: none
};

struct Picture {
  std::string title;
  std::vector<Cluster> clusters;
  std::vector<Edge> edges;
};

std::string number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

std::string label_rate(uint64_t bps) {
  static constexpr std::pair<uint64_t, const char*> k_units[] = {
      {1'000'000'000, "gbit"}, {1'000'000, "mbit"}, {1'000, "kbit"}};
  for (auto [scale, unit] : k_units)
    if (bps >= scale && bps % scale == 0) return std::to_string(bps / scale) + unit;
  return std::to_string(bps) + "bit";
}

std::string label_time(uint32_t us) {
  if (us >= 1'000'000 && us % 1'000'000 == 0) return std::to_string(us / 1'000'000) + "s";
  if (us >= 1'000 && us % 1'000 == 0) return std::to_string(us / 1'000) + "ms";
  return std::to_string(us) + "us";
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string graph_impair_text(const Impairment& im) {
  std::vector<std::string> parts;
  if (im.rate_bps) parts.push_back("rate " + label_rate(*im.rate_bps));
  if (im.delay_us) parts.push_back("delay " + label_time(*im.delay_us));
  if (im.jitter_us) parts.push_back("jitter " + label_time(*im.jitter_us));
  if (im.loss_pct) parts.push_back("loss " + number(*im.loss_pct) + "%");
  if (im.duplicate_pct) parts.push_back("duplicate " + number(*im.duplicate_pct) + "%");
  if (im.limit_pkts) parts.push_back("limit " + std::to_string(*im.limit_pkts));
  return join(parts, ", ");
}

std::string route_text(const Route& r) {
  std::string s = r.to.is_default() ? "default" : r.to.str();
  if (r.via) s += " via " + r.via->str();
  if (r.dev) s += " dev " + *r.dev;
  if (r.metric) s += " metric " + std::to_string(*r.metric);
  return s;
}

std::string addr_port(const IpAddr& a, std::optional<uint16_t> port) {
  if (!port) return a.str();
  std::string host = a.family == Family::v6 ? "[" + a.str() + "]" : a.str();
  return host + ":" + std::to_string(*port);
}

std::string nat_text(const NatRule& n) {
  std::string s;
  switch (n.type) {
  case NatRule::Type::masquerade: s = "masquerade"; break;
  case NatRule::Type::snat: s = "snat"; break;
  case NatRule::Type::dnat: {
    s = "dnat " + n.protocol + " " + std::to_string(n.port_first);
    if (n.port_last != n.port_first) s += "-" + std::to_string(n.port_last);
    if (n.in) s += " in " + *n.in;
    if (n.to_addr) s += " -> " + addr_port(*n.to_addr, n.to_port);
    return s;
  }
  }
  if (n.source) s += " from " + n.source->str();
  if (n.out) s += " out " + *n.out;
  if (n.to_addr) s += " to " + n.to_addr->str();
  return s;
}

std::string node_title(const Node& n) {
  std::string t = n.as_written() + " (" + std::string(to_string(n.kind));
  if (n.kind == NodeKind::external && n.netns_path) t += ": " + *n.netns_path;
  if (!n.file_name.empty()) t += ": " + n.name; // renamed (an instance): its namespace
  return t + ")";
}

std::vector<std::string> node_summary(const Node& n) {
  std::vector<std::string> lines;
  if (n.forwarding) lines.push_back(*n.forwarding ? "forwarding on" : "forwarding off");
  for (const auto& r : n.routes) lines.push_back(route_text(r));
  for (const auto& rule : n.nat) lines.push_back("NAT " + nat_text(rule));
  for (const auto& [key, value] : n.sysctls) lines.push_back(key + "=" + value);
  return lines;
}

std::vector<std::string> kind_lines(const Interface& i) {
  if (i.vlan) return {"vlan " + std::to_string(i.vlan->id)};
  if (i.macvlan) return {"mode " + i.macvlan->mode};
  if (i.vxlan) {
    std::string s = "vni " + std::to_string(i.vxlan->id);
    if (i.vxlan->remote) s += " remote " + i.vxlan->remote->str();
    return {s};
  }
  return {};
}

/// A bridge port's VLAN list as `bridge vlan show` would name it: "vlans 10 pvid untagged, 20-29".
std::string port_vlans_text(const std::vector<BridgeVlan>& vlans) {
  std::vector<std::string> parts;
  for (const auto& v : vlans) {
    std::string s = std::to_string(v.id);
    if (v.last != v.id) s += "-" + std::to_string(v.last);
    if (v.pvid) s += " pvid";
    if (v.untagged) s += " untagged";
    parts.push_back(std::move(s));
  }
  return "vlans " + join(parts, ", ");
}

Box interface_box(const Interface& i, std::string id) {
  Box b{std::move(id), i.kind == LinkKind::bridge ? Shape::bridge : Shape::iface, {}};
  b.lines.push_back(i.kind == LinkKind::veth ? i.name : i.name + " (" + std::string(to_string(i.kind)) + ")");
  for (const auto& a : i.addresses) b.lines.push_back(a.str());
  for (auto& l : kind_lines(i)) b.lines.push_back(std::move(l));
  if (i.mtu) b.lines.push_back("mtu " + std::to_string(*i.mtu));
  if (i.mac) b.lines.push_back(*i.mac);
  if (!i.up) b.lines.push_back("state down");
  if (i.bridge && i.bridge->vlan_filtering) b.lines.push_back("vlan_filtering");
  if (i.vlans && !i.vlans->empty()) b.lines.push_back(port_vlans_text(*i.vlans));
  if (i.impair) b.lines.push_back(graph_impair_text(*i.impair));
  // A veth end made elsewhere (created_in, rename_from): where and as what it was born.
  if (i.created_in || i.rename_from)
    b.lines.push_back("made" + (i.created_in ? " in " + *i.created_in : std::string()) +
                      (i.rename_from ? " as " + *i.rename_from : std::string()));
  return b;
}

// lo is drawn only when it is the point: switched off (the classic "forgot
// lo" lesson) or the only interface, so the namespace is not an empty frame.
std::optional<Box> loopback_box(const Node& n, const std::string& cluster_id) {
  if (n.loopback_up && !n.interfaces.empty()) return std::nullopt;
  Box b{cluster_id + "_lo", Shape::loopback, {"lo"}};
  b.lines.push_back(n.loopback_up ? "127.0.0.1/8" : "state down");
  return b;
}

using IdMap = std::map<std::pair<std::string, std::string>, std::string>;

Cluster node_cluster(const Node& n, size_t index, IdMap& ids) {
  Cluster c{"n" + std::to_string(index), n.kind, node_title(n), node_summary(n), {}};
  for (size_t j = 0; j < n.interfaces.size(); ++j) {
    const auto& i = n.interfaces[j];
    std::string id = c.id + "_i" + std::to_string(j);
    ids[{n.name, i.name}] = id;
    c.boxes.push_back(interface_box(i, id));
  }
  if (auto lo = loopback_box(n, c.id)) c.boxes.push_back(std::move(*lo));
  return c;
}

// Edges inside a node: bridge ports to their bridge, vlan/macvlan/vxlan to the
// device they ride on.
void add_local_edges(const Node& n, const IdMap& ids, std::vector<Edge>& edges) {
  auto id_of = [&](const std::string& iface) -> const std::string* {
    auto it = ids.find({n.name, iface});
    return it == ids.end() ? nullptr : &it->second;
  };
  for (const auto& i : n.interfaces) {
    const std::string* self = id_of(i.name);
    if (i.master)
      if (const auto* m = id_of(*i.master)) edges.push_back({*self, *m, EdgeStyle::port, ""});
    std::optional<std::string> parent;
    if (i.vlan) parent = i.vlan->parent;
    if (i.macvlan) parent = i.macvlan->parent;
    if (i.vxlan && i.vxlan->dev) parent = i.vxlan->dev;
    if (parent)
      if (const auto* p = id_of(*parent)) edges.push_back({*self, *p, EdgeStyle::parent, ""});
  }
}

Picture build_picture(const Topology& topo) {
  Picture pic{"lab " + topo.name, {}, {}};
  IdMap ids;
  for (size_t i = 0; i < topo.nodes.size(); ++i) pic.clusters.push_back(node_cluster(topo.nodes[i], i, ids));
  for (const auto& link : topo.links) {
    auto a = ids.find({link.a.node, link.a.iface});
    auto b = ids.find({link.b.node, link.b.iface});
    if (a == ids.end() || b == ids.end()) continue; // unresolved: validate() reports it
    pic.edges.push_back({a->second, b->second, EdgeStyle::veth, link.impair ? graph_impair_text(*link.impair) : ""});
  }
  for (const auto& n : topo.nodes) add_local_edges(n, ids, pic.edges);
  return pic;
}

// ---- Mermaid ---------------------------------------------------------------

// Inside a quoted Mermaid label, entity codes (#quot; #35;) are the only
// escape; '<' would start HTML and a leading backtick a markdown string.
std::string mermaid_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
    case '"': out += "#quot;"; break;
    case '#': out += "#35;"; break;
    case '&': out += "#amp;"; break;
    case '<': out += "#lt;"; break;
    case '>': out += "#gt;"; break;
    case '`': out += "#96;"; break;
    default: out += static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch;
    }
  }
  return out;
}

std::string mermaid_label(const std::vector<std::string>& lines) {
  std::vector<std::string> escaped;
  for (const auto& l : lines) escaped.push_back(mermaid_escape(l));
  return "\"" + join(escaped, "<br/>") + "\"";
}

// The title sits in the YAML front matter, where single quotes escape only themselves.
std::string yaml_single_quoted(std::string_view s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') out += '\'';
    out += static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch;
  }
  return out + "'";
}

std::string mermaid_box(const Box& b) {
  std::string label = mermaid_label(b.lines);
  switch (b.shape) {
  case Shape::bridge: return b.id + "{{" + label + "}}";
  case Shape::loopback: return b.id + "([" + label + "])";
  case Shape::info: return b.id + "[" + label + "]";
  case Shape::iface: return b.id + "[" + label + "]";
  }
  return b.id + "[" + label + "]";
}

std::string mermaid_edge(const Edge& e) {
  std::string link = e.style == EdgeStyle::veth ? "===" : e.style == EdgeStyle::port ? "---" : "-.-";
  if (!e.label.empty()) link += "|\"" + mermaid_escape(e.label) + "\"|";
  return e.a + " " + link + " " + e.b;
}

} // namespace

std::string render_mermaid(const Topology& topo) {
  Picture pic = build_picture(topo);
  std::string out = "---\ntitle: " + yaml_single_quoted(pic.title) + "\n---\nflowchart LR\n";
  std::vector<std::string> bridges, infos, loopbacks, hosts;
  for (auto& c : pic.clusters) {
    out += "  subgraph " + c.id + " [" + mermaid_label({c.title}) + "]\n";
    // Mermaid draws a multi-line subgraph title over the nodes (mermaid
    // issue 3806), so the summary goes in a note box inside the subgraph.
    if (!c.summary.empty()) c.boxes.push_back({c.id + "_info", Shape::info, c.summary});
    for (const auto& b : c.boxes) {
      out += "    " + mermaid_box(b) + "\n";
      if (b.shape == Shape::bridge) bridges.push_back(b.id);
      if (b.shape == Shape::info) infos.push_back(b.id);
      if (b.shape == Shape::loopback) loopbacks.push_back(b.id);
    }
    out += "  end\n";
    if (c.kind != NodeKind::netns) hosts.push_back(c.id);
  }
  for (const auto& e : pic.edges) out += "  " + mermaid_edge(e) + "\n";
  out += "  classDef bridge fill:#dbeafe,stroke:#1d4ed8\n";
  out += "  classDef info fill:#fefce8,stroke:#a16207,stroke-dasharray:3 3\n";
  out += "  classDef lo fill:#f3f4f6,stroke:#6b7280\n";
  if (!bridges.empty()) out += "  class " + join(bridges, ",") + " bridge\n";
  if (!infos.empty()) out += "  class " + join(infos, ",") + " info\n";
  if (!loopbacks.empty()) out += "  class " + join(loopbacks, ",") + " lo\n";
  for (const auto& h : hosts) out += "  style " + h + " fill:#f3f4f6\n";
  return out;
}

// ---- Graphviz --------------------------------------------------------------

namespace {

// DOT quoted strings: escape '"' and '\'; control characters become spaces.
// Line breaks are added by the caller as \n (centred) or \l (left-justified).
std::string dot_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch;
  }
  return out;
}

std::string dot_lines(const std::vector<std::string>& lines) {
  std::vector<std::string> escaped;
  for (const auto& l : lines) escaped.push_back(dot_escape(l));
  return join(escaped, "\\n");
}

std::string dot_cluster_label(const Cluster& c) {
  std::string label = dot_escape(c.title);
  if (c.summary.empty()) return label;
  label += "\\n";
  for (const auto& l : c.summary) label += dot_escape(l) + "\\l";
  return label;
}

std::string dot_box(const Box& b) {
  std::string attrs = "label=\"" + dot_lines(b.lines) + "\"";
  switch (b.shape) {
  case Shape::bridge: attrs += ", shape=hexagon, fillcolor=\"#dbeafe\", color=\"#1d4ed8\""; break;
  case Shape::loopback: attrs += ", shape=ellipse, fillcolor=\"#f3f4f6\", color=\"#6b7280\""; break;
  case Shape::info: attrs += ", shape=note, fillcolor=\"#fefce8\""; break;
  case Shape::iface: break;
  }
  return "\"" + b.id + "\" [" + attrs + "];";
}

std::string dot_edge(const Edge& e) {
  std::string attrs;
  switch (e.style) {
  case EdgeStyle::veth: attrs = "penwidth=2.5, color=\"#111827\""; break;
  case EdgeStyle::port: attrs = "color=\"#1d4ed8\""; break;
  case EdgeStyle::parent: attrs = "style=dashed, color=\"#6b7280\""; break;
  }
  if (!e.label.empty()) attrs += ", label=\"" + dot_escape(e.label) + "\"";
  return "\"" + e.a + "\" -- \"" + e.b + "\" [" + attrs + "];";
}

} // namespace

std::string render_dot(const Topology& topo) {
  Picture pic = build_picture(topo);
  std::string out = "graph \"netlab\" {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\"" + dot_escape(pic.title) +
         "\"];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=white];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  for (const auto& c : pic.clusters) {
    out += "  subgraph \"cluster_" + c.id + "\" {\n";
    out += "    label=\"" + dot_cluster_label(c) + "\";\n";
    out += "    labeljust=l; style=\"rounded,filled\"; color=\"#9ca3af\";\n";
    out += std::string("    fillcolor=\"") + (c.kind == NodeKind::netns ? "#f0fdf4" : "#f3f4f6") + "\";\n";
    for (const auto& b : c.boxes) out += "    " + dot_box(b) + "\n";
    out += "  }\n";
  }
  for (const auto& e : pic.edges) out += "  " + dot_edge(e) + "\n";
  out += "}\n";
  return out;
}

PictureIds picture_ids(const Topology& topo) {
  PictureIds out;
  IdMap ids;
  for (size_t i = 0; i < topo.nodes.size(); ++i) {
    Cluster c = node_cluster(topo.nodes[i], i, ids);
    out.nodes[topo.nodes[i].name] = "cluster_" + c.id;
    if (!c.boxes.empty() && c.boxes.back().shape == Shape::loopback)
      out.interfaces[topo.nodes[i].name + "/lo"] = c.boxes.back().id;
  }
  for (const auto& [key, id] : ids) out.interfaces[key.first + "/" + key.second] = id;
  for (const auto& link : topo.links) {
    auto a = ids.find({link.a.node, link.a.iface});
    auto b = ids.find({link.b.node, link.b.iface});
    out.links.push_back(a == ids.end() || b == ids.end() ? std::string() : a->second + "--" + b->second);
  }
  return out;
}

} // namespace netlab
