#include <netlab/topology/multihost.hpp>

#include <algorithm>
#include <set>

namespace netlab {

namespace {

/// FNV-1a, 64 bits: stable across runs, compilers and machines (std::hash is not).
uint64_t fnv1a(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

/// "lab|a:x|b:y" with the endpoints in sorted order: the same whichever way the file writes the link.
std::string link_key(const Topology& topo, const Link& link) {
  std::string a = link.a.str(), b = link.b.str();
  if (b < a) std::swap(a, b);
  return topo.name + "|" + a + "|" + b;
}

std::string joined_hosts(const Topology& topo) {
  std::string out;
  for (const auto& m : topo.hosts) out += (out.empty() ? "'" : ", '") + m.name + "'";
  return out.empty() ? "none" : out;
}

/// A value for YAML: always double-quoted, with JSON's escapes (a subset of YAML's).
std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      static constexpr char k_hex[] = "0123456789abcdef";
      out += "\\x";
      out += k_hex[ch >> 4];
      out += k_hex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

/// The end of a link between machines as this machine makes it: a vxlan under the end's name.
void make_tunnel_end(Interface& ifc, const Node& node, const LabMachine& here, const LabMachine& there, uint32_t vni,
                     uint16_t port, std::vector<std::string>& warnings) {
  VxlanOptions vx;
  vx.id = vni;
  vx.remote = there.underlay;
  vx.local = here.underlay;
  vx.dstport = port;
  // In the machine's host namespace the device is made where it stays.
  vx.underlay_host = node.kind != NodeKind::host;
  ifc.kind = LinkKind::vxlan;
  ifc.peer.reset();
  ifc.vxlan = vx;
  const uint32_t overhead = here.underlay.family == Family::v6 ? k_vxlan_overhead_v6 : k_vxlan_overhead_v4;
  const uint32_t underlay = here.underlay_mtu.value_or(k_underlay_mtu_default);
  const uint32_t fits = underlay > overhead ? underlay - overhead : 0;
  if (!ifc.mtu) {
    ifc.mtu = fits;
    return;
  }
  if (*ifc.mtu > fits)
    warnings.push_back("interface '" + node.as_written() + ":" + ifc.name + "' has mtu " + std::to_string(*ifc.mtu) +
                       ", but a tunnel to machine '" + there.name + "' carries at most " + std::to_string(fits) +
                       " (underlay mtu " + std::to_string(underlay) + " minus " + std::to_string(overhead) +
                       " bytes of VXLAN headers): larger packets will be dropped or fragmented");
}

bool check_is_here(const Topology& topo, const Check& c, std::string_view host) {
  return machine_of(topo, c.from) == host;
}

} // namespace

std::string machine_of(const Topology& topo, std::string_view node) {
  const Node* n = topo.find_node(node);
  return n ? n->host : std::string();
}

bool crosses_machines(const Topology& topo, const Link& link) {
  if (topo.hosts.size() < 2) return false;
  return machine_of(topo, link.a.node) != machine_of(topo, link.b.node);
}

std::map<std::size_t, uint32_t> link_vnis(const Topology& topo) {
  std::map<std::size_t, uint32_t> out;
  std::set<uint32_t> taken;
  for (const Node& n : topo.nodes)
    for (const Interface& i : n.interfaces)
      if (i.kind == LinkKind::vxlan && i.vxlan && !i.vxlan->underlay_host) taken.insert(i.vxlan->id);
  std::vector<std::pair<std::string, std::size_t>> todo;
  for (std::size_t k = 0; k < topo.links.size(); ++k) {
    const Link& l = topo.links[k];
    if (!crosses_machines(topo, l)) continue;
    if (l.vni) {
      out[k] = *l.vni;
      taken.insert(*l.vni);
    } else {
      todo.emplace_back(link_key(topo, l), k);
    }
  }
  // Sorted by their text, so which link moves on a collision does not depend on file order.
  std::ranges::sort(todo);
  constexpr uint64_t k_span = uint64_t{k_vni_last} - k_vni_first + 1;
  for (const auto& [key, k] : todo) {
    auto vni = static_cast<uint32_t>(k_vni_first + fnv1a(key) % k_span);
    while (taken.contains(vni)) vni = vni == k_vni_last ? k_vni_first : vni + 1;
    taken.insert(vni);
    out[k] = vni;
  }
  return out;
}

std::expected<HostPart, std::string> for_host(const Topology& topo, std::string_view host) {
  if (topo.hosts.empty())
    return std::unexpected("--host " + std::string(host) + ": lab '" + topo.name +
                           "' names no machines (no 'hosts:' section); leave --host out");
  const LabMachine* here = topo.find_host(host);
  if (!here)
    return std::unexpected("--host " + std::string(host) + ": lab '" + topo.name + "' names no machine '" +
                           std::string(host) + "' (its machines: " + joined_hosts(topo) + ")");
  HostPart part;
  Topology& out = part.topo;
  out = topo;
  out.part_of = here->name;
  const auto vnis = link_vnis(topo);
  // Tunnel ends first, while the nodes are still where topo has them.
  for (std::size_t k = 0; k < topo.links.size(); ++k) {
    auto vni = vnis.find(k);
    if (vni == vnis.end()) continue;
    const Link& l = topo.links[k];
    for (auto [self, other] : {std::pair{l.a, l.b}, std::pair{l.b, l.a}}) {
      if (machine_of(topo, self.node) != host) continue;
      const LabMachine* there = topo.find_host(machine_of(topo, other.node));
      auto node = std::ranges::find(out.nodes, self.node, &Node::name);
      if (!there || node == out.nodes.end()) continue; // validation makes both exist
      auto ifc = std::ranges::find(node->interfaces, self.iface, &Interface::name);
      if (ifc == node->interfaces.end()) continue;
      make_tunnel_end(*ifc, *node, *here, *there, vni->second, topo.vxlan_port, part.warnings);
    }
  }
  std::erase_if(out.nodes, [&](const Node& n) { return n.host != host; });
  std::erase_if(out.links, [&](const Link& l) {
    return machine_of(topo, l.a.node) != host || machine_of(topo, l.b.node) != host;
  });
  std::erase_if(out.checks, [&](const Check& c) { return !check_is_here(topo, c, host); });
  for (Exercise& e : out.exercises) {
    std::erase_if(e.start, [&](const Breakage& b) { return machine_of(topo, b.node) != host; });
    std::erase_if(e.checks, [&](const Check& c) { return !check_is_here(topo, c, host); });
  }
  return part;
}

std::string inventory_yaml(const Topology& topo) {
  std::string out = "# Ansible inventory of lab " + yaml_quoted(topo.name) + " (netlab inventory)\n";
  out += "all:\n  children:\n    netlab:\n      hosts:\n";
  if (topo.hosts.empty()) out += "        {}\n";
  for (const LabMachine& m : topo.hosts) {
    out += "        " + yaml_quoted(m.name) + ":\n";
    for (const auto& [key, value] : m.vars) out += "          " + key + ": " + yaml_quoted(value) + "\n";
    out += "          netlab_underlay: " + yaml_quoted(m.underlay.str()) + "\n";
  }
  out += "      vars:\n        netlab_lab: " + yaml_quoted(topo.name) + "\n";
  out += "        netlab_vxlan_port: " + std::to_string(topo.vxlan_port) + "\n";
  return out;
}

} // namespace netlab
