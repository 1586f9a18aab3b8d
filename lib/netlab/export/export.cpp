// Observed -> topology tree. The rules (see docs/topology.md, "netlab export"):
// - every named namespace given becomes a `netns` node; the host namespace a
//   `kind: host` node holding only the links the namespaces need (veth peers of
//   theirs, the bridges those are ports of) and those named by --host-links;
// - a veth becomes a `links:` entry once its peer is found (the end with that
//   ifindex whose own peer index points back: ifindexes are per namespace);
// - routes the kernel derives (proto kernel) are left out; every other main-table
//   route over an exported interface becomes a `routes:` entry;
// - what the format has no word for is listed, never dropped.
#include <netlab/export/export.hpp>

#include <netlab/plan/impair.hpp>
#include <netlab/plan/mac.hpp>
#include <netlab/topology/expand.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace netlab {
namespace export_impl {

constexpr uint8_t k_rtprot_kernel = 2; ///< RTPROT_KERNEL: the connected route of an address
constexpr uint8_t k_rtprot_ra = 9;     ///< RTPROT_RA: learnt from a router advertisement

RawNode scalar(std::string s) {
  RawNode n;
  n.type = RawNode::Type::scalar;
  n.scalar = std::move(s);
  return n;
}
RawNode mapping() {
  RawNode n;
  n.type = RawNode::Type::mapping;
  return n;
}
RawNode sequence() {
  RawNode n;
  n.type = RawNode::Type::sequence;
  return n;
}
void put(RawNode& map, std::string key, RawNode value) { map.entries.emplace_back(scalar(std::move(key)), std::move(value)); }
void put(RawNode& map, std::string key, std::string value) { put(map, std::move(key), scalar(std::move(value))); }

/// Devices the kernel makes in every namespace by itself when their module is
/// loaded (fallback tunnels): not the user's, never exported or listed.
bool kernel_fallback(const ObservedLink& l) {
  static const std::set<std::string, std::less<>> k_names{"tunl0",   "sit0",    "ip6tnl0", "gre0",     "gretap0",
                                                          "erspan0", "ip_vti0", "ip6_vti0", "ip6gre0", "ip6erspan0"};
  return l.kind == LinkKind::other && k_names.contains(l.name) && l.addresses.empty() && !l.master;
}

/// The MTU a kind gets when nobody sets one (not written).
uint32_t default_mtu(LinkKind k) {
  if (k == LinkKind::vxlan) return 1450;
  return 1500;
}

struct Where {
  std::string node;
  const ObservedLink* link = nullptr;
};

class Exporter {
public:
  Exporter(const ExportInput& in, const ExportOptions& opt) : m_in(in), m_opt(opt) {}

  ExportResult run() {
    choose_host_links();
    pair_veths();
    RawNode nodes = mapping();
    for (const auto& [name, ns] : m_in.have.nodes) {
      if (!ns.exists) continue;
      if (is_host(name) && m_host_links.empty()) { // nothing of the host belongs to the lab
        note_host_rules(ns);
        continue;
      }
      put(nodes, node_name(name), export_node(name, ns));
    }
    put(m_out.root, "name", m_opt.name);
    put(m_out.root, "nodes", std::move(nodes));
    if (!m_links.items.empty()) put(m_out.root, "links", std::move(m_links));
    return std::move(m_out);
  }

private:
  const ExportInput& m_in;
  const ExportOptions& m_opt;
  ExportResult m_out{mapping(), {}, {}};
  RawNode m_links = sequence();
  std::set<std::string> m_host_links;                               ///< host links exported
  std::map<std::pair<std::string, std::string>, Where> m_peer;      ///< (node, veth) -> its peer
  std::set<std::pair<std::string, std::string>> m_linked;           ///< veth ends already in `links:`

