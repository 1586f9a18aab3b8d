#include <netlab/kernel/netlink_write.hpp>

#include <netlink/attr.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/nexthop.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include <unistd.h>

namespace netlab {

namespace {

/// Sends a request built by libnl (`rc` is the builder's return code).
NlExpected<void> send_built(NlSocket& sock, int rc, nl_msg* raw) {
  NlMsgPtr msg(raw);
  if (rc < 0 || !msg) return std::unexpected(NlError{0, nl_error_text(rc < 0 ? rc : -NLE_NOMEM)});
  return sock.request(msg.get());
}

/// Name, mtu, mac and target namespace shared by every kind at creation.
NlExpected<void> set_common(rtnl_link* link, const Interface& iface, int netns_fd) {
  rtnl_link_set_name(link, iface.name.c_str());
  if (iface.mtu) rtnl_link_set_mtu(link, *iface.mtu);
  if (iface.mac) {
    NlAddrPtr mac = mac_to_nl_addr(*iface.mac);
    if (!mac) return std::unexpected(local_error(EINVAL, "malformed MAC '" + *iface.mac + "'"));
    rtnl_link_set_addr(link, mac.get());
  }
  if (netns_fd >= 0) rtnl_link_set_ns_fd(link, netns_fd);
  return {};
}

/// The parent link's index for macvlan / vlan / vxlan.
NlExpected<int> parent_index(NlSocket& sock, const std::string& parent) {
  auto index = sock.ifindex(parent);
  if (!index) return std::unexpected(NlError{index.error().code, index.error().text + " (parent " + parent + ")"});
  return index;
}

NlExpected<RtnlLinkPtr> alloc_macvlan(NlSocket& sock, const MacvlanOptions& o) {
  RtnlLinkPtr link(rtnl_link_macvlan_alloc());
  int mode = rtnl_link_macvlan_str2mode(o.mode.c_str());
  if (mode < 0) return std::unexpected(local_error(EINVAL, "macvlan mode '" + o.mode + "'"));
  auto parent = parent_index(sock, o.parent);
  if (!parent) return std::unexpected(parent.error());
  rtnl_link_macvlan_set_mode(link.get(), static_cast<uint32_t>(mode));
  rtnl_link_set_link(link.get(), *parent);
  return link;
}

NlExpected<RtnlLinkPtr> alloc_vlan(NlSocket& sock, const VlanOptions& o) {
  RtnlLinkPtr link(rtnl_link_vlan_alloc());
  auto parent = parent_index(sock, o.parent);
  if (!parent) return std::unexpected(parent.error());
  rtnl_link_vlan_set_id(link.get(), o.id);
  rtnl_link_set_link(link.get(), *parent);
  return link;
}

NlExpected<RtnlLinkPtr> alloc_vxlan(NlSocket& sock, const VxlanOptions& o) {
  RtnlLinkPtr link(rtnl_link_vxlan_alloc());
  rtnl_link_vxlan_set_id(link.get(), o.id);
  rtnl_link_vxlan_set_port(link.get(), o.dstport);
  if (o.remote) rtnl_link_vxlan_set_group(link.get(), to_nl_addr(*o.remote, o.remote->bits()).get());
  if (o.local) rtnl_link_vxlan_set_local(link.get(), to_nl_addr(*o.local, o.local->bits()).get());
  if (o.dev) {
    auto dev = parent_index(sock, *o.dev);
    if (!dev) return std::unexpected(dev.error());
    rtnl_link_vxlan_set_link(link.get(), static_cast<uint32_t>(*dev));
  }
  return link;
}

void set_extras(rtnl_link* link, const CreateExtras& extras) {
  if (extras.master_index > 0) rtnl_link_set_master(link, extras.master_index);
  if (extras.up) rtnl_link_set_flags(link, IFF_UP);
}

NlExpected<RtnlLinkPtr> alloc_typed(const char* type) {
  RtnlLinkPtr link(rtnl_link_alloc());
  if (!link || rtnl_link_set_type(link.get(), type) < 0) return std::unexpected(local_error(ENOMEM));
  return link;
}

NlExpected<RtnlLinkPtr> alloc_link(NlSocket& sock, const Interface& iface) {
  switch (iface.kind) {
  case LinkKind::bridge: return alloc_typed("bridge");
  case LinkKind::dummy: return alloc_typed("dummy");
  case LinkKind::macvlan: return alloc_macvlan(sock, iface.macvlan.value_or(MacvlanOptions{}));
  case LinkKind::vlan: return alloc_vlan(sock, iface.vlan.value_or(VlanOptions{}));
  case LinkKind::vxlan: return alloc_vxlan(sock, iface.vxlan.value_or(VxlanOptions{}));
  default:
    return std::unexpected(local_error(EOPNOTSUPP, std::string(to_string(iface.kind)) + " is not created by netlink"));
  }
}

/// Whether the kernel has IPv6 (it may be built without it, or booted with
/// ipv6.disable=1). Asked once, in netlab's own namespace: every namespace has
/// the same answer, and a lookup under /proc/sys in a new namespace is slow.
bool kernel_has_ipv6() {
  static const bool has = access("/proc/sys/net/ipv6", F_OK) == 0;
  return has;
}

} // namespace

NlExpected<void> set_link(NlSocket& sock, const std::string& name, const LinkChange& change) {
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_SETLINK, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (change.up) {
    ifi.ifi_change = IFF_UP;
    ifi.ifi_flags = *change.up ? IFF_UP : 0;
  }
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_string(msg.get(), IFLA_IFNAME, name.c_str()) < 0)
    return std::unexpected(local_error(ENOMEM));
  if (change.mtu) nla_put_u32(msg.get(), IFLA_MTU, *change.mtu);
  if (change.mac) {
    NlAddrPtr mac = mac_to_nl_addr(*change.mac);
    if (!mac) return std::unexpected(local_error(EINVAL, "malformed MAC '" + *change.mac + "'"));
    nla_put_addr(msg.get(), IFLA_ADDRESS, mac.get());
  }
  if (change.master) {
    int index = 0;
    if (!change.master->empty()) {
      auto found = sock.ifindex(*change.master);
      if (!found) return std::unexpected(found.error());
      index = *found;
    }
    nla_put_u32(msg.get(), IFLA_MASTER, static_cast<uint32_t>(index));
  }
  if (change.alias) nla_put_string(msg.get(), IFLA_IFALIAS, change.alias->c_str());
  if (change.addrgen_none && kernel_has_ipv6()) {
    nlattr* spec = nla_nest_start(msg.get(), IFLA_AF_SPEC);
    nlattr* inet6 = nla_nest_start(msg.get(), AF_INET6);
    if (!spec || !inet6 || nla_put_u8(msg.get(), IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0)
      return std::unexpected(local_error(ENOMEM));
    nla_nest_end(msg.get(), inet6);
    nla_nest_end(msg.get(), spec);
  }
  return sock.request(msg.get());
}

NlExpected<void> delete_link(NlSocket& sock, const std::string& name) {
  sock.forget_ifindex(name);
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_DELLINK, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_string(msg.get(), IFLA_IFNAME, name.c_str()) < 0)
    return std::unexpected(local_error(ENOMEM));
  return sock.request(msg.get());
}

