#include <netlab/plan/diff.hpp>
#include <netlab/plan/fold.hpp>

#include <netlab/kernel/nft.hpp>
#include <netlab/plan/describe.hpp>
#include <netlab/plan/diff_kinds.hpp>
#include <netlab/plan/impair.hpp>
#include <netlab/plan/mac.hpp>
#include <netlab/topology/validate.hpp>
#include <netlab/util/escape.hpp>
#include <netlab/util/netns.hpp>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <set>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace netlab {

std::string_view to_string(Finding::State s) {
  switch (s) {
  case Finding::State::ok: return "ok";
  case Finding::State::missing: return "missing";
  case Finding::State::different: return "different";
  case Finding::State::extra: return "extra";
  case Finding::State::conflict: return "conflict";
  }
  return "ok";
}

const NsRef* LabState::find_node(std::string_view name) const {
  for (const auto& n : nodes)
    if (n.node == name) return &n;
  return nullptr;
}

std::map<std::string, std::string> wanted_sysctls(const Node& node) {
  std::map<std::string, std::string> out = node.sysctls;
  if (node.forwarding) {
    std::string v = *node.forwarding ? "1" : "0";
    out.emplace("net.ipv4.ip_forward", v);
    bool has_v6 = std::ranges::any_of(node.interfaces, [](const Interface& i) {
      return std::ranges::any_of(i.addresses, [](const Cidr& c) { return c.addr.family == Family::v6; });
    });
    if (has_v6) out.emplace("net.ipv6.conf.all.forwarding", v);
  }
  return out;
}

bool has_ipv6_state(const Interface& iface) { return !iface.mtu || *iface.mtu >= k_ipv6_min_mtu; }

bool wants_ipv6(const Node& node) {
  if (node.ipv6) return *node.ipv6;
  bool addr = std::ranges::any_of(node.interfaces, [](const Interface& i) {
    return std::ranges::any_of(i.addresses, [](const Cidr& c) { return c.addr.family == Family::v6; });
  });
  return addr || std::ranges::any_of(node.routes, [](const Route& r) { return r.to.addr.family == Family::v6; });
}