  bool is_host(const std::string& key) const { return key == m_in.host_key && host_ns(); }
  const ObservedNs* host_ns() const {
    auto it = m_in.have.nodes.find(m_in.host_key);
    return it != m_in.have.nodes.end() && it->second.ref.kind == NodeKind::host ? &it->second : nullptr;
  }
  /// The node's name in the file (the host node keeps its key; a namespace named like it would clash).
  std::string node_name(const std::string& key) const { return key; }

  bool exported(const std::string& node, const ObservedLink& l) const {
    if (l.kind == LinkKind::loopback || kernel_fallback(l)) return false;
    return !is_host(node) || m_host_links.contains(l.name);
  }

  /// The veth end with index `ifindex` in another (or the same) namespace whose peer index is `back`.
  std::vector<Where> find_peers(const std::string& node, const ObservedLink& l) const {
    std::vector<Where> out;
    for (const auto& [name, ns] : m_in.have.nodes)
      for (const auto& other : ns.links)
        if (other.kind == LinkKind::veth && other.ifindex == l.peer_ifindex && other.peer_ifindex == l.ifindex &&
            !(name == node && other.name == l.name))
          out.push_back({name, &other});
    return out;
  }

  void choose_host_links() {
    const ObservedNs* host = host_ns();
    if (!host) return;
    for (const auto& name : m_opt.host_links) {
      if (host->find_link(name))
        m_host_links.insert(name);
      else
        m_out.not_expressed.push_back(m_in.host_key + ": --host-links " + name + ": no such link");
    }
    // veth peers of the namespaces' veths, and (below) the bridges they are ports of
    for (const auto& [name, ns] : m_in.have.nodes) {
      if (name == m_in.host_key) continue;
      for (const auto& l : ns.links) {
        if (l.kind != LinkKind::veth) continue;
        for (const auto& p : find_peers(name, l))
          if (p.node == m_in.host_key) m_host_links.insert(p.link->name);
      }
    }
    // Masters of chosen links, and their masters in turn (a bridge is not nested, but be total).
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& l : host->links)
        if (m_host_links.contains(l.name) && l.master && !m_host_links.contains(*l.master)) {
          m_host_links.insert(*l.master);
          grew = true;
        }
    }
  }

  void pair_veths() {
    for (const auto& [name, ns] : m_in.have.nodes)
      for (const auto& l : ns.links) {
        if (l.kind != LinkKind::veth || !exported(name, l)) continue;
        auto peers = find_peers(name, l);
        std::erase_if(peers, [&](const Where& w) { return !exported(w.node, *w.link); });
        if (peers.size() == 1) m_peer[{name, l.name}] = peers.front();
      }
  }

  /// The host is left out: say so if its ruleset has rules (the machine's, or a lab's the user meant).
  void note_host_rules(const ObservedNs& ns) {
    if (!ns.nft_ruleset) return;
    std::vector<std::string> other;
    size_t nat = export_nat(*ns.nft_ruleset, ns.nft_ruleset_text.value_or(""), m_in.host_key, other).size();
    if (nat + other.size() == 0) return;
    m_out.notes.push_back(m_in.host_key + ": " + std::to_string(nat + other.size()) +
                          " nftables rule(s) left out with the host: no host link belongs to the lab "
                          "(--host-links IF takes the host in)");
  }

  bool has_v6_address(const std::string& name, const ObservedNs& ns) const {
    return std::ranges::any_of(ns.links, [&](const ObservedLink& l) {
      return exported(name, l) && std::ranges::any_of(l.addresses, [](const Cidr& c) { return c.addr.family == Family::v6; });
    });
  }

  /// Whether the links' IPv6 (addr_gen_mode, when it was read) is not what the
  /// node's default gives: on with an IPv6 address, off without.
  bool ipv6_differs(const std::string& name, const ObservedNs& ns) const {
    const bool want_on = has_v6_address(name, ns);
    for (const auto& l : ns.links) {
      if (!exported(name, l)) continue;
      auto mode = ns.sysctls.find(addr_gen_mode_key(l.name));
      if (mode != ns.sysctls.end() && (mode->second != "1") != want_on) return true;
    }
    return false;
  }

  RawNode export_node(const std::string& name, const ObservedNs& ns) {
    RawNode node = mapping();
    if (is_host(name)) put(node, "kind", "host");
    else if (!ns.lo_up) put(node, "loopback", "down");
    if (auto fwd = ns.sysctls.find("net.ipv4.ip_forward"); fwd != ns.sysctls.end()) {
      auto fwd6 = ns.sysctls.find("net.ipv6.conf.all.forwarding");
      if (fwd->second == "1") put(node, "forwarding", "true");
      if (has_v6_address(name, ns) && fwd6 != ns.sysctls.end() && fwd6->second != fwd->second)
        m_out.not_expressed.push_back(name + ": net.ipv4.ip_forward = " + fwd->second +
                                      " but net.ipv6.conf.all.forwarding = " + fwd6->second +
                                      " (`forwarding` sets both)");
    }
    if (!is_host(name) && ipv6_differs(name, ns)) put(node, "ipv6", has_v6_address(name, ns) ? "false" : "true");
    if (!is_host(name)) { // the host's sysctls are the machine's
      RawNode sysctls = mapping();
      for (const auto& [key, def] : export_sysctl_defaults())
        if (auto v = ns.sysctls.find(key); v != ns.sysctls.end() && v->second != def) put(sysctls, key, v->second);
      if (!sysctls.entries.empty()) put(node, "sysctls", std::move(sysctls));
    }
    RawNode ifaces = mapping();
    std::set<std::string> names;
    for (const auto& l : ns.links) {
      if (!exported(name, l)) continue;
      if (auto iface = export_link(name, ns, l)) {
        put(ifaces, l.name, std::move(*iface));
        names.insert(l.name);
      }
    }
    if (!ifaces.entries.empty()) put(node, "interfaces", std::move(ifaces));
    RawNode routes = export_routes(name, ns, names);
    if (!routes.items.empty()) put(node, "routes", std::move(routes));
    if (ns.nft_ruleset) {
      RawNode nat = sequence();
      nat.items = export_nat(*ns.nft_ruleset, ns.nft_ruleset_text.value_or(""), name, m_out.not_expressed);
      if (!nat.items.empty()) put(node, "nat", std::move(nat));
    }
    return node;
  }

  std::optional<RawNode> export_link(const std::string& node, const ObservedNs& ns, const ObservedLink& l) {
    RawNode out = mapping();
    const std::string where = node + ":" + l.name;
    switch (l.kind) {
    case LinkKind::veth: {
      auto peer = m_peer.find({node, l.name});
      if (peer == m_peer.end()) {
        m_out.not_expressed.push_back(where + ": a veth whose other end is in no exported namespace "
                                              "(an unnamed namespace, or a host link not exported)");
        return std::nullopt;
      }
      const Where& p = peer->second;
      if (!m_linked.contains({node, l.name})) {
        m_linked.insert({node, l.name});
        m_linked.insert({p.node, p.link->name});
        RawNode link = sequence();
        link.items.push_back(scalar(node_name(node) + ":" + l.name));
        link.items.push_back(scalar(node_name(p.node) + ":" + p.link->name));
        m_links.items.push_back(std::move(link));
      }
      break;
    }
    case LinkKind::bridge:
      put(out, "kind", "bridge");
      if (l.bridge && l.bridge->vlan_filtering) put(out, "vlan_filtering", "true");
      break;
    case LinkKind::dummy: put(out, "kind", "dummy"); break;
    case LinkKind::tun:
    case LinkKind::tap:
      put(out, "kind", std::string(to_string(l.kind)));
      if (l.tun) {
        if (l.tun->uid) put(out, "user", l.tun->user.empty() ? std::to_string(*l.tun->uid) : l.tun->user);
        if (l.tun->gid) put(out, "group", l.tun->group.empty() ? std::to_string(*l.tun->gid) : l.tun->group);
        if (l.tun->multi_queue) put(out, "multi_queue", "true");
      }
      break;
    case LinkKind::macvlan:
      put(out, "kind", "macvlan");
      if (!l.macvlan || l.macvlan->parent.empty() || !ns.find_link(l.macvlan->parent)) {
        m_out.not_expressed.push_back(where + ": a macvlan whose parent is not in its namespace");
        return std::nullopt;
      }
      put(out, "parent", l.macvlan->parent);
      if (l.macvlan->mode != "bridge") put(out, "mode", l.macvlan->mode);
      break;
    case LinkKind::vlan:
      put(out, "kind", "vlan");
      if (!l.vlan || l.vlan->parent.empty() || !ns.find_link(l.vlan->parent)) {
        m_out.not_expressed.push_back(where + ": a vlan whose parent is not in its namespace");
        return std::nullopt;
      }
      put(out, "parent", l.vlan->parent);
      put(out, "id", std::to_string(l.vlan->id));
      break;
    case LinkKind::vxlan:
      put(out, "kind", "vxlan");
      if (!l.vxlan) {
        m_out.not_expressed.push_back(where + ": a vxlan whose settings were not read");
        return std::nullopt;
      }
      put(out, "id", std::to_string(l.vxlan->id));
      if (l.vxlan->remote) put(out, "remote", l.vxlan->remote->str());
      if (l.vxlan->local) put(out, "local", l.vxlan->local->str());
      if (l.vxlan->dstport != 4789) put(out, "dstport", std::to_string(l.vxlan->dstport));
      if (l.vxlan->dev) put(out, "dev", *l.vxlan->dev);
      break;
    case LinkKind::loopback:
    case LinkKind::other:
      m_out.not_expressed.push_back(where + ": a link of a kind netlab does not make" +
                                    (l.addresses.empty() ? std::string() : " (addresses " + addresses_text(l) + ")"));
      return std::nullopt;
    }
    if (l.master) {
      const ObservedLink* m = ns.find_link(*l.master);
      if (m && m->kind == LinkKind::bridge && exported(node, *m))
        put(out, "master", *l.master);
      else
        m_out.not_expressed.push_back(where + ": master " + *l.master + " (not a bridge netlab exports)");
    }
    if (!l.addresses.empty()) {
      RawNode addrs = sequence();
      std::set<Cidr> seen; // a dump of 1000 namespaces' worth of links was seen to list the bridge's twice
      for (const auto& a : l.addresses)
        if (seen.insert(a).second) addrs.items.push_back(scalar(a.str()));
      put(out, "addresses", std::move(addrs));
    }
    if (l.mtu && l.mtu != default_mtu(l.kind) && l.kind != LinkKind::tun) put(out, "mtu", std::to_string(l.mtu));
    if (m_opt.macs && has_own_mac(l) && l.mac != derived_mac(m_opt.name, node_name(node), l.name)) put(out, "mac", l.mac);
    if (!l.up) put(out, "state", "down");
    if (l.impair) {
      RawNode imp = mapping();
      std::istringstream words(impair_text(*l.impair));
      for (std::string k, v; words >> k >> v;) put(imp, k, v);
      if (!imp.entries.empty()) put(out, "impair", std::move(imp));
    } else if (!l.qdisc.empty()) {
      m_out.not_expressed.push_back(where + ": root qdisc " + l.qdisc + " (not in the layout `impair` makes)");
    }
    if (l.vlans && l.master) {
      const ObservedLink* m = ns.find_link(*l.master);
      if (m && m->bridge && m->bridge->vlan_filtering) put(out, "vlans", vlans_node(*l.vlans));
    }
    return out;
  }

  /// Kinds whose MAC is their own (a vlan shares its parent's, a passthru macvlan takes it, a tun has none).
  static bool has_own_mac(const ObservedLink& l) {
    if (l.mac.empty() || l.kind == LinkKind::tun || l.kind == LinkKind::vlan) return false;
    return !(l.kind == LinkKind::macvlan && l.macvlan && l.macvlan->mode == "passthru");
  }

  static RawNode vlans_node(const std::vector<BridgeVlan>& vlans) {
    RawNode seq = sequence();
    for (const auto& v : vlans) {
      std::string text = std::to_string(v.id) + (v.last != v.id ? "-" + std::to_string(v.last) : "");
      if (!v.pvid && !v.untagged) {
        seq.items.push_back(scalar(text));
        continue;
      }
      RawNode m = mapping();
      put(m, "id", text);
      if (v.pvid) put(m, "pvid", "true");
      if (v.untagged) put(m, "untagged", "true");
      seq.items.push_back(std::move(m));
    }
    return seq;
  }

  static std::string addresses_text(const ObservedLink& l) {
    std::string out;
    for (const auto& a : l.addresses) out += (out.empty() ? "" : " ") + a.str();
    return out;
  }

  RawNode export_routes(const std::string& node, const ObservedNs& ns, const std::set<std::string>& ifaces) {
    RawNode out = sequence();
    size_t foreign = 0;
    for (const auto& r : ns.routes) {
      if (r.protocol == k_rtprot_kernel) continue; // the connected route of an address: the address implies it
      std::string text = r.to.is_default() ? "default" : r.to.str();
      if (r.via) text += " via " + r.via->str();
      if (r.dev && (!r.via || !ifaces.contains(*r.dev))) text += " dev " + *r.dev;
      uint32_t def = r.to.addr.family == Family::v6 ? 1024 : 0;
      if (r.metric != def) text += " metric " + std::to_string(r.metric);
      if (r.dev && !ifaces.contains(*r.dev)) {
        if (is_host(node))
          ++foreign; // the machine's own routes: not the lab's
        else
          m_out.not_expressed.push_back(node + ": route " + text + " (over a link not exported)");
        continue;
      }
      if (!r.via && !r.dev) {
        m_out.not_expressed.push_back(node + ": route " + text + " (neither via nor dev: blackhole, unreachable...)");
        continue;
      }
      if (r.protocol == k_rtprot_ra) {
        m_out.not_expressed.push_back(node + ": route " + text + " (learnt from a router advertisement)");
        continue;
      }
      if (std::ranges::none_of(out.items, [&](const RawNode& n) { return n.scalar == text; }))
        out.items.push_back(scalar(std::move(text)));
    }
    if (foreign)
      m_out.notes.push_back(node + ": " + std::to_string(foreign) +
                            " route(s) over links not exported (the machine's own) left out");
    return out;
  }
};

} // namespace export_impl

