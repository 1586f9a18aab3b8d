// The resolve pass: with every node, interface and link collected, check the
// references between them and complete the model (implied veth ends, peers).
#include <netlab/topology/validate_sections.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace netlab::vdetail {

namespace {

std::string at_text(Mark m) { return std::to_string(m.line) + ":" + std::to_string(m.col); }

std::vector<std::string_view> node_names(const Topology& t) {
  std::vector<std::string_view> names;
  for (const auto& n : t.nodes) names.push_back(n.name);
  return names;
}

std::vector<std::string_view> iface_names(const Node& n) {
  std::vector<std::string_view> names;
  for (const auto& i : n.interfaces) names.push_back(i.name);
  return names;
}

std::optional<std::size_t> node_index(const Ctx& c, std::string_view name) {
  auto it = c.src.node_index.find(name);
  return it == c.src.node_index.end() ? std::nullopt : std::optional(it->second);
}

// Puts one end of a link into its node: adds the implied veth, or marks the declared one.
/// Interfaces by name, per node, built on a node's first link end: a walk of the
/// host's interfaces for each of its 10,000 bridge ports was quadratic.
using IfaceIndex = std::map<std::size_t, std::unordered_map<std::string, std::size_t>>;

void attach(Ctx& c, IfaceIndex& index, const Endpoint& self, const Endpoint& peer, Mark at,
            const std::optional<Impairment>& impair) {
  std::size_t n = *node_index(c, self.node);
  Node& node = c.topo.nodes[n];
  NodeSrc& src = c.src.nodes[n];
  auto [names, fresh] = index.try_emplace(n);
  if (fresh)
    for (std::size_t k = 0; k < node.interfaces.size(); ++k) names->second.emplace(node.interfaces[k].name, k);
  std::optional<std::size_t> i;
  if (auto it = names->second.find(self.iface); it != names->second.end()) i = it->second;
  if (!i) {
    Interface implied;
    implied.name = self.iface;
    implied.mark = at;
    node.interfaces.push_back(std::move(implied));
    src.ifaces.emplace_back().name = at;
    i = node.interfaces.size() - 1;
    names->second.emplace(self.iface, *i);
  }
  Interface& ifc = node.interfaces[*i];
  if (ifc.kind == LinkKind::other) return; // its bad kind is reported already
  if (src.ifaces[*i].kind_given && ifc.kind != LinkKind::veth)
    return c.diags.error(at, "link endpoint " + quoted(self.str()) + " is a " + std::string(to_string(ifc.kind)) +
                                 "; a link end must be a veth (leave out 'kind' or set it to veth)");
  ifc.peer = peer;
  if (!impair) return;
  if (src.ifaces[*i].impair)
    return c.diags.error(*src.ifaces[*i].impair, "interface " + quoted(self.str()) +
                                                      " has its own 'impair' and so does its link; keep one");
  ifc.impair = impair; // the link's shaping applies to both ends
}

// Reports an endpoint naming no node or an interface already in another link.
bool endpoint_ok(Ctx& c, const Endpoint& e, Mark at, Mark link_mark, std::map<Endpoint, Mark>& used) {
  if (!node_index(c, e.node)) {
    auto names = node_names(c.topo);
    c.diags.error(at, "link endpoint " + quoted(e.str()) + " names no node" + suggest(e.node, names));
    return false;
  }
  auto [it, inserted] = used.emplace(e, link_mark);
  if (inserted) return true;
  c.diags.error(at, "interface " + quoted(e.str()) + " is already in the link at " + at_text(it->second));
  return false;
}

void resolve_links(Ctx& c) {
  std::map<Endpoint, Mark> used;
  IfaceIndex index;
  for (std::size_t k = 0; k < c.topo.links.size(); ++k) {
    const Link& link = c.topo.links[k];
    const LinkSrc& src = c.src.links[k];
    if (!src.ok) continue;
    // Each good end is attached even if the other is bad, so it is not reported as linkless too.
    if (endpoint_ok(c, link.a, src.a, link.mark, used)) attach(c, index, link.a, link.b, src.a, link.impair);
    if (endpoint_ok(c, link.b, src.b, link.mark, used)) attach(c, index, link.b, link.a, src.b, link.impair);
  }
}

void check_master(Ctx& c, const Node& node, const Interface& ifc, Mark at) {
  const std::string& name = *ifc.master;
  std::string what = "interface " + quoted(ifc.name) + ": master " + quoted(name);
  if (name == ifc.name) return c.diags.error(at, "interface " + quoted(ifc.name) + " cannot be its own master");
  const Interface* target = node.find_interface(name);
  if (!target) {
    auto elsewhere = std::find_if(c.topo.nodes.begin(), c.topo.nodes.end(), [&](const Node& other) {
      return &other != &node && other.find_interface(name);
    });
    std::string hint = elsewhere != c.topo.nodes.end()
                           ? " (it is in node " + quoted(elsewhere->name) + "; a master must be in the same node)"
                           : suggest(name, iface_names(node));
    return c.diags.error(at, what + " is not an interface of node " + quoted(node.name) + hint);
  }
  if (target->kind != LinkKind::bridge)
    return c.diags.error(at, what + " is a " + std::string(to_string(target->kind)) + ", not a bridge");
  if (ifc.kind == LinkKind::bridge)
    c.diags.error(at, "interface " + quoted(ifc.name) + " is a bridge; a bridge cannot be a port of another bridge");
}

// parent (macvlan, vlan) or dev (vxlan): must exist in a namespace netlab creates, since
// nothing else is in it; in the host or an external namespace it may be a physical NIC.
void check_lower(Ctx& c, const Node& node, const Interface& ifc, const std::string& name, std::string_view key,
                 Mark at) {
  if (name.empty()) return;
  if (name == ifc.name)
    return c.diags.error(at, "interface " + quoted(ifc.name) + " cannot be its own " + std::string(key));
  if (node.kind != NodeKind::netns || node.find_interface(name)) return;
  c.diags.error(at, "interface " + quoted(ifc.name) + ": " + std::string(key) + " " + quoted(name) +
                        " is not an interface of node " + quoted(node.name) + suggest(name, iface_names(node)));
}

/// `shared: true`: an object of the machine's host namespace that outlives every
/// lab, so nothing of it may hang on one lab (a lower link, a veth's pair, an
/// impairment a `down` would take off).
void check_shared(Ctx& c, const Node& node, const Interface& ifc, const IfaceSrc& src, Mark at) {
  const std::string what = "interface " + quoted(ifc.name) + " is shared: ";
  if (node.kind != NodeKind::host)
    return c.diags.error(at, what + "only interfaces of the kind host node can be shared (node " + quoted(node.name) +
                                 " is not; a namespace's objects are its lab's)");
  if (ifc.kind == LinkKind::veth)
    return c.diags.error(at, what + "a veth end belongs to its link and goes with it; share a bridge the veth joins");
  if (ifc.macvlan || ifc.vlan || (ifc.vxlan && ifc.vxlan->dev))
    return c.diags.error(at, what + "it sits on another link (parent or dev), and only a link standing alone can be shared");
  if (ifc.impair) return c.diags.error(src.impair.value_or(at), what + "'impair' is one lab's setting and a shared object outlives the lab");
}

/// `created_in` / `rename_from`: only a veth end moves (a bridge is NETIF_F_NETNS_LOCAL,
/// the kernel refuses to move it), into a node of the file, under a temporary name
/// that nothing else uses where it is born, nor in its own node before the rename.
void check_move(Ctx& c, const Node& node, const Interface& ifc, const IfaceSrc& src) {
  const Mark at = src.rename_from && !src.created_in ? *src.rename_from : *src.created_in;
  const std::string what = "interface " + quoted(node.name + ":" + ifc.name);
  if (ifc.kind == LinkKind::bridge)
    return c.diags.error(at, what + " is a bridge, and a bridge cannot move between namespaces: the kernel refuses "
                                    "(NETIF_F_NETNS_LOCAL: `ip link set " + ifc.name + " netns NS` fails with \"The interface "
                                    "netns is immutable\", \"Invalid argument\" on older kernels); create it in the node it serves");
  if (ifc.kind != LinkKind::veth)
    return c.diags.error(at, what + " is a " + std::string(to_string(ifc.kind)) +
                                 "; netlab creates elsewhere and moves (created_in, rename_from) only veth ends");
  if (!ifc.peer) return; // reported: a veth in no link
  const Node* born = &node;
  if (ifc.created_in) {
    auto n = node_index(c, *ifc.created_in);
    if (!n)
      return c.diags.error(*src.created_in, what + ": created_in " + quoted(*ifc.created_in) + " names no node" +
                                                suggest(*ifc.created_in, node_names(c.topo)));
    born = &c.topo.nodes[*n];
  }
  const std::string temp = ifc.rename_from.value_or(ifc.name);
  if (ifc.rename_from && temp == ifc.name)
    return c.diags.error(*src.rename_from, what + ": rename_from is its own name; leave it out");
  if (born == &node && temp == ifc.name) return; // created where it lives, under its name: nothing moves
  const Mark temp_at = src.rename_from.value_or(at);
  auto clash = [&](const Node& in) -> const Interface* {
    for (const auto& other : in.interfaces) {
      if (&other == &ifc) continue;
      if (other.name == temp) return &other;
      // Another end born in the same namespace under the same temporary name.
      bool same_birth = other.created_in.value_or(in.name) == born->name;
      if (other.kind == LinkKind::veth && other.rename_from == temp && same_birth && &in == born) return &other;
    }
    return nullptr;
  };
  for (const Node* in : {born, &node}) {
    if (in == &node && !ifc.rename_from) continue; // it arrives under its own name
    if (const Interface* other = clash(*in))
      return c.diags.error(temp_at, what + " is created as " + quoted(temp) + " in node " + quoted(born->name) +
                                        (in == born ? "" : " and moved as such to node " + quoted(node.name)) +
                                        ", where interface " + quoted(in->name + ":" + other->name) +
                                        (other->name == temp ? " has that name" : " is created under that name too") +
                                        "; pick another temporary name");
  }
  // Ends born in the same namespace under the same name, from other nodes.
  for (const Node& other_node : c.topo.nodes) {
    if (&other_node == &node) continue;
    for (const auto& other : other_node.interfaces) {
      if (other.kind != LinkKind::veth || (!other.created_in && !other.rename_from)) continue;
      if (other.created_in.value_or(other_node.name) != born->name || other.rename_from.value_or(other.name) != temp) continue;
      if (&other_node > &node) continue; // reported once, at the later one
      return c.diags.error(temp_at, what + " and " + quoted(other_node.name + ":" + other.name) + " are both created as " +
                                        quoted(temp) + " in node " + quoted(born->name) + "; pick another temporary name");
    }
  }
}

void check_interface(Ctx& c, const Node& node, const Interface& ifc, const IfaceSrc& src) {
  if (!src.kind_given && !ifc.peer)
    c.diags.error(src.name, "interface " + quoted(ifc.name) + " has no kind and is in no link");
  if (src.kind_given && ifc.kind == LinkKind::veth && !ifc.peer)
    c.diags.error(src.kind, "interface " + quoted(ifc.name) + " is a veth but is in no link; add it to 'links'");
  if (ifc.master && src.master) check_master(c, node, ifc, *src.master);
  if (ifc.macvlan && src.parent) check_lower(c, node, ifc, ifc.macvlan->parent, "parent", *src.parent);
  if (ifc.vlan && src.parent) check_lower(c, node, ifc, ifc.vlan->parent, "parent", *src.parent);
  if (ifc.vxlan && ifc.vxlan->dev && src.dev) check_lower(c, node, ifc, *ifc.vxlan->dev, "dev", *src.dev);
  check_vlans(c, node, ifc, src);
  if (src.shared) check_shared(c, node, ifc, src, *src.shared);
  if (src.created_in || src.rename_from) check_move(c, node, ifc, src);
}

/// The kernel numbers a bridge's ports 1..1023 (BR_MAX_PORTS 1024, port 0 unused):
/// the 1024th port is refused after every other action of `up` has been made.
void check_bridge_ports(Ctx& c, const Node& node, const NodeSrc& src) {
  constexpr std::size_t k_max_bridge_ports = 1023;
  std::map<std::string_view, std::size_t> ports;
  for (std::size_t i = 0; i < node.interfaces.size(); ++i) {
    const Interface& ifc = node.interfaces[i];
    if (!ifc.master || !src.ifaces[i].master) continue;
    const Interface* bridge = node.find_interface(*ifc.master);
    if (!bridge || bridge->kind != LinkKind::bridge) continue;
    if (++ports[*ifc.master] != k_max_bridge_ports + 1) continue;
    std::size_t total = std::count_if(node.interfaces.begin(), node.interfaces.end(),
                                      [&](const Interface& x) { return x.master == ifc.master; });
    c.diags.error(*src.ifaces[i].master, "bridge " + quoted(*ifc.master) + " of node " + quoted(node.name) + " has " +
                                             std::to_string(total) + " ports; the kernel allows at most " +
                                             std::to_string(k_max_bridge_ports) + " (this is port " +
                                             std::to_string(k_max_bridge_ports + 1) + ")");
  }
}

void check_addresses(Ctx& c, const Node& node, const NodeSrc& src) {
  std::map<IpAddr, Mark> seen;
  for (std::size_t i = 0; i < node.interfaces.size(); ++i)
    for (std::size_t k = 0; k < src.ifaces[i].addresses.size(); ++k) {
      Mark at = src.ifaces[i].addresses[k];
      auto [it, inserted] = seen.emplace(node.interfaces[i].addresses[k].addr, at);
      if (!inserted)
        c.diags.error(at, "address " + it->first.str() + " is already used in node " + quoted(node.name) + " (at " +
                              at_text(it->second) + ")");
    }
}

/// The distinct subnets of a node's addresses, in all and per interface: aliases in a
/// file can repeat an address list many times, so reachability must not scan copies.
struct Subnets {
  std::set<Cidr> all;
  std::map<std::string, std::set<Cidr>, std::less<>> by_iface;
};

Subnets subnets_of(const Node& node) {
  Subnets s;
  for (const auto& i : node.interfaces)
    for (const auto& a : i.addresses) {
      s.all.insert(a.network());
      s.by_iface[i.name].insert(a.network());
    }
  return s;
}

bool reaches(const Subnets& subnets, const Route& r) {
  auto any = [&](const std::set<Cidr>& nets) {
    return std::any_of(nets.begin(), nets.end(), [&](const Cidr& net) { return net.contains(*r.via); });
  };
  if (!r.dev) return any(subnets.all);
  if (r.via->family == Family::v6 && r.via->is_link_local()) return true; // every link has an fe80::/64
  auto it = subnets.by_iface.find(*r.dev);
  return it != subnets.by_iface.end() && any(it->second);
}

void check_route(Ctx& c, const Node& node, const NodeSrc& nsrc, const Subnets& subnets, const Route& r,
                 const RouteSrc& src) {
  if (r.dev && *r.dev != "lo" && !node.find_interface(*r.dev))
    return c.diags.error(*src.dev, route_named(src.text) + ": dev " + quoted(*r.dev) + " is not an interface of node " +
                                       quoted(node.name) + suggest(*r.dev, iface_names(node)));
  if (!r.via || !nsrc.addresses_ok || reaches(subnets, r)) return;
  std::string where = r.dev ? "no subnet on " + quoted(*r.dev) + " of node " : "no connected subnet of node ";
  c.diags.error(*src.via, route_named(src.text) + ": " + where + quoted(node.name) + " reaches " + r.via->str());
}

void check_routes(Ctx& c, const Node& node, const NodeSrc& src) {
  std::map<std::pair<Cidr, std::optional<uint32_t>>, Mark> seen;
  Subnets subnets = subnets_of(node);
  for (std::size_t k = 0; k < node.routes.size(); ++k) {
    const Route& r = node.routes[k];
    if (!src.routes[k].ok) continue;
    check_route(c, node, src, subnets, r, src.routes[k]);
    auto [it, inserted] = seen.emplace(std::pair{r.to, r.metric}, r.mark);
    if (!inserted)
      c.diags.error(r.mark, route_named(src.routes[k].text) + " has the same destination and metric as the route at " +
                                at_text(it->second));
  }
}

void check_node_ref(Ctx& c, std::string_view key, const std::string& name, Mark at) {
  if (node_index(c, name)) return;
  auto names = node_names(c.topo);
  c.diags.error(at, "'" + std::string(key) + "': no node named " + quoted(name) + suggest(name, names));
}

void resolve_checks(Ctx& c) {
  for (std::size_t k = 0; k < c.topo.checks.size(); ++k) {
    const Check& chk = c.topo.checks[k];
    const CheckSrc& src = c.src.checks[k];
    if (src.from) check_node_ref(c, "from", chk.from, *src.from);
    if (src.listen && chk.listen) check_node_ref(c, "listen", *chk.listen, *src.listen);
    if (src.peer_is) check_node_ref(c, "is", chk.peer_is.node, *src.peer_is);
  }
}

/// An absolute path without empty, "." and ".." components ("/run//netns/./x" -> "/run/netns/x").
std::string normal_path(const std::string& path) {
  std::vector<std::string> parts;
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

/// "/run/netns/x" -> "x"; "" for any other (normalized) path.
std::string named_netns(const std::string& path) {
  constexpr std::string_view k_dir = "/run/netns/";
  if (!path.starts_with(k_dir) || path.find('/', k_dir.size()) != std::string::npos) return {};
  return path.substr(k_dir.size());
}

/// An external node must name a namespace of its own: not one a netns node of
/// this lab creates (down would delete it under the external node), not the
/// one another external node names, not netlab's own (that is kind host).
void resolve_external_refs(Ctx& c) {
  std::map<std::string, std::string> seen; // normalized path -> node
  for (std::size_t n = 0; n < c.topo.nodes.size(); ++n) {
    const Node& node = c.topo.nodes[n];
    const NodeSrc& src = c.src.nodes[n];
    if (node.kind != NodeKind::external || !node.netns_path || !src.external_ref) continue;
    const std::string path = normal_path(*node.netns_path);
    const Mark at = *src.external_ref;
    std::string name = named_netns(path);
    auto other = node_index(c, name);
    if (!name.empty() && other && c.topo.nodes[*other].kind == NodeKind::netns) {
      c.diags.error(at, "external node " + quoted(node.name) + " names namespace " + quoted(name) +
                            ", which node " + quoted(name) + " of this lab creates; use that node");
      continue;
    }
    if (path.starts_with("/proc/self/") || path.starts_with("/proc/thread-self/")) {
      c.diags.error(at, "external node " + quoted(node.name) + ": " + path +
                            " is netlab's own namespace; use a node of kind host for it");
      continue;
    }
    auto [it, inserted] = seen.emplace(path, node.name);
    if (!inserted)
      c.diags.error(at, "external node " + quoted(node.name) + " names the same namespace as node " +
                            quoted(it->second) + " (" + path + ")");
  }
}

} // namespace

void resolve(Ctx& c) {
  resolve_external_refs(c);
  resolve_links(c);
  for (std::size_t n = 0; n < c.topo.nodes.size(); ++n) {
    const Node& node = c.topo.nodes[n];
    const NodeSrc& src = c.src.nodes[n];
    for (std::size_t i = 0; i < node.interfaces.size(); ++i) check_interface(c, node, node.interfaces[i], src.ifaces[i]);
    check_bridge_ports(c, node, src);
    check_addresses(c, node, src);
    check_routes(c, node, src);
  }
  resolve_checks(c);
  resolve_exercises(c);
  resolve_hosts(c);
}

} // namespace netlab::vdetail