namespace {

/// Execution phases of creations; deletions run through them backwards.
enum Phase : size_t {
  p_netns,
  p_bridge,
  p_link,
  p_stacked, ///< links on top of other links (macvlan, vlan, vxlan)
  p_master,
  p_settings, ///< mtu, mac
  p_up,
  p_address,
  p_route,
  p_sysctl,
  p_nat,
  p_impair, ///< root qdiscs: set after everything else, removed before
  p_count
};

Phase link_phase(LinkKind k) {
  switch (k) {
  case LinkKind::bridge: return p_bridge;
  case LinkKind::macvlan:
  case LinkKind::vlan:
  case LinkKind::vxlan: return p_stacked;
  default: return p_link;
  }
}

std::string normalize_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char ch : v) {
    if (ch == ' ' || ch == '\t' || ch == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

uint32_t default_metric(const Cidr& to) { return to.addr.family == Family::v6 ? 1024 : 0; }

ObservedRoute want_route(const Route& r) {
  return ObservedRoute{r.to, r.via, r.dev, r.metric.value_or(default_metric(r.to)), k_route_protocol};
}

bool same_key(const ObservedRoute& a, const ObservedRoute& b) { return a.to == b.to && a.metric == b.metric; }

/// A route matches the file when the file's fields agree; an unset dev is not compared.
bool route_matches(const ObservedRoute& want, const ObservedRoute& have) {
  return same_key(want, have) && want.via == have.via && (!want.dev || want.dev == have.dev);
}

const ObservedNs k_empty_ns{};

using LinkSet = std::set<std::pair<std::string, std::string>>; ///< (node, link)

class Differ {
public:
  /// `gone`: links an earlier pass found the plan deletes; what depends on them is re-made too.
  /// `foreign_routes`: routes not made by netlab, read for --adopt (node -> routes).
  /// `scope`: only what it names (DiffScope); null: everything.
  Differ(const Topology& want, const Observed& have, const LabState& memory, const LinkSet& gone = {},
         const std::map<std::string, std::vector<ObservedRoute>>& foreign_routes = {}, const DiffScope* scope = nullptr)
      : m_want(want), m_have(have), m_memory(memory), m_tag(owner_tag(want.name)), m_gone(gone),
        m_foreign_routes(foreign_routes), m_scope(scope) {
    m_want_nodes.reserve(want.nodes.size());
    for (const auto& n : want.nodes) m_want_nodes.emplace(n.name, &n);
    m_memory_nodes.reserve(memory.nodes.size());
    for (const auto& r : memory.nodes) m_memory_nodes.emplace(r.node, &r);
    m_ipv6_off.insert(memory.ipv6_off.begin(), memory.ipv6_off.end());
  }

  Plan run() {
    mark_deleted_namespaces();
    for (const auto& node : m_want.nodes) {
      if (whole(node.name))
        diff_node(&node, ns_ref_for(node));
      else if (const auto* names = scoped_interfaces(node.name))
        diff_interfaces(node, *names);
    }
    for (const auto& ref : m_memory.nodes)
      if (!want_node(ref.node) && whole(ref.node)) diff_node(nullptr, ref);
    for (const auto& link : m_want.links)
      if (in_scope(link.a) || in_scope(link.b)) diff_veth(link);
    for (const auto& node : m_want.nodes) sweep(node.name);
    for (const auto& ref : m_memory.nodes)
      if (!want_node(ref.node)) sweep(ref.node);
    return assemble();
  }

private:
  const Topology& m_want;
  const Observed& m_have;
  const LabState& m_memory;
  std::string m_tag;
  const LinkSet& m_gone;
  /// The MAC each link is created with (the file's or derived), set in its create
  /// request; made on the first create (a status or a no-op up makes none).
  std::optional<LabMacs> m_macs;
  const std::map<std::string, std::vector<ObservedRoute>>& m_foreign_routes;
  const DiffScope* m_scope;
  // Deques: growing vectors of actions moved every one again and again (5 % of a
  // 1000-namespace `up` when an Action was 1.8 KB; 208 bytes since the large ones are Boxed).
  std::array<std::deque<Action>, p_count> m_create, m_remove;
  std::vector<Action> m_netns_delete;
  std::set<std::string> m_doomed_ns;                        ///< namespaces to be deleted
  std::set<std::string> m_fresh_ns;                         ///< namespaces to be created
  std::set<std::pair<std::string, std::string>> m_handled;  ///< (node, link) decided already
  std::map<std::pair<std::string, std::string>, TagLink> m_adopted; ///< untagged links the lab takes as its own
  LinkSet m_stacked;                                        ///< links on top of other links
  LinkSet m_deleted;                                        ///< links deleted already (a veth with its peer)
  // Nodes by name: Topology::find_node and LabState::find_node walk their lists,
  // which made a diff quadratic in the number of nodes (a veth looks up both ends).
  std::unordered_map<std::string_view, const Node*> m_want_nodes;
  std::unordered_map<std::string_view, const NsRef*> m_memory_nodes;
  std::unordered_set<std::string_view> m_ipv6_off; ///< LabState::ipv6_off
  std::unordered_set<std::string> m_conflicts; ///< paths with a conflict finding (has_conflict, once per link)
  Plan m_plan;

  std::optional<std::string> mac_of(std::string_view node, std::string_view iface) {
    if (!m_macs) m_macs.emplace(m_want);
    return m_macs->of(node, iface);
  }

  // ---- scope (DiffScope): what is diffed ------------------------------------

  bool whole(const std::string& node) const { return !m_scope || m_scope->nodes.contains(node); }
  const std::set<std::string>* scoped_interfaces(const std::string& node) const {
    if (!m_scope) return nullptr;
    auto it = m_scope->interfaces.find(node);
    return it == m_scope->interfaces.end() ? nullptr : &it->second;
  }
  bool in_scope(const Endpoint& end) const {
    if (whole(end.node)) return true;
    const auto* names = scoped_interfaces(end.node);
    return names && names->contains(end.iface);
  }

  /// The scoped interfaces of a node otherwise unchanged: its plain links (veth
  /// ends are their links'); the node's own settings are as they were.
  void diff_interfaces(const Node& node, const std::set<std::string>& names) {
    if (has_conflict(node.name)) return;
    const NsRef ref = ns_ref_for(node);
    for (const auto& name : names)
      if (const Interface* i = iface_in(node, name); i && i->kind != LinkKind::veth) diff_plain_link(node, ref, *i);
  }

  void sweep(const std::string& node) {
    if (whole(node))
      sweep_links(node);
    else if (const auto* names = scoped_interfaces(node))
      sweep_links(node, names);
  }

  const Node* want_node(std::string_view name) const {
    auto it = m_want_nodes.find(name);
    return it == m_want_nodes.end() ? nullptr : it->second;
  }
  const NsRef* memory_node(std::string_view name) const {
    auto it = m_memory_nodes.find(name);
    return it == m_memory_nodes.end() ? nullptr : it->second;
  }

  // The same for a large namespace's links and a large node's interfaces (the
  // host of a star has a bridge port per node), each index built on first use.
  static constexpr size_t k_indexed_from = 16;
  mutable std::unordered_map<const ObservedNs*, std::unordered_map<std::string_view, const ObservedLink*>> m_link_index;
  /// Observed veth ends by (ifindex, peer ifindex), for find_peer.
  mutable std::map<std::pair<int, int>, std::vector<std::pair<const std::string*, const ObservedLink*>>> m_veth_ends;
  mutable std::unordered_map<const Node*, std::unordered_map<std::string_view, const Interface*>> m_iface_index;

  template <class T>
  static const T* indexed(std::unordered_map<std::string_view, const T*>& index, const std::vector<T>& list,
                          std::string_view name) {
    if (index.empty())
      for (const auto& item : list) index.emplace(item.name, &item);
    auto it = index.find(name);
    return it == index.end() ? nullptr : it->second;
  }
  const ObservedLink* link_in(const ObservedNs& ns, std::string_view name) const {
    if (ns.links.size() < k_indexed_from) return ns.find_link(name);
    return indexed(m_link_index[&ns], ns.links, name);
  }
  const Interface* iface_in(const Node& node, std::string_view name) const {
    if (node.interfaces.size() < k_indexed_from) return node.find_interface(name);
    return indexed(m_iface_index[&node], node.interfaces, name);
  }

  const ObservedNs& observed(const std::string& node) const {
    if (m_fresh_ns.contains(node)) return k_empty_ns;
    auto it = m_have.nodes.find(node);
    return it == m_have.nodes.end() ? k_empty_ns : it->second;
  }

  NsRef ref_of(const std::string& node) const {
    if (const Node* n = want_node(node)) return ns_ref_for(*n);
    if (const NsRef* r = memory_node(node)) return *r;
    return NsRef{node, NodeKind::netns, std::string(k_netns_dir) + "/" + node};
  }

  void note(Finding::State s, std::string path, std::string want = {}, std::string have = {}) {
    if (s == Finding::State::conflict) m_conflicts.insert(path);
    m_plan.findings.push_back({s, std::move(path), std::move(want), std::move(have)});
  }

  std::string owner_text(const std::string& alias) const {
    if (alias.empty()) return "not created by netlab";
    if (alias == k_shared_tag) return "shared by labs (alias " + std::string(k_shared_tag) + ")";
    // Anyone with CAP_NET_ADMIN in the namespace sets the alias: printed escaped.
    if (alias.starts_with(k_owner_prefix))
      return "owned by lab '" + escape_for_terminal(alias.substr(k_owner_prefix.size())) + "'";
    return "alias '" + escape_for_terminal(alias) + "'";
  }

  /// How to get the object out of the way: the other lab's down (only for an
  /// owner that is a lab name: such a command is safe to print and to run).
  static std::string way_out(const std::string& alias) {
    if (!alias.starts_with(k_owner_prefix)) return "";
    const std::string lab = alias.substr(k_owner_prefix.size());
    return lab_name_problem(lab) ? "" : " (netlab down -l " + lab + ")";
  }

  void conflict(const std::string& path, const std::string& what, const std::string& alias) {
    const bool other_lab = alias.starts_with(k_owner_prefix);
    const std::string hint =
        alias == k_shared_tag ? " (declare it 'shared: true' in the file to join it)"
        : other_lab           ? ""
        : m_memory.adopt      ? " (--adopt takes over only a link of the file's kind whose ports the file all names: "
                                "a bridge that also holds the machine's own links stays the machine's; declare it "
                                "'shared: true' to join it)"
                              : " (rename it in the file, remove it by hand, or take it over: up --adopt)";
    m_plan.conflicts.push_back(what + " already exists and is " + owner_text(alias) + way_out(alias) + "; lab '" +
                               m_want.name + "' will not touch it" + hint);
    note(Finding::State::conflict, path, "owned by lab '" + m_want.name + "'", owner_text(alias));
  }

  void mark_deleted_namespaces() {
    for (const auto& ref : m_memory.nodes) {
      if (ref.kind != NodeKind::netns || want_node(ref.node)) continue;
      auto it = m_have.nodes.find(ref.node);
      if (it != m_have.nodes.end() && it->second.exists && (it->second.owner == m_tag || adoptable_ns(ref.node)))
        m_doomed_ns.insert(ref.node);
    }
  }

  // ---- crash recovery: what an interrupted run left is the lab's ----------

  /// A namespace the lab's memory lists (written before any run changes the
  /// kernel) that exists untagged with nothing but `lo`: a run was killed
  /// between making it and tagging its `lo`.
  bool adoptable_ns(const std::string& node) const {
    auto it = m_have.nodes.find(node);
    // --adopt: any untagged namespace the file declares as a netns node.
    if (const Node* want = want_node(node); m_memory.adopt && want && want->kind == NodeKind::netns)
      return it != m_have.nodes.end() && it->second.exists && it->second.owner.empty();
    const NsRef* r = memory_node(node);
    if (!r || r->kind != NodeKind::netns || it == m_have.nodes.end()) return false;
    const ObservedNs& have = it->second;
    return have.exists && have.owner.empty() &&
           std::ranges::all_of(have.links, [](const ObservedLink& l) { return l.kind == LinkKind::loopback; });
  }

  /// A named namespace of this lab, tagged or about to be adopted.
  bool ns_ours(const std::string& node) const {
    if (ref_of(node).kind != NodeKind::netns) return false;
    auto it = m_have.nodes.find(node);
    return it != m_have.nodes.end() && it->second.exists && (it->second.owner == m_tag || adoptable_ns(node));
  }

  /// An untagged link that is the lab's all the same: inside a namespace the lab
  /// owns; a veth whose other end is in one (deleting that namespace would take
  /// it anyway); or one a run was about to create where netlab owns no namespace
  /// (LabState::pending_links, written before that run). Everything else
  /// untagged in the host stays foreign.
  bool adoptable_link(const std::string& node, const ObservedLink& l) const {
    if (!l.alias.empty() || l.kind == LinkKind::loopback) return false;
    if (ns_ours(node) || pending(node, l)) return true;
    if (m_memory.adopt) // --adopt: a link the file declares, of the same kind, with no port the file does not name
      if (const Node* n = want_node(node))
        if (const Interface* i = iface_in(*n, l.name); i && i->kind == l.kind && !has_foreign_ports(node, l.name))
          return true;
    auto peer = find_peer(node, l);
    return peer && ns_ours(peer->first);
  }

  /// Whether `master` in `node` has a port the file does not declare: a bridge that
  /// also holds the machine's own uplink is never adopted (`down` would delete it).
  bool has_foreign_ports(const std::string& node, const std::string& master) const {
    auto it = m_have.nodes.find(node);
    const Node* n = want_node(node);
    if (it == m_have.nodes.end() || !n) return false;
    return std::ranges::any_of(it->second.links, [&](const ObservedLink& port) {
      return port.master == master && !iface_in(*n, port.name);
    });
  }

  /// An untagged link the intent of an interrupted run named (LabState::pending_links).
  bool pending(const std::string& node, const ObservedLink& l) const {
    auto it = m_memory.pending_links.find(node);
    return l.alias.empty() && it != m_memory.pending_links.end() && std::ranges::find(it->second, l.name) != it->second.end();
  }

  /// owned(), or adoptable: then the lab tags it (unless the plan deletes it anyway).
  bool ours(const std::string& node, const NsRef& ref, const ObservedLink& l) {
    if (owned(l)) return true;
    if (!adoptable_link(node, l)) return false;
    note(adopt_state(), node + "/" + l.name + "/alias", m_tag, "(none)");
    m_adopted.emplace(std::make_pair(node, l.name), TagLink{ref, l.name, m_tag, l.alias, m_memory.adopt});
    return true;
  }

  /// An untagged object the lab takes over: drift, except under --adopt, which asks for exactly that.
  Finding::State adopt_state() const { return m_memory.adopt ? Finding::State::ok : Finding::State::different; }

  // ---- namespaces -------------------------------------------------------

  void diff_node(const Node* want, const NsRef& ref) {
    const auto it = m_have.nodes.find(ref.node);
    const ObservedNs& have = it == m_have.nodes.end() ? k_empty_ns : it->second;
    if (!want) return remove_node(ref, have);
    if (want->kind == NodeKind::netns) {
      if (!have.exists) {
        m_fresh_ns.insert(want->name);
        note(Finding::State::missing, want->name, "netns");
        m_create[p_netns].push_back(CreateNetns{ref, m_tag});
      } else if (have.owner != m_tag && !adoptable_ns(want->name)) {
        return conflict(want->name, "namespace '" + want->name + "'", have.owner);
      } else if (have.owner != m_tag) {
        note(adopt_state(), want->name + "/lo/alias", m_tag, "(none)");
        m_create[p_netns].push_back(TagLink{ref, "lo", m_tag, have.owner, m_memory.adopt});
        diff_ipv6(*want, ref);
      } else {
        note(Finding::State::ok, want->name);
        diff_ipv6(*want, ref);
      }
    } else if (want->kind == NodeKind::external && !have.exists) {
      m_plan.conflicts.push_back("external namespace of node '" + want->name + "' (" + ref.path +
                                 ") does not exist; netlab uses an external namespace but never creates it");
      note(Finding::State::conflict, want->name, "external namespace " + ref.path, "none");
      return;
    } else if (const NsRef* was = memory_node(want->name);
               want->kind == NodeKind::external && was && was->kind == NodeKind::external && was->path != ref.path) {
      // Both would be node `want->name`; what the lab set in the old one must be undone there first.
      m_plan.conflicts.push_back("node '" + want->name + "' now names " + ref.path + ", but lab '" + m_want.name +
                                 "' set up in " + was->path + "; 'netlab down' it first");
      note(Finding::State::conflict, want->name, "external namespace " + ref.path, "the lab is set up in " + was->path);
      return;
    } else if (const std::string* other = same_namespace_as(*want, have)) {
      // Two nodes over one namespace would sweep each other's links.
      m_plan.conflicts.push_back("external namespace of node '" + want->name + "' (" + ref.path +
                                 ") is the namespace of node '" + *other + "'; declare its interfaces there");
      note(Finding::State::conflict, want->name, "a namespace of its own", "the namespace of node " + *other);
      return;
    } else if (replaced(ref, have)) {
      m_plan.conflicts.push_back("external namespace of node '" + want->name + "' (" + ref.path +
                                 ") is not the one lab '" + m_want.name +
                                 "' set up (deleted and made again, or the pid now belongs to another process); "
                                 "'netlab down' forgets the old one");
      note(Finding::State::conflict, want->name, "the namespace the lab set up", "another namespace at " + ref.path);
      return;
    }
    diff_content(*want, ref, observed(want->name));
  }

  /// Switches IPv6 on or off for an existing namespace. The setting is
  /// remembered (LabState::ipv6_off), not read back: reading a sysctl means
  /// entering the namespace, too dear for every `status` of a 1000-node lab.
  void diff_ipv6(const Node& want, const NsRef& ref) {
    bool was_on = !m_ipv6_off.contains(want.name);
    bool on = wants_ipv6(want);
    if (on == was_on) return;
    note(Finding::State::different, want.name + "/ipv6", on ? "on" : "off", was_on ? "on" : "off");
    // Each declared link, once it exists and before it is addressed (new links
    // are made to suit); lo is spared. The sysctl, unlike the netlink
    // attribute, acts at once: on makes the link-local address. Off drops it
    // by switching IPv6 off and on again, which removes the link's IPv6
    // addresses and, with mode none, makes none.
    for (const auto& i : want.interfaces) {
      if (!has_ipv6_state(i)) continue; // no IPv6 below 1280 bytes, so no such keys
      const std::string key = "net.ipv6.conf." + i.name;
      if (on) {
        m_create[p_settings].push_back(SetSysctl{ref, key + ".addr_gen_mode", "0", "1"});
        continue;
      }
      m_create[p_settings].push_back(SetSysctl{ref, key + ".addr_gen_mode", "1", "0"});
      m_create[p_settings].push_back(SetSysctl{ref, key + ".disable_ipv6", "1", "0"});
      m_create[p_settings].push_back(SetSysctl{ref, key + ".disable_ipv6", "0", "1"});
    }
  }

  /// The other node of the file whose namespace `have` is too (an external
  /// node given the pid of a process in another node's namespace).
  const std::string* same_namespace_as(const Node& want, const ObservedNs& have) const {
    if (want.kind != NodeKind::external || !have.exists || have.ns_id == 0) return nullptr;
    for (const auto& n : m_want.nodes) {
      auto it = m_have.nodes.find(n.name);
      if (n.name != want.name && it != m_have.nodes.end() && it->second.exists && it->second.ns_id == have.ns_id)
        return &n.name;
    }
    return nullptr;
  }

  /// An external path that now names another namespace than the one the lab
  /// recorded: what the lab added went with the old one; the new one is not ours.
  bool replaced(const NsRef& ref, const ObservedNs& have) const {
    const NsRef* was = memory_node(ref.node);
    return ref.kind == NodeKind::external && was && was->kind == NodeKind::external && was->path == ref.path &&
           was->ns_id != 0 && have.ns_id != 0 && was->ns_id != have.ns_id;
  }

  void remove_node(const NsRef& ref, const ObservedNs& have) {
    if (ref.kind == NodeKind::netns && have.stale_file) {
      // The empty file an interrupted create or delete left: removing it is all that is left to do.
      note(Finding::State::extra, ref.node, {}, "empty file " + ref.path);
      m_netns_delete.push_back(DeleteNetns{ref, m_tag});
      return;
    }
    if (!have.exists || replaced(ref, have)) return;
    if (ref.kind == NodeKind::netns) {
      if (have.owner != m_tag && !adoptable_ns(ref.node)) return; // someone else's now: never ours to delete
      note(Finding::State::extra, ref.node, {}, "netns");
      m_netns_delete.push_back(DeleteNetns{ref, m_tag});
      return;
    }
    Node nothing;
    nothing.name = ref.node;
    nothing.kind = ref.kind;
    diff_content(nothing, ref, have, /*declared=*/false);
  }

  void diff_content(const Node& want, const NsRef& ref, const ObservedNs& have, bool declared = true) {
    if (declared) diff_loopback(want, ref, have);
    for (const auto& iface : want.interfaces)
      if (iface.kind != LinkKind::veth) diff_plain_link(want, ref, iface);
    diff_routes(want, ref, have);
    diff_sysctls(want, ref, have);
    diff_nat(want, ref, have);
  }

  void diff_loopback(const Node& want, const NsRef& ref, const ObservedNs& have) {
    // The loopback of a namespace netlab did not create is the owner's business.
    if (want.kind != NodeKind::netns) return;
    bool have_up = have.exists && have.lo_up;
    if (want.loopback_up == have_up) return;
    note(Finding::State::different, want.name + "/lo/state", want.loopback_up ? "up" : "down",
         have_up ? "up" : "down");
    m_create[p_up].push_back(SetUp{ref, "lo", want.loopback_up, have_up});
  }

  // ---- links --------------------------------------------------------------

  bool owned(const ObservedLink& l) const { return l.alias == m_tag; }

  /// A namespace netlab manages whose links get no IPv6 (Node::ipv6).
  bool ipv4_only(const std::string& node) const {
    const Node* n = want_node(node);
    return n && n->kind == NodeKind::netns && !wants_ipv6(*n);
  }
  /// A veth end that IPv6 would be of no use on (CreateLink::no_ipv6): a bridge
  /// port (bridged frames never reach its own IP stack) with no IPv6 address, in
  /// a namespace netlab does not give IPv4-only links, its peer in an IPv4-only node.
  bool ipv6_unused(const NsRef& ref, const Interface& end, const std::string& peer_node) const {
    bool v6 = std::ranges::any_of(end.addresses, [](const Cidr& c) { return c.addr.family == Family::v6; });
    return ref.kind != NodeKind::netns && end.master && !v6 && has_ipv6_state(end) && ipv4_only(peer_node);
  }
  /// ipv4_only() as the lab left it last time (what an undo restores).
  bool was_ipv4_only(const std::string& node) const {
    const NsRef* r = memory_node(node);
    return r && r->kind == NodeKind::netns && m_ipv6_off.contains(node);
  }

  void create_link(const NsRef& ref, const Interface& iface, const std::optional<NsRef>& peer_ns = {},
                   const Interface* peer = nullptr) {
    CreateLink c{.ns = ref, .iface = iface, .owner = iface.shared ? std::string(k_shared_tag) : m_tag, .peer_ns = peer_ns};
    c.iface.mac = mac_of(ref.node, iface.name);
    if (peer && peer_ns) {
      c.peer = *peer;
      c.peer->mac = mac_of(peer_ns->node, peer->name);
    } else if (peer) {
      c.peer = *peer;
    }
    c.addrgen_none = ipv4_only(ref.node) && has_ipv6_state(iface);
    c.peer_addrgen_none = peer && peer_ns && ipv4_only(peer_ns->node) && has_ipv6_state(*peer);
    m_create[link_phase(iface.kind)].push_back(std::move(c));
  }

  void delete_link(const NsRef& ref, const ObservedLink& l, std::string reason = {}) {
    // Two links whose veth ends swapped peers both name the same pair: delete it once.
    if (!m_deleted.emplace(ref.node, l.name).second) return;
    DeleteLink d{ref, l, {}, {}, std::move(reason)};
    d.addrgen_none = was_ipv4_only(ref.node) && l.mtu >= k_ipv6_min_mtu;
    if (auto peer = find_peer(ref.node, l)) {
      d.peer_ns = ref_of(peer->first);
      d.peer_was = *peer->second;
      d.peer_addrgen_none = was_ipv4_only(peer->first) && peer->second->mtu >= k_ipv6_min_mtu;
      m_handled.emplace(peer->first, peer->second->name);
      m_deleted.emplace(peer->first, peer->second->name);
    }
    m_handled.emplace(ref.node, l.name);
    m_remove[link_phase(l.kind)].push_back(std::move(d));
  }

  /// The other end of an observed veth, matched by mutual ifindex.
  std::optional<std::pair<std::string, const ObservedLink*>> find_peer(const std::string& node,
                                                                       const ObservedLink& l) const {
    if (l.kind != LinkKind::veth || l.peer_ifindex == 0) return std::nullopt;
    if (m_veth_ends.empty()) // walked once: a walk per link made the host's 1000 veths quadratic
      for (const auto& [name, ns] : m_have.nodes)
        for (const auto& cand : ns.links)
          if (cand.kind == LinkKind::veth) m_veth_ends[{cand.ifindex, cand.peer_ifindex}].emplace_back(&name, &cand);
    auto it = m_veth_ends.find({l.peer_ifindex, l.ifindex});
    if (it == m_veth_ends.end()) return std::nullopt;
    for (const auto& [name, cand] : it->second) // in m_have.nodes' order, as the walk was
      if (!m_fresh_ns.contains(*name) && !(*name == node && cand->name == l.name)) return std::make_pair(*name, cand);
    return std::nullopt;
  }

  void diff_plain_link(const Node& node, const NsRef& ref, const Interface& want) {
    const std::string path = node.name + "/" + want.name;
    m_handled.emplace(node.name, want.name);
    if (link_phase(want.kind) == p_stacked) m_stacked.emplace(node.name, want.name);
    const ObservedLink* have = link_in(observed(node.name), want.name);
    if (want.shared) return diff_shared(node, ref, want, have);
    if (have && !ours(node.name, ref, *have)) return conflict(path, "link " + node.name + ":" + want.name, have->alias);
    if (have && have->kind != want.kind) {
      note(Finding::State::different, path + "/kind", std::string(to_string(want.kind)),
           std::string(to_string(have->kind)));
      delete_link(ref, *have);
      have = nullptr;
    } else if (!have) {
      note(Finding::State::missing, path, std::string(to_string(want.kind)));
    }
    if (have) have = diff_kind_options(node.name, ref, want, *have);
    if (!have) create_link(ref, want);
    if (!have && has_non_default_options(want))
      m_create[link_phase(want.kind)].push_back(SetLinkOptions{ref, want, default_options(want.name, want.kind)});
    diff_link_settings(node.name, ref, want, have);
  }

  /// A host object labs share (`shared: true`): made if missing, tagged
  /// k_shared_tag (no lab's), never deleted nor re-created (another lab's ports
  /// hang on it). Its settings are the file's where the file names them; its
  /// addresses are only added (the others are other labs'). One owned by a lab
  /// (another, or this one that declared it plain before) or by nobody is not
  /// taken silently: this lab's own is handed over, --adopt takes a foreign one
  /// of the same kind, anything else is a conflict named before any change.
  void diff_shared(const Node& node, const NsRef& ref, const Interface& want, const ObservedLink* have) {
    const std::string path = node.name + "/" + want.name;
    const std::string what = "shared " + std::string(to_string(want.kind)) + " " + node.name + ":" + want.name;
    if (!have) {
      note(Finding::State::missing, path, "shared " + std::string(to_string(want.kind)));
      create_link(ref, want);
      if (has_non_default_options(want))
        m_create[link_phase(want.kind)].push_back(SetLinkOptions{ref, want, default_options(want.name, want.kind)});
      return diff_link_settings(node.name, ref, want, nullptr);
    }
    if (have->alias != k_shared_tag) {
      const bool hand_over = have->alias == m_tag || (have->alias.empty() && m_memory.adopt);
      if (!hand_over || have->kind != want.kind) {
        m_plan.conflicts.push_back(what + " already exists and is " + owner_text(have->alias) + way_out(have->alias) +
                                   (have->kind != want.kind ? " (a " + std::string(to_string(have->kind)) + ")" : "") +
                                   "; lab '" + m_want.name + "' shares only what netlab made shared" +
                                   (have->alias.empty() ? " (take it over as shared: up --adopt)" : ""));
        return note(Finding::State::conflict, path, "shared", owner_text(have->alias));
      }
      note(have->alias == m_tag ? Finding::State::different : adopt_state(), path + "/alias", std::string(k_shared_tag),
           have->alias.empty() ? "(none)" : have->alias);
      m_adopted.emplace(std::make_pair(node.name, want.name),
                        TagLink{ref, want.name, std::string(k_shared_tag), have->alias, have->alias.empty()});
    } else if (have->kind != want.kind) {
      m_plan.conflicts.push_back(what + " exists as a shared " + std::string(to_string(have->kind)) +
                                 "; a shared object is never re-created (other labs use it): remove it by hand");
      return note(Finding::State::conflict, path + "/kind", std::string(to_string(want.kind)),
                  std::string(to_string(have->kind)));
    }
    auto diffs = kind_option_diffs(want, *have);
    if (!diffs.empty()) {
      // Changed under another lab's feet, or re-created: neither. The labs must agree.
      for (const auto& d : diffs) {
        m_plan.conflicts.push_back(what + " has " + d.field + " " + d.have + ", the file says " + d.want +
                                   "; labs sharing it must declare it alike");
        note(Finding::State::conflict, path + "/" + d.field, d.want, d.have);
      }
      return;
    }
    diff_link_settings(node.name, ref, want, have);
  }

  /// Kind-specific settings of an existing link: changed in place where the kernel
  /// can, else the link is deleted (and re-created by the caller). Returns the link
  /// that stays, or nullptr when it is re-created.
  const ObservedLink* diff_kind_options(const std::string& node, const NsRef& ref, const Interface& want,
                                        const ObservedLink& have) {
    const std::string path = node + "/" + want.name;
    auto diffs = kind_option_diffs(want, have);
    for (const auto& d : diffs) note(Finding::State::different, path + "/" + d.field, d.want, d.have);
    auto lower = lower_link(want);
    bool lower_gone = lower && m_gone.contains({node, *lower});
    bool replace = lower_gone || std::ranges::any_of(diffs, [](const KindFieldDiff& d) { return !d.in_place; });
    if (replace) {
      delete_link(ref, have, lower_gone ? *lower + " is re-created" : replace_reason(diffs));
      return nullptr;
    }
    if (!diffs.empty()) {
      // A bridge's settings go before its ports join; the rest with mtu and mac.
      Phase phase = want.kind == LinkKind::bridge ? p_bridge : p_settings;
      m_create[phase].push_back(SetLinkOptions{ref, want, options_of(have)});
    }
    return &have;
  }

  /// Where a veth end is now: under its name in its node, or, for an end the file
  /// creates elsewhere (created_in, rename_from), half-way there, as an
  /// interrupted run left it: moved but not renamed, or not moved yet.
  struct EndAt {
    const Node* node = nullptr;       ///< the node whose namespace holds it
    const ObservedLink* link = nullptr;
  };

  /// The node a veth end is created in and the name it is created under.
  std::pair<const Node*, std::string> birth_of(const Node& node, const Interface& w) const {
    const Node* born = w.created_in ? want_node(*w.created_in) : nullptr;
    return {born ? born : &node, w.rename_from.value_or(w.name)};
  }

  /// Finds an end: at its place, else half-way. A half-way link that is not the
  /// lab's is left alone; the create would fail on it, so it is a conflict.
  EndAt find_end(const Node& node, const Interface& w, bool& foreign) {
    if (const ObservedLink* l = link_in(observed(node.name), w.name)) return {&node, l};
    auto [born, temp] = birth_of(node, w);
    const std::pair<const Node*, const std::string*> steps[] = {{&node, &temp}, {born, &temp}};
    for (auto [n, name] : steps) {
      if (n == &node && *name == w.name) continue;
      const ObservedLink* l = link_in(observed(n->name), *name);
      if (!l) continue;
      if (!ours(n->name, ns_ref_for(*n), *l)) {
        conflict(n->name + "/" + *name, "link " + n->name + ":" + *name + " (where " + node.name + ":" + w.name +
                 " is created)", l->alias);
        foreign = true;
        return {};
      }
      if (l->kind != LinkKind::veth) continue; // the sweep deletes it before the create
      m_handled.emplace(n->name, *name);
      return {n, l};
    }
    return {};
  }

  /// The steps that bring a veth end from where it is (or is created) to its place:
  /// a move into its node, then a rename there.
  void finish_end(const Node& node, const Interface& w, const Node& at, const std::string& name) {
    const NsRef ref = ns_ref_for(node);
    if (&at != &node)
      m_create[p_link].push_back(MoveLink{ns_ref_for(at), name, ref, ipv4_only(node.name) && has_ipv6_state(w)});
    if (name != w.name) m_create[p_link].push_back(RenameLink{ref, name, w.name});
  }

  /// Creates a veth pair where the file says its ends are born, then moves and renames them.
  void create_veth(const Node& na, const Interface& wa, const Node& nb, const Interface& wb) {
    auto [ba, ta] = birth_of(na, wa);
    auto [bb, tb] = birth_of(nb, wb);
    Interface ea = wa, eb = wb;
    ea.name = ta;
    eb.name = tb;
    const NsRef ra = ns_ref_for(*ba), rb = ns_ref_for(*bb);
    CreateLink c{.ns = ra, .iface = ea, .owner = m_tag, .peer_ns = rb, .peer = eb};
    // The MAC is the end's at its place, as the neighbours see it; a move keeps it.
    c.iface.mac = mac_of(na.name, wa.name);
    c.peer->mac = mac_of(nb.name, wb.name);
    c.addrgen_none = ipv4_only(ba->name) && has_ipv6_state(wa);
    c.peer_addrgen_none = ipv4_only(bb->name) && has_ipv6_state(wb);
    // Not on an end that moves: its new namespace gives it IPv6 settings anew.
    c.no_ipv6 = ba == &na && ipv6_unused(ra, wa, nb.name);
    c.peer_no_ipv6 = bb == &nb && ipv6_unused(rb, wb, na.name);
    m_create[p_link].push_back(std::move(c));
    finish_end(na, wa, *ba, ta);
    finish_end(nb, wb, *bb, tb);
  }

  /// A half-way end: the finding says where it is, the plan what is left to do.
  /// Returns the link as it will be after those steps (nullopt: at its place
  /// already), which its settings are compared with: a move drops its addresses,
  /// master and IFF_UP; an end to rename that is up (by hand) is set down first
  /// (the kernel renames no link that is up: EBUSY).
  std::optional<ObservedLink> resume_end(const Node& node, const Interface& w, const EndAt& at) {
    if (at.node == &node && at.link->name == w.name) return std::nullopt;
    const std::string path = node.name + "/" + w.name;
    if (at.node != &node) note(Finding::State::different, path + "/netns", node.name, at.node->name);
    if (at.link->name != w.name) note(Finding::State::different, path + "/name", w.name, at.link->name);
    ObservedLink after = *at.link;
    after.name = w.name;
    if (at.node != &node) {
      after.addresses.clear();
      after.master.reset();
      after.up = false;
    } else if (at.link->up) {
      m_create[p_link].push_back(SetUp{ns_ref_for(node), at.link->name, false, true});
      after.up = false;
    }
    finish_end(node, w, *at.node, at.link->name);
    return after;
  }

  void diff_veth(const Link& link) {
    const Node& na = *want_node(link.a.node);
    const Node& nb = *want_node(link.b.node);
    const Interface& wa = *iface_in(na, link.a.iface);
    const Interface& wb = *iface_in(nb, link.b.iface);
    if (has_conflict(na.name) || has_conflict(nb.name)) return;
    m_handled.emplace(na.name, wa.name);
    m_handled.emplace(nb.name, wb.name);
    NsRef ra = ns_ref_for(na), rb = ns_ref_for(nb);
    bool foreign = false;
    EndAt ea = find_end(na, wa, foreign), eb = find_end(nb, wb, foreign);
    if (foreign) return;
    const ObservedLink* ha = ea.link;
    const ObservedLink* hb = eb.link;
    const std::string pa = na.name + "/" + wa.name, pb = nb.name + "/" + wb.name;
    if (ha && !ours(ea.node->name, ns_ref_for(*ea.node), *ha)) return conflict(pa, "link " + link.a.str(), ha->alias);
    if (hb && !ours(eb.node->name, ns_ref_for(*eb.node), *hb)) return conflict(pb, "link " + link.b.str(), hb->alias);
    bool paired = ha && hb && ha->kind == LinkKind::veth && hb->kind == LinkKind::veth &&
                  ha->peer_ifindex == hb->ifindex && hb->peer_ifindex == ha->ifindex;
    if (!paired) {
      if (ha || hb)
        note(Finding::State::different, pa + "/peer", link.b.str(), ha ? "other peer" : "missing");
      else
        note(Finding::State::missing, pa, "veth peer " + link.b.str());
      if (ha) delete_link(ns_ref_for(*ea.node), *ha);
      if (hb && !pairs_with(*hb, ha)) delete_link(ns_ref_for(*eb.node), *hb);
      create_veth(na, wa, nb, wb);
      ha = hb = nullptr;
    }
    std::optional<ObservedLink> after_a, after_b;
    if (paired) {
      after_a = resume_end(na, wa, ea);
      after_b = resume_end(nb, wb, eb);
      if (after_a) ha = &*after_a;
      if (after_b) hb = &*after_b;
    }
    diff_link_settings(na.name, ra, wa, ha);
    diff_link_settings(nb.name, rb, wb, hb);
  }

  bool has_conflict(const std::string& node) const { return m_conflicts.contains(node); }

  /// True when deleting `other` already takes `l` with it (they are a pair).
  static bool pairs_with(const ObservedLink& l, const ObservedLink* other) {
    return other && other->kind == LinkKind::veth && other->peer_ifindex == l.ifindex &&
           l.peer_ifindex == other->ifindex;
  }

  /// Compares everything but existence; `have == nullptr` means "about to be created".
  void diff_link_settings(const std::string& node, const NsRef& ref, const Interface& want,
                          const ObservedLink* have) {
    const std::string path = node + "/" + want.name;
    size_t before = m_plan.findings.size();
    auto differ = [&](const std::string& field, const std::string& w, const std::string& h) {
      if (have) note(Finding::State::different, path + "/" + field, w, h);
    };
    std::optional<std::string> have_master = have ? have->master : std::nullopt;
    // A port leaves a bridge that is deleted (and re-made): it joins again.
    if (have_master && m_gone.contains({node, *have_master})) have_master.reset();
    if (want.master != have_master && !(want.shared && !want.master)) { // a shared object keeps another lab's master
      differ("master", want.master.value_or("(none)"), have_master.value_or("(none)"));
      m_create[p_master].push_back(SetMaster{ref, want.name, want.master, have_master});
    }
    if (have && want.mtu && *want.mtu != have->mtu) {
      differ("mtu", std::to_string(*want.mtu), std::to_string(have->mtu));
      m_create[p_settings].push_back(SetMtu{ref, want.name, *want.mtu, have->mtu});
    }
    if (have && want.mac && *want.mac != have->mac) {
      differ("mac", *want.mac, have->mac);
      m_create[p_settings].push_back(SetMac{ref, want.name, *want.mac, have->mac});
    }
    bool have_up = have && have->up;
    if (want.up != have_up) {
      differ("state", want.up ? "up" : "down", have_up ? "up" : "down");
      m_create[p_up].push_back(SetUp{ref, want.name, want.up, have_up});
    }
    diff_port_vlans(node, ref, want, have, have_master);
    diff_addresses(path, ref, want, have);
    diff_impair(node, path, ref, want, have);
    if (have && m_plan.findings.size() == before) note(Finding::State::ok, path);
  }

  /// The VLAN list of a port of a filtering bridge (or of the bridge itself). A port
  /// that joins its bridge in this run starts with what the kernel gives it: VLAN 1.
  void diff_port_vlans(const std::string& node, const NsRef& ref, const Interface& want, const ObservedLink* have,
                       const std::optional<std::string>& have_master) {
    if (!want.vlans) return;
    bool self = want.kind == LinkKind::bridge;
    bool joins = !have || (!self && have_master != want.master);
    std::vector<BridgeVlan> have_vlans = joins ? default_vlans() : canonical_vlans(have->vlans.value_or(std::vector<BridgeVlan>{}));
    std::vector<BridgeVlan> want_vlans = canonical_vlans(*want.vlans);
    if (want_vlans == have_vlans) return;
    if (have) note(Finding::State::different, node + "/" + want.name + "/vlans", vlans_text(want_vlans),
                   vlans_text(have_vlans));
    m_create[p_settings].push_back(SetBridgeVlans{ref, want.name, self, want_vlans, have_vlans});
  }

  bool remembers_impair(const std::string& node, const std::string& link) const {
    auto it = m_memory.impaired_links.find(node);
    return it != m_memory.impaired_links.end() && std::ranges::find(it->second, link) != it->second.end();
  }

  /// The root qdisc of a link that is, or was, impaired. Any other link's root
  /// is the kernel's default or someone's hand work: it is not read, nor touched.
  void diff_impair(const std::string& node, const std::string& path, const NsRef& ref, const Interface& want,
                   const ObservedLink* have) {
    if (!want.impair && !remembers_impair(node, want.name)) return;
    std::optional<Impairment> target;
    if (want.impair && shapes_traffic(*want.impair)) target = want.impair;
    const std::optional<Impairment> have_imp = have ? have->impair : std::nullopt;
    const std::string have_text = have_imp ? impair_text(*have_imp) : have ? "qdisc " + have->qdisc : "";
    const uint32_t mtu = want.mtu.value_or(have && have->mtu ? have->mtu : 1500);
    if (!target) {
      if (!have || have->qdisc.empty()) return;
      note(Finding::State::extra, path + "/impair", {}, have_text);
      m_remove[p_impair].push_back(SetImpair{ref, want.name, std::nullopt, have_imp, mtu});
      return;
    }
    if (have_imp && same_impairment(*target, *have_imp)) {
      // tbf's burst holds two frames of the link's MTU: it follows an MTU change.
      if (want.mtu && *want.mtu != have->mtu && target->rate_bps)
        m_create[p_impair].push_back(SetImpair{ref, want.name, target, have_imp, mtu});
      return;
    }
    if (have && have->qdisc.empty())
      note(Finding::State::missing, path + "/impair", impair_text(*target));
    else if (have)
      note(Finding::State::different, path + "/impair", impair_text(*target), have_text);
    m_create[p_impair].push_back(SetImpair{ref, want.name, target, have_imp, mtu});
  }

  void diff_addresses(const std::string& path, const NsRef& ref, const Interface& want, const ObservedLink* have) {
    static const std::vector<Cidr> none;
    const auto& have_addrs = have ? have->addresses : none;
    for (const auto& c : want.addresses) {
      if (std::ranges::find(have_addrs, c) != have_addrs.end()) continue;
      if (have) note(Finding::State::missing, path + "/addresses/" + c.str(), c.str());
      m_create[p_address].push_back(AddAddress{ref, want.name, c});
    }
    if (want.shared) return; // a shared object's other addresses are other labs' (or the user's)
    for (const auto& c : have_addrs) {
      if (std::ranges::find(want.addresses, c) != want.addresses.end()) continue;
      note(Finding::State::extra, path + "/addresses/" + c.str(), {}, c.str());
      m_remove[p_address].push_back(DelAddress{ref, want.name, c});
    }
  }

  /// Owned links nobody declared any more: delete, unless their namespace goes
  /// anyway. A veth whose peer's namespace is deleted goes with it; deleting it
  /// on its own would cost one RCU grace period per link, while the kernel's
  /// namespace cleanup removes them all in one batch (apply waits for that).
  void sweep_links(const std::string& node, const std::set<std::string>* only = nullptr) {
    if (m_doomed_ns.contains(node) || m_fresh_ns.contains(node)) return;
    auto it = m_have.nodes.find(node);
    if (it == m_have.nodes.end() || !it->second.exists) return;
    for (const auto& l : it->second.links) {
      if (only && !only->contains(l.name)) continue;
      // lo carries the namespace's tag but belongs to the namespace itself.
      // An untagged link an interrupted run was making here goes too (its namespace is not the lab's).
      if ((!owned(l) && !pending(node, l)) || l.kind == LinkKind::loopback || m_handled.contains({node, l.name}))
        continue;
      if (auto peer = find_peer(node, l); peer && m_doomed_ns.contains(peer->first)) {
        note(Finding::State::extra, node + "/" + l.name, {}, std::string(to_string(l.kind)));
        m_plan.vanishing.push_back({ref_of(node), l});
        continue;
      }
      note(Finding::State::extra, node + "/" + l.name, {}, std::string(to_string(l.kind)));
      delete_link(ref_of(node), l);
    }
  }

  // ---- routes, sysctls, NAT -----------------------------------------------

  /// In namespaces netlab does not own, a proto-99 route is this lab's only if
  /// it goes out of a link the lab owns or the lab remembers adding it.
  bool route_is_ours(const Node& node, const ObservedNs& have, const ObservedRoute& r) const {
    if (node.kind == NodeKind::netns) return true;
    if (r.dev)
      if (const ObservedLink* l = link_in(have, *r.dev); l && owned(*l)) return true;
    auto it = m_memory.foreign_ns_routes.find(node.name);
    return it != m_memory.foreign_ns_routes.end() && std::ranges::find(it->second, r) != it->second.end();
  }

  /// --adopt: a route not made by netlab that is what the file asks for.
  const ObservedRoute* adopted_route(const std::string& node, const ObservedRoute& w) const {
    // Never the machine's own routes: an adopted route is deleted by `down`.
    const Node* n = want_node(node);
    if (!m_memory.adopt || !n || n->kind == NodeKind::host) return nullptr;
    auto it = m_foreign_routes.find(node);
    if (it == m_foreign_routes.end()) return nullptr;
    auto found = std::ranges::find_if(it->second, [&](const ObservedRoute& h) { return route_matches(w, h); });
    return found == it->second.end() ? nullptr : &*found;
  }

  void diff_routes(const Node& want, const NsRef& ref, const ObservedNs& have) {
    std::vector<bool> used(have.routes.size(), false);
    for (const auto& r : want.routes) {
      ObservedRoute w = want_route(r);
      const std::string path = want.name + "/routes/" + describe_route(w);
      auto it = std::ranges::find_if(have.routes, [&](const ObservedRoute& h) { return same_key(w, h); });
      if (const ObservedRoute* hand = it == have.routes.end() ? adopted_route(want.name, w) : nullptr) {
        // --adopt: made by hand just so. Put back with netlab's protocol, the route's only mark.
        note(Finding::State::ok, path);
        m_remove[p_route].push_back(DelRoute{ref, *hand});
        m_create[p_route].push_back(AddRoute{ref, w});
        continue;
      }
      if (it == have.routes.end()) {
        note(Finding::State::missing, path, describe_route(w));
        m_create[p_route].push_back(AddRoute{ref, w});
        continue;
      }
      used[it - have.routes.begin()] = true;
      if (it->dev && m_gone.contains({want.name, *it->dev}) && route_is_ours(want, have, *it) && route_matches(w, *it)) {
        // Its link is re-created: the kernel drops the route with it, so it is put back.
        note(Finding::State::ok, path);
        m_remove[p_route].push_back(DelRoute{ref, *it});
        m_create[p_route].push_back(AddRoute{ref, w});
        continue;
      }
      if (!route_is_ours(want, have, *it)) {
        m_plan.conflicts.push_back("route '" + describe_route(*it) + "' in node '" + want.name +
                                   "' belongs to another lab or user; lab '" + m_want.name + "' will not touch it");
        note(Finding::State::conflict, path, describe_route(w), describe_route(*it));
        continue;
      }
      if (route_matches(w, *it)) {
        note(Finding::State::ok, path);
        continue;
      }
      note(Finding::State::different, path, describe_route(w), describe_route(*it));
      m_remove[p_route].push_back(DelRoute{ref, *it});
      m_create[p_route].push_back(AddRoute{ref, w});
    }
    for (size_t i = 0; i < have.routes.size(); ++i) {
      if (used[i] || !route_is_ours(want, have, have.routes[i])) continue;
      note(Finding::State::extra, want.name + "/routes/" + describe_route(have.routes[i]), {},
           describe_route(have.routes[i]));
      m_remove[p_route].push_back(DelRoute{ref, have.routes[i]});
    }
  }

  void diff_sysctls(const Node& want, const NsRef& ref, const ObservedNs& have) {
    auto wanted = wanted_sysctls(want);
    for (const auto& [key, value] : wanted) {
      const std::string path = want.name + "/sysctls/" + key;
      auto it = have.sysctls.find(key);
      std::string have_v = it == have.sysctls.end() ? std::string() : normalize_value(it->second);
      if (it != have.sysctls.end() && have_v == normalize_value(value)) {
        note(Finding::State::ok, path);
        continue;
      }
      if (have.exists) note(Finding::State::different, path, value, it == have.sysctls.end() ? "(unreadable)" : have_v);
      m_create[p_sysctl].push_back(SetSysctl{ref, key, value, have_v});
    }
    auto saved = m_memory.saved_sysctls.find(want.name);
    if (saved == m_memory.saved_sysctls.end() || !have.exists) return;
    for (const auto& [key, original] : saved->second) {
      if (wanted.contains(key)) continue;
      auto it = have.sysctls.find(key);
      if (it == have.sysctls.end() || normalize_value(it->second) == normalize_value(original)) continue;
      note(Finding::State::extra, want.name + "/sysctls/" + key, original, normalize_value(it->second));
      m_remove[p_sysctl].push_back(SetSysctl{ref, key, original, normalize_value(it->second)});
    }
  }

  void diff_nat(const Node& want, const NsRef& ref, const ObservedNs& have) {
    const std::string table = nat_table_name(m_want.name);
    const std::string path = want.name + "/nat";
    if (have.nat_table && !nat_table_marked(*have.nat_table, table)) {
      // Not netlab's (no mark): a removal leaves it alone, a creation refuses.
      if (want.nat.empty()) return;
      m_plan.conflicts.push_back("nft table " + std::string(k_nat_family) + " " + table + " in node '" + want.name +
                                 "' exists and is not netlab's; nothing was changed");
      note(Finding::State::conflict, path, "table " + table + " of lab '" + m_want.name + "'",
           "a table netlab did not make");
      return;
    }
    if (want.nat.empty()) {
      if (!have.nat_table) return;
      note(Finding::State::extra, path, {}, "table " + table);
      m_remove[p_nat].push_back(SetNat{ref, table, {}, have.nat_table, false});
      return;
    }
    if (have.nat_table && *have.nat_table == nat_canonical(table, want.nat)) {
      note(Finding::State::ok, path);
      return;
    }
    if (have.exists)
      note(have.nat_table ? Finding::State::different : Finding::State::missing, path,
           std::to_string(want.nat.size()) + " rules", have.nat_table ? "table edited" : "");
    m_create[p_nat].push_back(SetNat{ref, table, want.nat, have.nat_table, false});
  }

  /// The kernel drops every route through a link when its last IPv4 address
  /// goes (fib_disable_ip), which an address replaced by another passes through:
  /// the lab's routes out of such a link are deleted before and added again after
  /// the new address, so the plan converges and its undo puts them back.
  void refresh_routes_of_readdressed_links() {
    std::map<std::pair<std::string, std::string>, std::pair<NsRef, std::set<Cidr>>> dropped; ///< (node, link) -> v4 going
    for (const auto& a : m_remove[p_address])
      if (const auto* d = std::get_if<DelAddress>(&a); d && d->cidr.addr.family == Family::v4) {
        auto& entry = dropped.try_emplace({d->ns.node, d->link}, d->ns, std::set<Cidr>{}).first->second;
        entry.second.insert(d->cidr);
      }
    for (const auto& [key, entry] : dropped) {
      const Node* node = want_node(key.first);
      if (!node || m_fresh_ns.contains(node->name)) continue;
      const ObservedNs& have = observed(node->name);
      const ObservedLink* link = link_in(have, key.second);
      if (!link || std::ranges::any_of(link->addresses, [&](const Cidr& c) {
            return c.addr.family == Family::v4 && !entry.second.contains(c);
          }))
        continue; // an IPv4 address stays all along: the kernel keeps the routes
      for (const auto& r : have.routes) {
        if (r.dev != key.second || !route_is_ours(*node, have, r) || route_planned(node->name, r)) continue;
        m_remove[p_route].push_back(DelRoute{entry.first, r});
        m_create[p_route].push_back(AddRoute{entry.first, r});
      }
    }
  }

  bool route_planned(const std::string& node, const ObservedRoute& r) const {
    return std::ranges::any_of(m_remove[p_route], [&](const Action& a) {
      const auto* del = std::get_if<DelRoute>(&a);
      return del && del->ns.node == node && del->route == r;
    });
  }

  Plan assemble() {
    if (!m_plan.conflicts.empty()) return std::move(m_plan);
    refresh_routes_of_readdressed_links();
    // A vlan comes up only after the link it sits on ("Network is down" otherwise).
    std::ranges::stable_partition(m_create[p_up], [&](const Action& a) {
      const auto* up = std::get_if<SetUp>(&a);
      return !up || !m_stacked.contains({up->ns.node, up->link});
    });
    // Adopted links are tagged first, before anything else is done to them; one the plan deletes needs no tag.
    for (auto& [key, tag] : m_adopted)
      if (!m_deleted.contains(key)) m_create[p_netns].push_back(std::move(tag));
    size_t total = m_netns_delete.size();
    for (size_t p = 0; p < p_count; ++p) total += m_create[p].size() + m_remove[p].size();
    m_plan.actions.reserve(total);
    // Each action leaves its deque as it is moved: the plan and the deques
    // never hold the whole lab twice (70,000 actions at 10,000 namespaces).
    auto drain = [&](std::deque<Action>& from) {
      for (; !from.empty(); from.pop_front()) m_plan.actions.push_back(std::move(from.front()));
    };
    for (size_t p = p_count; p-- > 0;) drain(m_remove[p]);
    for (auto& bucket : m_create) drain(bucket);
    for (auto& a : m_netns_delete) m_plan.actions.push_back(std::move(a));
    return std::move(m_plan);
  }
};

} // namespace

namespace {

Plan diff_in(const Topology& want, const Observed& have, const LabState& memory, const DiffScope* scope) {
  // Links the plan deletes take their macvlans, vlans, vxlans, bridge ports and
  // routes with them; when something the file keeps depends on one, plan again
  // knowing it goes. Deletions only grow, so this ends.
  LinkSet gone;
  // --adopt reads every route: only netlab's are the lab's; the others may be adopted as they are.
  std::optional<Observed> ours;
  std::map<std::string, std::vector<ObservedRoute>> foreign;
  if (std::ranges::any_of(have.nodes, [](const auto& n) {
        return std::ranges::any_of(n.second.routes, [](const ObservedRoute& r) { return r.protocol != k_route_protocol; });
      })) {
    ours = have;
    for (auto& [node, ns] : ours->nodes) {
      auto moved = std::ranges::stable_partition(ns.routes, [](const ObservedRoute& r) { return r.protocol == k_route_protocol; });
      foreign[node].assign(moved.begin(), moved.end());
      ns.routes.erase(moved.begin(), moved.end());
    }
  }
  const Observed& seen = ours ? *ours : have;
  while (true) {
    Plan plan = Differ(want, seen, memory, gone, foreign, scope).run();
    LinkSet deleted = deleted_links(plan.actions);
    if (depends_on_gone(want, seen, deleted, gone)) {
      // What depends on a deleted link (a bridge's ports) may lie outside the
      // scope, unchanged in the file: the whole lab is planned again then.
      if (scope) {
        scope = nullptr;
        continue;
      }
      gone.insert(deleted.begin(), deleted.end());
      continue;
    }
    fold_into_creates(plan.actions);
    return plan;
  }
}

/// The interfaces of two versions of a node, by name, that differ (added, removed or changed).
std::set<std::string> changed_interfaces(const Node& before, const Node& after) {
  std::map<std::string_view, const Interface*> was;
  for (const auto& i : before.interfaces) was.emplace(i.name, &i);
  std::set<std::string> out;
  for (const auto& i : after.interfaces) {
    auto it = was.find(i.name);
    if (it == was.end() || !(*it->second == i)) out.insert(i.name);
    if (it != was.end()) was.erase(it);
  }
  for (const auto& [name, i] : was) out.emplace(name);
  return out;
}

/// Whether two versions of a node are the same but for their interfaces (every
/// field of Node but `interfaces` and `mark`), IPv6 included: it follows them.
bool same_but_interfaces(const Node& a, const Node& b) {
  return a.name == b.name && a.file_name == b.file_name && a.kind == b.kind && a.netns_path == b.netns_path &&
         a.loopback_up == b.loopback_up && a.forwarding == b.forwarding && a.ipv6 == b.ipv6 && a.routes == b.routes &&
         a.sysctls == b.sysctls && a.nat == b.nat && a.host == b.host && wants_ipv6(a) == wants_ipv6(b);
}

/// Pairs the items of two versions of a list that `key` says are the same one:
/// by position while they line up (most edits keep the file's order), then by
/// key. Calls both(old, new) for each pair and one(item) for each item of either
/// list left without one (added or removed).
template <class T, class Key, class Both, class One>
void pair_up(const std::vector<T>& before, const std::vector<T>& after, Key key, Both both, One one) {
  size_t lined = 0;
  for (; lined < before.size() && lined < after.size() && key(before[lined]) == key(after[lined]); ++lined)
    both(before[lined], after[lined]);
  std::map<std::invoke_result_t<Key, const T&>, const T*> was; // keys may refer into `before`: it outlives them
  for (size_t i = lined; i < before.size(); ++i) was.emplace(key(before[i]), &before[i]);
  for (size_t i = lined; i < after.size(); ++i) {
    auto it = was.find(key(after[i]));
    if (it == was.end()) {
      one(after[i]);
      continue;
    }
    both(*it->second, after[i]);
    was.erase(it);
  }
  for (const auto& [k, item] : was) one(*item);
}

} // namespace

Plan diff(const Topology& want, const Observed& have, const LabState& memory) {
  return diff_in(want, have, memory, nullptr);
}

Plan diff(const Topology& want, const Observed& have, const LabState& memory, const DiffScope& scope) {
  return diff_in(want, have, memory, &scope);
}

std::optional<DiffScope> edit_scope(const Topology& before, const Topology& after) {
  if (before.name != after.name || before.instance != after.instance || before.prefix != after.prefix ||
      before.hosts != after.hosts || before.vxlan_port != after.vxlan_port || before.part_of != after.part_of)
    return std::nullopt;
  DiffScope scope;
  auto whole = [&](const Node& n) { scope.nodes.insert(n.name); }; // added, removed, or changed beyond its interfaces
  pair_up(
      before.nodes, after.nodes, [](const Node& n) { return std::string_view(n.name); },
      [&](const Node& old, const Node& n) {
        if (old == n) return;
        // Routes and NAT rules follow their links (a route goes with its link's
        // address, diff re-adds it): a node with any is diffed whole.
        if (!same_but_interfaces(old, n) || !n.routes.empty() || !n.nat.empty()) return whole(n);
        auto names = changed_interfaces(old, n);
        scope.interfaces[n.name].insert(names.begin(), names.end());
      },
      whole);
  // Links added, removed or changed: both ends.
  auto touch = [&](const Link& l) {
    for (const Endpoint* e : {&l.a, &l.b})
      if (!scope.nodes.contains(e->node)) scope.interfaces[e->node].insert(e->iface);
  };
  pair_up(
      before.links, after.links, [](const Link& l) { return std::tie(l.a, l.b); },
      [&](const Link& old, const Link& l) {
        if (old == l) return;
        touch(old);
        touch(l);
      },
      touch);
  return scope;
}

std::vector<ObserveTarget> observe_targets(const Topology& want, const LabState& memory) {
  std::vector<ObserveTarget> out;
  auto add = [&](const NsRef& ref, const Node* node) {
    ObserveTarget t{ref, {}, false};
    std::set<std::string> keys;
    if (node)
      for (const auto& [k, v] : wanted_sysctls(*node)) keys.insert(k);
    if (auto it = memory.saved_sysctls.find(ref.node); it != memory.saved_sysctls.end())
      for (const auto& [k, v] : it->second) keys.insert(k);
    t.sysctls.assign(keys.begin(), keys.end());
    t.nat = (node && !node->nat.empty()) || std::ranges::find(memory.nat_nodes, ref.node) != memory.nat_nodes.end() ||
            ref.kind == NodeKind::host;
    t.bridge_vlans = node && std::ranges::any_of(node->interfaces, [](const Interface& i) { return i.vlans.has_value(); });
    // Qdiscs only where the lab shapes or shaped: a dump per namespace is not free at 1000 of them.
    auto impaired = [](const Interface& i) { return i.impair.has_value(); };
    t.qdiscs = (node && std::ranges::any_of(node->interfaces, impaired)) || memory.impaired_links.contains(ref.node);
    t.all_routes = memory.adopt && node && !node->routes.empty();
    out.push_back(std::move(t));
  };
  std::unordered_set<std::string_view> wanted;
  wanted.reserve(want.nodes.size());
  for (const auto& n : want.nodes) {
    wanted.insert(n.name);
    add(ns_ref_for(n), &n);
  }
  for (const auto& ref : memory.nodes)
    if (!wanted.contains(ref.node)) add(ref, nullptr); // nodes the file dropped
  return out;
}

} // namespace netlab