std::string addr_gen_mode_key(const std::string& link) { return "net.ipv6.conf." + link + ".addr_gen_mode"; }

const std::vector<std::pair<std::string, std::string>>& export_sysctl_defaults() {
  static const std::vector<std::pair<std::string, std::string>> k_keys{
      {"net.ipv4.conf.all.arp_ignore", "0"},     {"net.ipv4.conf.all.arp_announce", "0"},
      {"net.ipv4.conf.all.proxy_arp", "0"},      {"net.ipv4.conf.all.route_localnet", "0"},
      {"net.ipv4.conf.all.accept_local", "0"},   {"net.ipv4.conf.all.arp_filter", "0"},
  };
  return k_keys;
}

ExportResult export_topology(const ExportInput& in, const ExportOptions& opt) {
  return export_impl::Exporter(in, opt).run();
}

std::string export_yaml(const ExportResult& r) {
  // One comment line each, whatever a rule's text holds.
  auto line = [](std::string text) {
    // Names come from the kernel: no control character reaches a terminal (ESC, CR, NL...).
    std::ranges::replace_if(text, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
    return text;
  };
  std::string out = "# written by netlab export from the live kernel\n";
  for (const auto& n : r.notes) out += "# note: " + line(n) + "\n";
  for (const auto& n : r.not_expressed) out += "# not expressed: " + line(n) + "\n";
  return out + to_yaml(r.root);
}

} // namespace netlab
