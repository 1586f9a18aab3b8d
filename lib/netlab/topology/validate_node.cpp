// Nodes: kind and namespace reference, loopback, forwarding, interfaces, sysctls.
#include <netlab/topology/validate_sections.hpp>

#include <algorithm>
#include <array>

namespace netlab::vdetail {

namespace {

constexpr std::array<std::string_view, 12> k_node_keys{"kind",       "netns",  "path",    "pid", "loopback", "forwarding",
                                                       "interfaces", "routes", "sysctls", "nat", "ipv6",       "host"};
constexpr std::array<std::string_view, 3> k_node_kinds{"netns", "host", "external"};
constexpr std::array<std::string_view, 3> k_external_keys{"netns", "path", "pid"};
constexpr int64_t k_pid_max = 4194304; // PID_MAX_LIMIT on 64-bit kernels

std::string node_text(const Node& n) { return "node " + quoted(n.name); }

void parse_node_kind(Ctx& c, Node& node, const RawNode& map) {
  auto f = field(map, "kind");
  if (!f) return;
  auto kind = read_choice(c.diags, *f, k_node_kinds);
  if (!kind) return;
  node.kind = *kind == "host" ? NodeKind::host : *kind == "external" ? NodeKind::external : NodeKind::netns;
  if (node.kind != NodeKind::host) return;
  // One host node per machine: each machine has one namespace of its own.
  std::string machine = node.host.empty() && c.topo.hosts.size() == 1 ? c.topo.hosts[0].name : node.host;
  if (auto it = c.src.host_kinds.find(machine); it != c.src.host_kinds.end()) {
    const Node& first = c.topo.nodes[it->second.first];
    const Mark at = it->second.second;
    std::string per_machine = machine.empty() ? "" : " on machine " + quoted(machine);
    c.diags.error(f->mark, "only one node can be kind host" + per_machine + "; " + node_text(first) +
                               " already is (at " + std::to_string(at.line) + ":" + std::to_string(at.col) + ")");
    node.kind = NodeKind::netns; // keeps host_node() pointing at the first one
    return;
  }
  c.src.host_kinds.emplace(machine, std::pair{c.topo.nodes.size(), f->mark});
  if (!c.src.host_kind) c.src.host_kind = f->mark;
}

std::optional<std::string> external_path(Ctx& c, const Field& f) {
  if (f.key == "pid") {
    auto pid = read_int(c.diags, f, 1, k_pid_max);
    return pid ? std::optional("/proc/" + std::to_string(*pid) + "/ns/net") : std::nullopt;
  }
  auto text = read_string(c.diags, f);
  if (!text) return std::nullopt;
  if (f.key == "netns") {
    if (auto problem = node_name_problem(*text)) {
      c.diags.error(f.mark, "'netns': " + *problem);
      return std::nullopt;
    }
    return "/run/netns/" + *text;
  }
  if (text->empty() || (*text)[0] != '/' || text->find('\0') != std::string::npos) {
    c.diags.error(f.mark, "'path' must be an absolute path like /proc/1234/ns/net, got " + quoted(*text));
    return std::nullopt;
  }
  return *text;
}

void parse_external_ref(Ctx& c, Node& node, NodeSrc& src, const RawNode& map) {
  std::vector<Field> refs;
  for (auto key : k_external_keys)
    if (auto f = field(map, key)) refs.push_back(*f);
  if (node.kind != NodeKind::external) {
    for (const auto& f : refs)
      c.diags.error(f.key_mark, "key '" + std::string(f.key) + "' is only valid for a node of kind external");
    return;
  }
  if (refs.empty()) return c.diags.error(node.mark, "external " + node_text(node) + " needs one of 'netns', 'path' or 'pid'");
  auto first = std::min_element(refs.begin(), refs.end(), [](const Field& x, const Field& y) {
    return std::tie(x.key_mark.line, x.key_mark.col) < std::tie(y.key_mark.line, y.key_mark.col);
  });
  for (const auto& f : refs)
    if (&f != &*first)
      c.diags.error(f.key_mark, "external " + node_text(node) + " takes only one of 'netns', 'path' or 'pid'");
  node.netns_path = external_path(c, *first);
  if (node.netns_path) src.external_ref = first->mark;
}

void parse_loopback(Ctx& c, Node& node, const RawNode& map) {
  static constexpr std::array<std::string_view, 4> k_states{"up", "down", "true", "false"};
  if (auto f = field(map, "loopback"))
    if (auto s = read_choice(c.diags, *f, k_states)) node.loopback_up = *s == "up" || *s == "true";
  if (auto f = field(map, "forwarding")) node.forwarding = read_bool(c.diags, *f);
  if (auto f = field(map, "ipv6")) {
    node.ipv6 = read_bool(c.diags, *f);
    if (node.kind != NodeKind::netns)
      c.diags.error(f->mark, "'ipv6' applies to namespaces netlab creates; " + node_text(node) + " is kind " +
                                 std::string(to_string(node.kind)));
  }
}

void parse_interfaces(Ctx& c, Node& node, NodeSrc& src, const RawNode& map) {
  auto f = field(map, "interfaces");
  if (!f) return;
  const RawNode* ifaces = read_mapping(c.diags, *f);
  if (!ifaces) return;
  for (const auto* entry : unique_entries(c.diags, *ifaces, "interface", " in " + node_text(node)))
    parse_interface(c, node, src, entry->first, entry->second);
}

std::optional<std::string> sysctl_key_problem(std::string_view key) {
  if (!key.starts_with("net."))
    return "sysctl " + quoted(key) + " is not a net.* key; a namespace has only its own net.* sysctls";
  bool chars_ok = std::all_of(key.begin(), key.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-';
  });
  if (!chars_ok) return "sysctl " + quoted(key) + " may only contain letters, digits, '_', '.' and '-'";
  if (key.back() == '.' || key.find("..") != std::string_view::npos)
    return "sysctl " + quoted(key) + " has an empty component";
  return std::nullopt;
}

// What /proc/sys takes for a net.* key: numbers, words ("cubic"), lists of them, IPv6 secrets.
std::optional<std::string> sysctl_value_problem(std::string_view key, std::string_view value) {
  constexpr std::size_t k_value_max = 256;
  std::string what = "sysctl " + quoted(key) + ": value " + quoted(value);
  if (value.empty()) return "sysctl " + quoted(key) + " must have a value";
  if (value.size() > k_value_max) return what + " is longer than " + std::to_string(k_value_max) + " characters";
  bool chars_ok = std::all_of(value.begin(), value.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-' || ch == ':' ||
           ch == ',' || ch == '+' || ch == ' ' || ch == '\t';
  });
  if (!chars_ok)
    return what + " may only contain letters, digits, spaces and '_', '.', '-', ':', ',', '+'";
  return std::nullopt;
}

