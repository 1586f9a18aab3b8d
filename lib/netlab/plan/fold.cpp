#include <netlab/plan/fold.hpp>

#include <map>
#include <string>
#include <utility>

namespace netlab {

namespace {

using LinkKey = std::pair<std::string, std::string>; ///< node, link

/// Index of the action that sets each link's master or brings it up.
struct Pending {
  std::map<LinkKey, size_t> master, up;
};

Pending pending_of(const std::vector<Action>& actions) {
  Pending p;
  for (size_t i = 0; i < actions.size(); ++i) {
    if (const auto* m = std::get_if<SetMaster>(&actions[i]); m && m->master && !m->master->empty())
      p.master.emplace(LinkKey{m->ns.node, m->link}, i);
    else if (const auto* u = std::get_if<SetUp>(&actions[i]); u && u->up)
      p.up.emplace(LinkKey{u->ns.node, u->link}, i);
  }
  return p;
}

/// The index in `from` for `key` if that action comes after `after`.
const size_t* later(const std::map<LinkKey, size_t>& from, const LinkKey& key, size_t after) {
  auto it = from.find(key);
  return it != from.end() && it->second > after ? &it->second : nullptr;
}

/// The other end of a veth takes its master and up in the request that tags
/// it, after the pair exists (the kernel refuses IFF_UP for a peer in the
/// create request: ENOTCONN). Up comes before IFLA_AF_SPEC in one request, so
/// an end without IPv6 link-local comes up on its own, after its tag.
void fold_other_end(std::vector<Action>& actions, const Pending& p, size_t i, const LinkKey& other, bool addrgen_none) {
  auto& c = action_get<CreateLink>(actions[i]);
  if (const size_t* m = later(p.master, other, i)) {
    auto& set = std::get<SetMaster>(actions[*m]);
    c.other_master = set.master;
    set.in_create = true;
  }
  if (const size_t* u = addrgen_none ? nullptr : later(p.up, other, i)) {
    c.other_up = true;
    std::get<SetUp>(actions[*u]).in_create = true;
  }
}

void fold_link(std::vector<Action>& actions, const Pending& p, size_t i) {
  auto& c = action_get<CreateLink>(actions[i]);
  LinkKey self{c.ns.node, c.iface.name};
  if (c.iface.kind == LinkKind::veth && c.peer && c.peer_ns) {
    LinkKey peer{c.peer_ns->node, c.peer->name};
    // The request names the end without IPv6 link-local: it may be made up, as
    // it has no carrier before its peer is. Else the end with a master.
    if (c.addrgen_none != c.peer_addrgen_none)
      c.peer_first = c.peer_addrgen_none;
    else
      c.peer_first = !later(p.master, self, i) && later(p.master, peer, i);
    if (c.peer_first) std::swap(self, peer);
    fold_other_end(actions, p, i, peer, c.peer_first ? c.addrgen_none : c.peer_addrgen_none);
  }
  if (const size_t* m = later(p.master, self, i)) {
    auto& set = std::get<SetMaster>(actions[*m]);
    c.master = set.master;
    set.in_create = true;
  }
  // A vlan cannot come up while its parent is down (ENETDOWN), and a parent
  // veth end may be the other end of its create request: it comes up on its own.
  // A link without IPv6 link-local must not have carrier before its tagging
  // request sets that; a new veth end has none until its peer is up.
  bool keep_down = c.iface.kind == LinkKind::vlan || (c.addrgen_none && c.iface.kind != LinkKind::veth);
  if (const size_t* u = keep_down ? nullptr : later(p.up, self, i)) {
    c.up = true;
    std::get<SetUp>(actions[*u]).in_create = true;
  }
}

} // namespace

void fold_into_creates(std::vector<Action>& actions) {
  const Pending p = pending_of(actions);
  for (size_t i = 0; i < actions.size(); ++i) {
    if (action_is<CreateLink>(actions[i])) {
      fold_link(actions, p, i);
    } else if (auto* n = std::get_if<CreateNetns>(&actions[i])) {
      if (const size_t* u = later(p.up, {n->ns.node, "lo"}, i)) {
        n->lo_up = true;
        std::get<SetUp>(actions[*u]).in_create = true;
      }
    }
  }
}

} // namespace netlab
