#include "fake_kernel.hpp"

#include <netlab/kernel/nft.hpp>
#include <netlab/plan/diff_kinds.hpp>
#include <netlab/plan/impair.hpp>

#include <algorithm>

namespace netlab::test {

namespace {

template <class... Ts> struct Overloaded : Ts... {
  using Ts::operator()...;
};

ObservedLink loopback() {
  ObservedLink lo;
  lo.name = "lo";
  lo.ifindex = 1;
  lo.kind = LinkKind::loopback;
  lo.mtu = 65536;
  lo.mac = "00:00:00:00:00:00";
  return lo;
}

} // namespace

FakeKernel::FakeKernel() {
  ObservedNs host;
  host.ref = {"host", NodeKind::host, {}};
  host.exists = true;
  host.lo_up = true;
  host.links.push_back(loopback());
  host.links.back().up = true;
  host.sysctls = {{"net.ipv4.ip_forward", "0"}};
  nodes["host"] = host;
}

ObservedLink* FakeKernel::link(const std::string& node, const std::string& name) {
  auto it = nodes.find(node);
  if (it == nodes.end()) return nullptr;
  for (auto& l : it->second.links)
    if (l.name == name) return &l;
  return nullptr;
}

ObservedNs* FakeKernel::ns(const NsRef& ref) {
  auto it = nodes.find(ref.node);
  return it == nodes.end() || !it->second.exists ? nullptr : &it->second;
}

Expected<std::vector<std::string>> FakeKernel::list_netns() {
  std::vector<std::string> out;
  for (const auto& [name, n] : nodes)
    if (n.ref.kind == NodeKind::netns && n.exists) out.push_back(name);
  return out;
}

Expected<ObservedNs> FakeKernel::observe(const NsRef& ref, const ObserveRequest& what) {
  ObservedNs out;
  out.ref = ref;
  const ObservedNs* n = ns(ref);
  if (!n) return out;
  out = *n;
  out.sysctls.clear();
  for (const auto& k : what.sysctls) {
    auto it = n->sysctls.find(k);
    if (known_sysctls.contains(k)) out.sysctls[k] = it == n->sysctls.end() ? "0" : it->second;
    // A link's addr_gen_mode exists while the link does: as made (addrgen_none), or as written.
    else if (std::string link = k.starts_with("net.ipv6.conf.") && k.ends_with(".addr_gen_mode")
                                    ? k.substr(14, k.size() - 14 - 14) : "";
             !link.empty() && n->find_link(link))
      out.sysctls[k] = it != n->sysctls.end() ? it->second : addrgen_none.contains({ref.node, link}) ? "1" : "0";
  }
  if (what.nat_table.empty()) out.nat_table.reset();
  if (!what.bridge_vlans)
    for (auto& l : out.links) l.vlans.reset();
  if (what.qdiscs) ++observed_qdiscs;
  for (auto& l : out.links)
    if (!what.qdiscs) {
      l.impair.reset();
      l.qdisc.clear();
    }
  return out;
}

std::vector<std::pair<std::string, std::string>> FakeKernel::unsupported_qdiscs(const std::vector<std::string>& kinds) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : kinds)
    if (missing_qdiscs.contains(k)) out.emplace_back(k, k == "netem" ? "CONFIG_NET_SCH_NETEM" : "CONFIG_NET_SCH_TBF");
  return out;
}

std::vector<std::pair<KernelFeature, std::string>> FakeKernel::missing_features(const std::vector<KernelFeature>& wanted) {
  std::vector<std::pair<KernelFeature, std::string>> out;
  for (auto f : wanted)
    if (missing.contains(f)) out.emplace_back(f, "CONFIG_BRIDGE_VLAN_FILTERING");
  return out;
}

namespace {

/// A tun owner as the real kernel reports it: the id, and its name when the machine knows one.
void fake_owner(const std::optional<std::string>& text, const std::map<uint32_t, std::string>& names,
                std::optional<uint32_t>& id, std::string& name) {
  id.reset();
  name.clear();
  if (!text) return;
  for (const auto& [n, s] : names)
    if (s == *text || std::to_string(n) == *text) id = n, name = s;
  if (!id) id = static_cast<uint32_t>(std::stoul(*text)); // unknown names are not used in tests
}

} // namespace

