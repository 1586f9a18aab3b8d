// Machines: the `hosts:` section, each node's `host:`, and what cannot cross
// between machines (docs/multi-host.md).
#include <netlab/topology/validate_sections.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

namespace netlab::vdetail {

namespace {

constexpr std::array<std::string_view, 2> k_machine_keys{"underlay", "underlay_mtu"};

std::string mark_text(Mark m) { return std::to_string(m.line) + ":" + std::to_string(m.col); }

std::vector<std::string_view> machine_names(const Topology& t) {
  std::vector<std::string_view> names;
  for (const auto& m : t.hosts) names.push_back(m.name);
  return names;
}

void parse_machine_keys(Ctx& c, LabMachine& m, const RawNode& map) {
  std::set<std::string> seen;
  for (const auto& [k, v] : map.entries) {
    if (!k.is_scalar()) continue; // reported by unique_entries' rules below
    if (!seen.insert(k.scalar).second) {
      c.diags.error(k.mark, "duplicate key " + quoted(k.scalar) + " in machine " + quoted(m.name));
      continue;
    }
    if (std::ranges::find(k_machine_keys, k.scalar) != k_machine_keys.end()) continue;
    if (!k.scalar.starts_with("ansible_")) {
      c.diags.error(k.mark, "unknown key " + quoted(k.scalar) + " in machine " + quoted(m.name) +
                                " (a machine takes 'underlay', 'underlay_mtu' and ansible_* variables)" +
                                suggest(k.scalar, k_machine_keys));
      continue;
    }
    // The inventory writes the key as it is: a name of Ansible's variable syntax only.
    if (!std::ranges::all_of(k.scalar, [](unsigned char ch) { return std::isalnum(ch) || ch == '_'; })) {
      c.diags.error(k.mark, "variable " + quoted(k.scalar) + " of machine " + quoted(m.name) +
                                " is not an Ansible variable name (letters, digits and '_' only)");
      continue;
    }
    if (!v.is_scalar()) {
      c.diags.error(value_mark(k, v), quoted(k.scalar) + " of machine " + quoted(m.name) +
                                          " must be a plain value, got " + describe(v));
      continue;
    }
    m.vars.emplace_back(k.scalar, v.scalar);
  }
}

void parse_machine(Ctx& c, const RawNode& key, const RawNode& value) {
  LabMachine m;
  m.name = key.scalar;
  m.mark = key.mark;
  if (auto problem = node_name_problem(key.scalar)) c.diags.error(key.mark, "machine name: " + *problem);
  Mark underlay_at = key.mark;
  if (!value.is_mapping()) {
    c.diags.error(value_mark(key, value), "machine " + quoted(m.name) +
                                              " must be a mapping with 'underlay' (its address), got " +
                                              describe(value));
  } else {
    parse_machine_keys(c, m, value);
    if (auto f = field(value, "underlay")) {
      underlay_at = f->mark;
      if (auto ip = read_ip(c.diags, *f)) m.underlay = *ip;
    } else {
      c.diags.error(key.mark, "machine " + quoted(m.name) +
                                  " needs 'underlay': the address its VXLAN tunnels use (e.g. 10.99.0.1)");
    }
    if (auto f = field(value, "underlay_mtu"))
      if (auto mtu = read_int(c.diags, *f, 576, 65535)) m.underlay_mtu = static_cast<uint32_t>(*mtu);
  }
  c.topo.hosts.push_back(std::move(m));
  c.src.host_underlays.push_back(underlay_at);
}

/// Two machines with one underlay address would each send the other's tunnels to itself.
void check_underlays(Ctx& c) {
  std::map<IpAddr, std::size_t> seen;
  for (std::size_t k = 0; k < c.topo.hosts.size(); ++k) {
    const LabMachine& m = c.topo.hosts[k];
    if (m.underlay == IpAddr{}) continue;
    auto [it, inserted] = seen.emplace(m.underlay, k);
    if (!inserted)
      c.diags.error(c.src.host_underlays[k], "machine " + quoted(m.name) + ": underlay " + m.underlay.str() +
                                                 " is machine " + quoted(c.topo.hosts[it->second].name) +
                                                 "'s underlay already");
  }
}

/// Every node on a machine the file names; the only machine is every node's default.
void resolve_node_hosts(Ctx& c) {
  const auto names = machine_names(c.topo);
  for (std::size_t n = 0; n < c.topo.nodes.size(); ++n) {
    Node& node = c.topo.nodes[n];
    const NodeSrc& src = c.src.nodes[n];
    if (!node.host.empty()) {
      if (c.topo.hosts.empty())
        c.diags.error(*src.host, "node " + quoted(node.name) + ": 'host' " + quoted(node.host) +
                                     " names a machine, but the file has no 'hosts:' section");
      else if (!c.topo.find_host(node.host))
        c.diags.error(*src.host, "node " + quoted(node.name) + ": 'host' " + quoted(node.host) +
                                     " is not a machine of 'hosts:'" + suggest(node.host, names));
      continue;
    }
    if (c.topo.hosts.size() == 1) {
      node.host = c.topo.hosts[0].name;
      continue;
    }
    if (c.topo.hosts.size() > 1)
      c.diags.error(node.mark, "node " + quoted(node.name) + " needs 'host:' (the file names " +
                                   std::to_string(c.topo.hosts.size()) + " machines, e.g. " +
                                   quoted(c.topo.hosts[0].name) + ")");
  }
}

/// `vni:` only between machines, and never twice. (A link end declared as another
/// kind than veth, which no tunnel could carry either, is refused by resolve_links.)
void check_links(Ctx& c, std::map<uint32_t, Mark>& vnis) {
  for (std::size_t k = 0; k < c.topo.links.size(); ++k) {
    const Link& link = c.topo.links[k];
    const LinkSrc& src = c.src.links[k];
    if (!src.ok) continue;
    const Node* a = c.topo.find_node(link.a.node);
    const Node* b = c.topo.find_node(link.b.node);
    if (!a || !b) continue;
    const bool across = c.topo.hosts.size() > 1 && a->host != b->host;
    if (src.vni && !across) {
      c.diags.error(*src.vni, "'vni' is for a link between machines; " + quoted(link.a.str()) + " and " +
                                  quoted(link.b.str()) + " are on one");
      continue;
    }
    if (!across || !link.vni || !src.vni) continue;
    auto [it, inserted] = vnis.emplace(*link.vni, *src.vni);
    if (!inserted)
      c.diags.error(*src.vni, "vni " + std::to_string(*link.vni) + " is already used at " + mark_text(it->second));
  }
}

/// The file's own vxlan interfaces: an id a link's `vni:` takes too would be one tunnel for two.
void check_vxlan_ids(Ctx& c, const std::map<uint32_t, Mark>& vnis) {
  for (const Node& node : c.topo.nodes)
    for (const Interface& ifc : node.interfaces) {
      if (ifc.kind != LinkKind::vxlan || !ifc.vxlan) continue;
      auto it = vnis.find(ifc.vxlan->id);
      if (it != vnis.end())
        c.diags.error(ifc.mark, "vxlan " + quoted(node.name + ":" + ifc.name) + ": id " +
                                    std::to_string(ifc.vxlan->id) + " is the vni of the link at " +
                                    mark_text(it->second));
    }
}

/// A check runs on its `from` node's machine: what it needs elsewhere cannot be there.
void check_checks(Ctx& c) {
  for (std::size_t k = 0; k < c.topo.checks.size(); ++k) {
    const Check& chk = c.topo.checks[k];
    const CheckSrc& src = c.src.checks[k];
    const Node* from = c.topo.find_node(chk.from);
    if (!from) continue;
    if (chk.listen && src.listen)
      if (const Node* l = c.topo.find_node(*chk.listen); l && l->host != from->host)
        c.diags.error(*src.listen, "'listen': node " + quoted(l->name) + " is on machine " + quoted(l->host) +
                                       " and the check runs on " + quoted(from->host) +
                                       "; a listener runs beside its check (start a server on the target by hand "
                                       "and leave 'listen' out)");
    if (chk.type == Check::Type::peer && src.peer_is)
      if (const Node* p = c.topo.find_node(chk.peer_is.node); p && p->host != from->host)
        c.diags.error(*src.peer_is, "'is': node " + quoted(p->name) + " is on machine " + quoted(p->host) +
                                        "; a peer check follows a veth on one machine (a tunnel has no peer)");
  }
}

} // namespace

void parse_hosts(Ctx& c, const RawNode& root) {
  if (auto f = field(root, "vxlan_port"))
    if (auto port = read_int(c.diags, *f, 1, 65535)) c.topo.vxlan_port = static_cast<uint16_t>(*port);
  auto f = field(root, "hosts");
  if (!f) return;
  c.src.hosts = f->key_mark;
  const RawNode* hosts = read_mapping(c.diags, *f);
  if (!hosts) return;
  if (hosts->entries.empty()) return c.diags.error(f->mark, "'hosts' is empty: name at least one machine");
  for (const auto* entry : unique_entries(c.diags, *hosts, "machine")) parse_machine(c, entry->first, entry->second);
  check_underlays(c);
}

void parse_node_host(Ctx& c, Node& node, NodeSrc& src, const RawNode& map) {
  auto f = field(map, "host");
  if (!f) return;
  auto name = read_string(c.diags, *f);
  if (!name) return;
  node.host = *name;
  src.host = f->mark;
}

void resolve_hosts(Ctx& c) {
  resolve_node_hosts(c);
  if (c.topo.hosts.size() < 2) {
    for (const LinkSrc& src : c.src.links)
      if (src.vni) c.diags.error(*src.vni, "'vni' is for a link between machines; the file names fewer than two");
    return;
  }
  std::map<uint32_t, Mark> vnis;
  check_links(c, vnis);
  check_vxlan_ids(c, vnis);
  check_checks(c);
}

} // namespace netlab::vdetail
