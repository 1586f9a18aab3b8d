#include <netlab/kernel/netlink_read.hpp>

#include <netlab/kernel/netlink_kinds.hpp>

#include <netlink/route/nexthop.h>

#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>

#include <map>
#include <set>
#include <string_view>

namespace netlab {

namespace {

template <class Fn> void for_each_object(nl_cache* cache, Fn&& fn) {
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
    fn(o);
}

ObservedLink to_observed_link(rtnl_link* l) {
  ObservedLink out;
  out.name = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
  out.ifindex = rtnl_link_get_ifindex(l);
  out.kind = link_kind_of(l);
  out.alias = rtnl_link_get_ifalias(l) ? rtnl_link_get_ifalias(l) : "";
  out.mtu = rtnl_link_get_mtu(l);
  out.mac = mac_string(rtnl_link_get_addr(l));
  out.up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
  if (out.kind == LinkKind::veth) out.peer_ifindex = rtnl_link_get_link(l);
  out.counters = {rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS), rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS),
                  rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES), rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES)};
  return out;
}

void read_links(nl_cache* links, ObservedNs& out) {
  std::map<int, int> masters; // ifindex -> master ifindex
  for_each_object(links, [&](nl_object* o) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    out.links.push_back(to_observed_link(l));
    if (int m = rtnl_link_get_master(l); m > 0) masters[rtnl_link_get_ifindex(l)] = m;
  });
  std::map<int, std::string> names;
  for (const auto& link : out.links)
    names[link.ifindex] = link.name;
  for (auto& link : out.links) {
    auto m = masters.find(link.ifindex);
    if (m == masters.end()) continue;
    if (auto master = names.find(m->second); master != names.end()) link.master = master->second;
  }
  if (const ObservedLink* lo = out.find_link("lo")) {
    out.owner = lo->alias;
    out.lo_up = lo->up;
  }
}

void read_addrs(nl_cache* addrs, ObservedNs& out) {
  std::map<int, ObservedLink*> by_index;
  for (auto& link : out.links)
    by_index[link.ifindex] = &link;
  for_each_object(addrs, [&](nl_object* o) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    auto link = by_index.find(rtnl_addr_get_ifindex(a));
    auto ip = from_nl_addr(rtnl_addr_get_local(a));
    if (link == by_index.end() || !ip) return;
    // The kernel adds fe80::/10 to every link that comes up; it is not ours to compare.
    if (ip->family == Family::v6 && ip->is_link_local()) return;
    link->second->addresses.push_back(Cidr{*ip, static_cast<uint8_t>(rtnl_addr_get_prefixlen(a))});
  });
}

std::optional<ObservedRoute> to_observed_route(rtnl_route* r, const std::map<int, std::string>& names) {
  auto dst = from_nl_addr(rtnl_route_get_dst(r));
  if (!dst) return std::nullopt;
  ObservedRoute out;
  out.to = Cidr{*dst, static_cast<uint8_t>(nl_addr_get_prefixlen(rtnl_route_get_dst(r)))}.network();
  out.metric = rtnl_route_get_priority(r);
  out.protocol = rtnl_route_get_protocol(r);
  if (rtnl_nexthop* nh = rtnl_route_get_nnexthops(r) > 0 ? rtnl_route_nexthop_n(r, 0) : nullptr) {
    if (auto gw = from_nl_addr(rtnl_route_nh_get_gateway(nh))) out.via = *gw;
    if (auto dev = names.find(rtnl_route_nh_get_ifindex(nh)); dev != names.end()) out.dev = dev->second;
  }
  return out;
}

void read_routes(nl_cache* routes, ObservedNs& out, bool all, bool view) {
  std::map<int, std::string> names;
  for (const auto& link : out.links)
    names[link.ifindex] = link.name;
  for_each_object(routes, [&](nl_object* o) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) return;
    auto route = to_observed_route(r, names);
    if (!route) return;
    if (view) out.all_routes.push_back(*route);
    if (all || route->protocol == k_route_protocol) out.routes.push_back(std::move(*route));
  });
}

} // namespace