void FakeKernel::set_options(ObservedLink& l, const Interface& i) {
  if (i.kind == LinkKind::tun || i.kind == LinkKind::tap) {
    TunOptions t = i.tun.value_or(TunOptions{});
    ObservedTun o;
    fake_owner(t.user, users, o.uid, o.user);
    fake_owner(t.group, groups, o.gid, o.group);
    o.multi_queue = l.tun ? l.tun->multi_queue : t.multi_queue; // fixed at creation
    l.tun = o;
  }
  if (i.kind == LinkKind::macvlan) {
    MacvlanOptions m = i.macvlan.value_or(MacvlanOptions{});
    if (l.macvlan) m.parent = l.macvlan->parent; // fixed at creation
    l.macvlan = m;
  }
  if (i.kind == LinkKind::vlan && !l.vlan) l.vlan = i.vlan.value_or(VlanOptions{});
  if (i.kind == LinkKind::vxlan) {
    VxlanOptions v = i.vxlan.value_or(VxlanOptions{});
    if (l.vxlan) v.id = l.vxlan->id, v.dstport = l.vxlan->dstport, v.dev = l.vxlan->dev;
    l.vxlan = v;
  }
  if (i.kind == LinkKind::bridge) l.bridge = i.bridge.value_or(BridgeOptions{});
}

std::vector<std::pair<LinkKind, std::string>> FakeKernel::unsupported(const std::vector<LinkKind>& kinds) {
  std::vector<std::pair<LinkKind, std::string>> out;
  for (auto k : kinds)
    if (missing_drivers.contains(k)) out.emplace_back(k, k == LinkKind::dummy ? "CONFIG_DUMMY" : "CONFIG_VLAN_8021Q");
  return out;
}

Expected<void> FakeKernel::apply(const Action& action) {
  if (fail_write && m_attempts++ == *fail_write) return fail("injected failure");
  auto r = do_apply(action);
  if (r) ++writes;
  return r;
}

void FakeKernel::drop_link(ObservedNs& n, const std::string& name) {
  auto it = std::ranges::find_if(n.links, [&](const ObservedLink& l) { return l.name == name; });
  if (it == n.links.end()) return;
  std::erase_if(n.routes, [&](const ObservedRoute& r) { return r.dev == name; });
  for (auto& l : n.links)
    if (l.master == name) l.master.reset(), l.vlans.reset();
  n.links.erase(it);
  // Like the kernel: macvlans, vlans and vxlans go with the link they sit on.
  auto on_it = [&](const ObservedLink& l) {
    return (l.macvlan && l.macvlan->parent == name) || (l.vlan && l.vlan->parent == name) ||
           (l.vxlan && l.vxlan->dev == name);
  };
  while (true) {
    auto dep = std::ranges::find_if(n.links, on_it);
    if (dep == n.links.end()) return;
    drop_link(n, std::string(dep->name));
  }
}