NlExpected<void> create_veth(NlSocket& sock, const VethEnd& a, const VethEnd& b, const CreateExtras& extras) {
  RtnlLinkPtr link(rtnl_link_veth_alloc());
  if (!link) return std::unexpected(local_error(ENOMEM));
  RtnlLinkPtr peer(rtnl_link_veth_get_peer(link.get())); // an extra reference, released first
  if (auto ok = set_common(link.get(), *a.iface, a.netns_fd); !ok) return ok;
  if (auto ok = set_common(peer.get(), *b.iface, b.netns_fd); !ok) return ok;
  // One queue each, as the kernel would reduce it to anyway: a veth is born with
  // a queue per possible CPU, and cutting them back costs an expedited RCU grace
  // period per end, under RTNL (synchronize_net in netif_set_real_num_tx_queues).
  for (rtnl_link* end : {link.get(), peer.get()}) {
    rtnl_link_set_num_tx_queues(end, 1);
    rtnl_link_set_num_rx_queues(end, 1);
  }
  set_extras(link.get(), extras);
  nl_msg* raw = nullptr;
  int rc = rtnl_link_build_add_request(link.get(), NLM_F_CREATE | NLM_F_EXCL, &raw);
  return send_built(sock, rc, raw);
}

NlExpected<void> create_link(NlSocket& sock, const Interface& iface, const CreateExtras& extras, int netns_fd) {
  auto link = alloc_link(sock, iface);
  if (!link) return std::unexpected(link.error());
  if (auto ok = set_common(link->get(), iface, netns_fd); !ok) return ok;
  set_extras(link->get(), extras);
  nl_msg* raw = nullptr;
  int rc = rtnl_link_build_add_request(link->get(), NLM_F_CREATE | NLM_F_EXCL, &raw);
  return send_built(sock, rc, raw);
}

