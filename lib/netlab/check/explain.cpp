#include <netlab/check/explain.hpp>
#include <netlab/plan/exercise.hpp>

#include <algorithm>

namespace netlab {

namespace {

const Node* address_owner(const Topology& topo, const IpAddr& addr) {
  for (const auto& n : topo.nodes)
    for (const auto& i : n.interfaces)
      if (std::ranges::any_of(i.addresses, [&](const Cidr& c) { return c.addr == addr; })) return &n;
  return nullptr;
}

void add_path_node(std::vector<std::string>& out, const std::string& name) {
  if (!name.empty() && std::ranges::find(out, name) == out.end()) out.push_back(name);
}

/// The node itself, then the nodes its veth ends lead to.
void add_with_peers(std::vector<std::string>& out, const Node& node) {
  add_path_node(out, node.name);
  for (const auto& i : node.interfaces)
    if (i.peer) add_path_node(out, i.peer->node);
}

/// The route `node` would use for `target` (longest prefix), if it declares one.
const Route* route_for(const Node& node, const IpAddr& target) {
  const Route* best = nullptr;
  for (const auto& r : node.routes)
    if (r.to.addr.family == target.family && r.to.contains(target) && (!best || r.to.prefix > best->to.prefix))
      best = &r;
  return best;
}

bool has_bridge(const Node& n) { return std::ranges::any_of(n.interfaces, [](const Interface& i) { return i.kind == LinkKind::bridge; }); }

bool bridge_nf_off(const Node& n) {
  auto it = n.sysctls.find("net.bridge.bridge-nf-call-iptables");
  return it != n.sysctls.end() && it->second == "0";
}

/// Within a node, causes before their effects: the kernel drops the routes of a
/// link that goes down and the addresses of one that is deleted, so the link
/// is named, not the routes it took along. `rest`: the path after the node name.
int cause_rank(const std::string& rest) {
  if (rest.empty()) return 0;                                    // the namespace itself
  if (rest.starts_with("/routes/")) return 4;
  if (rest.starts_with("/sysctls/")) return 5;
  if (rest == "/nat") return 6;
  if (rest.find("/addresses/") != std::string::npos) return 3;
  if (rest.starts_with("/lo/")) return 1;
  return 2;                                                      // a link: missing, state, master, mtu...
}

} // namespace

std::vector<std::string> check_path_nodes(const Topology& topo, const Check& check) {
  std::vector<std::string> out;
  const Node* from = topo.find_node(check.from);
  if (!from) return out;
  add_with_peers(out, *from);
  // A peer check sends nothing: its path is the two ends' nodes.
  if (check.type == Check::Type::peer) {
    add_path_node(out, check.peer_is.node);
    return out;
  }
  if (const Route* r = route_for(*from, check.target); r && r->via)
    if (const Node* gw = address_owner(topo, *r->via)) add_with_peers(out, *gw);
  if (const Node* target = address_owner(topo, check.target)) add_with_peers(out, *target);
  if (check.listen) add_path_node(out, *check.listen);
  return out;
}

std::optional<std::string> first_difference(const Topology& topo, const Check& check,
                                            const std::vector<Finding>& findings) {
  for (const auto& node : check_path_nodes(topo, check)) {
    const Finding* first = nullptr;
    for (const auto& f : findings) {
      // A conflict is about ownership, not about what the kernel does with packets.
      if (f.state == Finding::State::ok || f.state == Finding::State::conflict) continue;
      if (f.path != node && !f.path.starts_with(node + "/")) continue;
      if (!first || cause_rank(f.path.substr(node.size())) < cause_rank(first->path.substr(node.size()))) first = &f;
    }
    if (first) return finding_words(*first);
  }
  return std::nullopt;
}

std::string likely_cause(const Topology& topo, const Check& check, const NatHostFacts& host) {
  auto path = check_path_nodes(topo, check);
  const Node* host_node = topo.host_node();
  const bool host_on_path = host_node && std::ranges::find(path, host_node->name) != path.end();
  if (host_on_path && !host.drop_forward_chains.empty()) {
    const std::string& chain = host.drop_forward_chains.front();
    if (has_bridge(*host_node) && host.bridge_nf_call_iptables.value_or(false) && !bridge_nf_off(*host_node))
      return "the lab matches the file, but br_netfilter sends bridged frames through the host's chain '" + chain +
             "' (policy drop; Docker sets this up): add 'sysctls: {net.bridge.bridge-nf-call-iptables: 0}' to node '" +
             host_node->name + "'";
    return "the lab matches the file, but the host's chain '" + chain +
           "' (hook forward, policy drop) drops forwarded traffic it does not accept";
  }
  return "the lab matches the file; look for a firewall inside a namespace (netlab exec " + check.from +
         " -- nft list ruleset) or a stale neighbour entry after a MAC change (netlab exec " + check.from +
         " -- ip neigh flush all)";
}

} // namespace netlab