Expected<void> FakeKernel::do_apply(const Action& action) {
  auto no_ns = [](const NsRef& r) { return fail("namespace '" + r.node + "': No such file or directory"); };
  auto no_link = [](const std::string& l) { return fail("link '" + l + "': No such device"); };
  return std::visit(
      Overloaded{
          [&](const CreateNetns& x) -> Expected<void> {
            if (ns(x.ns)) return fail("namespace '" + x.ns.node + "': File exists");
            ObservedNs n;
            n.ref = x.ns;
            n.exists = true;
            n.owner = x.owner;
            n.links.push_back(loopback());
            n.links.back().alias = x.owner;
            n.links.back().up = n.lo_up = x.lo_up;
            nodes[x.ns.node] = n;
            return {};
          },
          [&](const DeleteNetns& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            std::set<int> gone;
            for (const auto& l : n->links) gone.insert(l.ifindex);
            nodes.erase(x.ns.node);
            for (auto& [name, other] : nodes)
              for (size_t i = other.links.size(); i-- > 0;)
                if (other.links[i].kind == LinkKind::veth && gone.contains(other.links[i].peer_ifindex))
                  drop_link(other, other.links[i].name);
            return {};
          },
          [&](const CreateLink& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            ObservedNs* pn = x.peer_ns ? ns(*x.peer_ns) : nullptr;
            if (x.peer_ns && !pn) return no_ns(*x.peer_ns);
            if (n->find_link(x.iface.name) || (pn && pn->find_link(x.peer->name)))
              return fail("create " + x.iface.name + ": File exists");
            auto make = [&](const Interface& i) {
              ObservedLink l;
              l.name = i.name;
              l.ifindex = m_next_ifindex++;
              l.kind = i.kind;
              l.alias = x.owner;
              l.mtu = i.mtu.value_or(1500);
              l.mac = i.mac.value_or("02:00:00:00:00:" + std::to_string(l.ifindex % 100));
              set_options(l, i);
              if (i.kind == LinkKind::bridge) l.vlans = default_vlans(); // the bridge itself is in VLAN 1
              return l;
            };
            ObservedLink a = make(x.iface);
            std::optional<ObservedLink> b;
            if (pn) {
              b = make(*x.peer);
              a.peer_ifindex = b->ifindex;
              b->peer_ifindex = a.ifindex;
            }
            if (x.addrgen_none) addrgen_none.insert({x.ns.node, a.name});
            if (b && x.peer_addrgen_none) addrgen_none.insert({x.peer_ns->node, b->name});
            // Like the kernel: master and up only for the end the request names.
            ObservedLink& named = x.peer_first && b ? *b : a;
            ObservedNs& named_ns = x.peer_first && pn ? *pn : *n;
            if (x.master) {
              const ObservedLink* m = named_ns.find_link(*x.master);
              if (!m || m->kind != LinkKind::bridge) return no_link(*x.master);
              named.master = x.master;
            }
            named.up = x.up;
            if (b) {
              // The other end, in the request that tags it.
              ObservedLink& other = x.peer_first ? a : *b;
              ObservedNs& other_ns = x.peer_first ? *n : *pn;
              if (x.other_master) {
                const ObservedLink* m = other_ns.find_link(*x.other_master);
                if (!m || m->kind != LinkKind::bridge) return no_link(*x.other_master);
                other.master = x.other_master;
              }
              other.up = x.other_up;
              pn->links.push_back(*b);
            }
            n = ns(x.ns);
            n->links.push_back(a);
            return {};
          },
          [&](const DeleteLink& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            const ObservedLink* l = n->find_link(x.was.name);
            if (!l) return no_link(x.was.name);
            int idx = l->ifindex, peer = l->peer_ifindex;
            bool veth = l->kind == LinkKind::veth;
            drop_link(*n, x.was.name);
            if (veth)
              for (auto& [name, other] : nodes)
                for (size_t i = other.links.size(); i-- > 0;)
                  if (other.links[i].ifindex == peer && other.links[i].peer_ifindex == idx)
                    drop_link(other, other.links[i].name);
            return {};
          },
          [&](const SetMaster& x) -> Expected<void> {
            if (x.in_create) return {};
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            if (x.master) {
              ObservedLink* m = link(x.ns.node, *x.master);
              if (!m || m->kind != LinkKind::bridge) return no_link(*x.master);
            }
            l->master = x.master;
            // A port joins in VLAN 1 (pvid, untagged) and leaves with no VLANs.
            if (x.master) l->vlans = default_vlans();
            else l->vlans.reset();
            return {};
          },
          [&](const TagLink& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            l->alias = x.owner;
            if (x.link == "lo") nodes[x.ns.node].owner = x.owner;
            return {};
          },
          [&](const SetMtu& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            l->mtu = x.mtu;
            return {};
          },
          [&](const SetMac& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            l->mac = x.mac;
            return {};
          },
          [&](const SetUp& x) -> Expected<void> {
            if (x.in_create) return {};
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            l->up = x.up;
            if (x.link == "lo") nodes[x.ns.node].lo_up = x.up;
            return {};
          },
          [&](const AddAddress& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            if (std::ranges::find(l->addresses, x.cidr) != l->addresses.end()) return fail("File exists");
            l->addresses.push_back(x.cidr);
            return {};
          },
          [&](const DelAddress& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            if (!std::erase(l->addresses, x.cidr)) return fail("Cannot assign requested address");
            return {};
          },
          [&](const AddRoute& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            for (const auto& r : n->routes)
              if (r.to == x.route.to && r.metric == x.route.metric) return fail("File exists");
            ObservedRoute r = x.route;
            for (const auto& l : n->links) // the kernel picks the link whose subnet reaches via
              for (const auto& c : l.addresses)
                if (!r.dev && r.via && c.contains(*r.via)) r.dev = l.name;
            if (!r.dev) return fail("Network is unreachable");
            n->routes.push_back(r);
            return {};
          },
          [&](const DelRoute& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            // Like RTM_DELROUTE: unset attributes of the request match anything.
            auto match = [&](const ObservedRoute& r) {
              return r.to == x.route.to && r.metric == x.route.metric && (!x.route.via || r.via == x.route.via) &&
                     (!x.route.dev || r.dev == x.route.dev);
            };
            if (!std::erase_if(n->routes, match)) return fail("No such process");
            return {};
          },
          [&](const SetSysctl& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            bool per_link = x.key.starts_with("net.ipv6.conf.") &&
                            (x.key.ends_with(".disable_ipv6") || x.key.ends_with(".addr_gen_mode"));
            if (!known_sysctls.contains(x.key) && !per_link) return fail("sysctl " + x.key + ": No such file or directory");
            n->sysctls[x.key] = x.value;
            return {};
          },
          [&](const SetNat& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            if (x.restore) n->nat_table = x.old;
            else if (x.want.empty()) n->nat_table.reset();
            else n->nat_table = nat_canonical(x.table, x.want);
            return {};
          },
          [&](const SetLinkOptions& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.want.name);
            if (!l) return no_link(x.want.name);
            if (l->kind != x.want.kind) return fail("set options of " + x.want.name + ": Operation not supported");
            set_options(*l, x.want);
            return {};
          },
          [&](const SetBridgeVlans& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            if (!x.self && !l->master) return fail("vlans of " + x.link + ": Operation not supported");
            l->vlans = canonical_vlans(x.want);
            return {};
          },
          [&](const SetImpair& x) -> Expected<void> {
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            auto kinds = x.want ? qdiscs_for(*x.want) : std::vector<std::string>{};
            for (const auto& k : kinds)
              if (missing_qdiscs.contains(k)) return fail("Specified qdisc kind is unknown");
            l->qdisc = kinds.empty() ? "" : kinds.front();
            l->impair.reset();
            if (!kinds.empty()) l->impair = effective_impairment(*x.want);
            return {};
          },
          [&](const MoveLink& x) -> Expected<void> {
            ObservedNs* from = ns(x.ns);
            ObservedNs* to = ns(x.to);
            if (!from) return no_ns(x.ns);
            if (!to) return no_ns(x.to);
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            if (l->kind == LinkKind::bridge || l->kind == LinkKind::loopback) return fail("Invalid argument");
            if (to->find_link(x.link)) return fail("File exists");
            // Like the kernel: alias, MAC and peer stay; addresses, routes, master and IFF_UP do not.
            ObservedLink moved = *l;
            moved.addresses.clear();
            moved.master.reset();
            moved.up = false;
            drop_link(*from, x.link);
            to->links.push_back(std::move(moved));
            // Its IPv6 settings are made anew where it arrives; the move sets the mode again.
            addrgen_none.erase({x.ns.node, x.link});
            if (x.addrgen_none) addrgen_none.insert({x.to.node, x.link});
            return {};
          },
          [&](const RenameLink& x) -> Expected<void> {
            ObservedNs* n = ns(x.ns);
            if (!n) return no_ns(x.ns);
            ObservedLink* l = link(x.ns.node, x.link);
            if (!l) return no_link(x.link);
            if (l->up) return fail("Device or resource busy");
            if (n->find_link(x.name)) return fail("File exists");
            if (addrgen_none.erase({x.ns.node, x.link})) addrgen_none.insert({x.ns.node, x.name});
            l->name = x.name;
            return {};
          },
      },
      action);
}

} // namespace netlab::test