LinkKind link_kind_of(rtnl_link* link) {
  std::string_view type = rtnl_link_get_type(link) ? rtnl_link_get_type(link) : "";
  if (type == "veth") return LinkKind::veth;
  if (type == "bridge") return LinkKind::bridge;
  if (type == "dummy") return LinkKind::dummy;
  // tun and tap share the kind "tun"; a tap carries Ethernet frames.
  if (type == "tun") return rtnl_link_get_arptype(link) == ARPHRD_ETHER ? LinkKind::tap : LinkKind::tun;
  if (type == "macvlan") return LinkKind::macvlan;
  if (type == "vxlan") return LinkKind::vxlan;
  if (type == "vlan") return LinkKind::vlan;
  if (rtnl_link_get_flags(link) & IFF_LOOPBACK) return LinkKind::loopback;
  return LinkKind::other;
}

namespace {

Expected<void> read_links_dumped(NlSocket& sock, ObservedNs& out, NlSocket::LinkDump dump) {
  auto links = sock.dump_links(dump);
  if (!links) return std::unexpected(links.error());
  read_links(links->get(), out);
  read_kind_options(links->get(), out);
  return {};
}

} // namespace

Expected<void> read_netlink_state(NlSocket& sock, ObservedNs& out, bool all_routes, bool kernel_view) {
  // Links first: addresses and routes name them.
  if (auto links = read_links_dumped(sock, out, kernel_view ? NlSocket::LinkDump::with_stats : NlSocket::LinkDump::without_stats); !links)
    return links;
  auto addrs = sock.dump_addrs();
  if (!addrs) return std::unexpected(addrs.error());
  auto routes = sock.dump_routes(all_routes || kernel_view ? NlSocket::RouteDump::all_main : NlSocket::RouteDump::netlab_main);
  if (!routes) return std::unexpected(routes.error());
  read_addrs(addrs->get(), out);
  read_routes(routes->get(), out, all_routes, kernel_view);
  return {};
}

Expected<void> read_netlink_links(NlSocket& sock, ObservedNs& out) {
  return read_links_dumped(sock, out, NlSocket::LinkDump::without_stats);
}

Expected<bool> read_netlink_update(NlSocket& sock, const ObservedNs& base, const std::vector<int>& indexes,
                                   const std::vector<std::string>& names, std::set<int>& read, ObservedNs& out) {
  auto links = sock.get_links(indexes, names);
  if (!links) return std::unexpected(links.error());
  for (nl_object* o = nl_cache_get_first(links->get()); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    const ObservedLink* was = base.find_link(rtnl_link_get_ifindex(l));
    const char* name = rtnl_link_get_name(l);
    if (was && was->name != (name ? name : "")) return false; // renamed
    read.insert(rtnl_link_get_ifindex(l));
  }
  // Dropped from what is kept: every link asked for, whether or not it still exists.
  const std::set<int> again(indexes.begin(), indexes.end());
  const std::set<std::string_view> named(names.begin(), names.end());
  auto addrs = sock.dump_addrs();
  if (!addrs) return std::unexpected(addrs.error());
  auto routes = sock.dump_routes(NlSocket::RouteDump::netlab_main);
  if (!routes) return std::unexpected(routes.error());
  // Kept first, so that read_links finds the masters of the links read again among them.
  for (const auto& link : base.links) {
    if (again.contains(link.ifindex) || named.contains(link.name) || read.contains(link.ifindex)) continue;
    out.links.push_back(link);
    out.links.back().addresses.clear(); // dumped again below
  }
  read_links(links->get(), out);
  read_kind_options(links->get(), out);
  read_addrs(addrs->get(), out);
  read_routes(routes->get(), out, false, false);
  return true;
}

} // namespace netlab