void parse_sysctls(Ctx& c, Node& node, const RawNode& map) {
  auto f = field(map, "sysctls");
  if (!f) return;
  const RawNode* sysctls = read_mapping(c.diags, *f);
  if (!sysctls) return;
  for (const auto* entry : unique_entries(c.diags, *sysctls, "sysctl", " in " + node_text(node))) {
    const auto& [k, v] = *entry;
    if (auto problem = sysctl_key_problem(k.scalar)) c.diags.error(k.mark, *problem);
    if (!v.is_scalar()) {
      c.diags.error(value_mark(k, v), "sysctl " + quoted(k.scalar) + " must have a plain value, got " + describe(v));
      continue;
    }
    if (auto problem = sysctl_value_problem(k.scalar, v.scalar)) {
      c.diags.error(v.mark, *problem);
      continue;
    }
    bool is_true = v.scalar == "true" || v.scalar == "True" || v.scalar == "TRUE";
    bool is_false = v.scalar == "false" || v.scalar == "False" || v.scalar == "FALSE";
    node.sysctls[k.scalar] = is_true ? "1" : is_false ? "0" : v.scalar;
  }
}

void parse_node_body(Ctx& c, Node& node, NodeSrc& src, const RawNode& map) {
  check_keys(c.diags, map, k_node_keys);
  parse_node_host(c, node, src, map);
  parse_node_kind(c, node, map);
  parse_external_ref(c, node, src, map);
  parse_loopback(c, node, map);
  parse_interfaces(c, node, src, map);
  if (auto f = field(map, "routes")) parse_routes(c, node, src, *f);
  parse_sysctls(c, node, map);
  if (auto f = field(map, "nat")) parse_nat(c, node, *f);
}

} // namespace

void parse_node(Ctx& c, const RawNode& key, const RawNode& value) {
  Node node;
  node.name = key.scalar;
  node.mark = key.mark;
  NodeSrc src;
  if (auto problem = node_name_problem(key.scalar)) c.diags.error(key.mark, *problem);
  if (value.is_mapping())
    parse_node_body(c, node, src, value);
  else if (!value.is_null()) // `ns1:` alone is a plain, empty netns
    c.diags.error(value.mark, node_text(node) + " must be a mapping, got " + describe(value));
  c.src.node_index.emplace(node.name, c.topo.nodes.size());
  c.topo.nodes.push_back(std::move(node));
  c.src.nodes.push_back(std::move(src));
}

} // namespace netlab::vdetail