NlExpected<void> change_address(NlSocket& sock, const std::string& name, const Cidr& cidr, bool add) {
  auto index = sock.ifindex(name);
  if (!index) return std::unexpected(index.error());
  RtnlAddrPtr addr(rtnl_addr_alloc());
  NlAddrPtr local = to_nl_addr(cidr.addr, cidr.prefix);
  if (!addr || !local) return std::unexpected(local_error(ENOMEM));
  rtnl_addr_set_ifindex(addr.get(), *index);
  rtnl_addr_set_family(addr.get(), cidr.addr.family == Family::v4 ? AF_INET : AF_INET6);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), cidr.prefix);
  // Without NODAD a v6 address stays "tentative" (unusable) for about a second.
  if (cidr.addr.family == Family::v6) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  nl_msg* raw = nullptr;
  int rc = add ? rtnl_addr_build_add_request(addr.get(), NLM_F_CREATE | NLM_F_EXCL, &raw)
               : rtnl_addr_build_delete_request(addr.get(), 0, &raw);
  return send_built(sock, rc, raw);
}

NlExpected<void> change_route(NlSocket& sock, const ObservedRoute& route, bool add) {
  int index = 0;
  if (route.dev) {
    auto found = sock.ifindex(*route.dev);
    if (!found) return std::unexpected(found.error());
    index = *found;
  }
  RtnlRoutePtr r(rtnl_route_alloc());
  Cidr to = route.to.network();
  NlAddrPtr dst = to_nl_addr(to.addr, to.prefix);
  if (!r || !dst) return std::unexpected(local_error(ENOMEM));
  rtnl_route_set_family(r.get(), to.addr.family == Family::v4 ? AF_INET : AF_INET6);
  rtnl_route_set_dst(r.get(), dst.get());
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  // netlab's own protocol, unless the route names another: a hand-made route
  // that `up --adopt` replaces is deleted (and on undo added back) as it was.
  rtnl_route_set_protocol(r.get(), route.protocol ? route.protocol : k_route_protocol);
  if (route.metric) rtnl_route_set_priority(r.get(), route.metric);
  if (route.via || index) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc(); // owned by the route once added
    if (!nh) return std::unexpected(local_error(ENOMEM));
    if (route.via) rtnl_route_nh_set_gateway(nh, to_nl_addr(*route.via, route.via->bits()).get());
    if (index) rtnl_route_nh_set_ifindex(nh, index);
    rtnl_route_add_nexthop(r.get(), nh);
  }
  nl_msg* raw = nullptr;
  int rc = add ? rtnl_route_build_add_request(r.get(), NLM_F_CREATE | NLM_F_EXCL, &raw)
               : rtnl_route_build_del_request(r.get(), 0, &raw);
  return send_built(sock, rc, raw);
}

} // namespace netlab
