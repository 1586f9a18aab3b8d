#include <netlab/kernel/netlink_kinds.hpp>

#include <netlab/kernel/netlink_write.hpp>
#include <netlab/kernel/netns_tun.hpp>

#include <netlink/attr.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/link/vxlan.h>

#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <array>
#include <map>

namespace netlab {

namespace {

using AttrTable = std::vector<nlattr*>;

template <class Fn> void for_each_link(nl_cache* cache, Fn&& fn) {
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
    fn(reinterpret_cast<rtnl_link*>(o));
}

std::string name_of(const std::map<int, std::string>& names, int ifindex) {
  auto it = names.find(ifindex);
  return it == names.end() ? std::string() : it->second;
}

std::optional<IpAddr> address_of(nl_addr* a) {
  NlAddrPtr owned(a); // the vxlan getters hand out a new reference
  auto ip = from_nl_addr(a);
  // An unset group reads back as the all-zero address.
  if (ip && ip->bytes == std::array<uint8_t, 16>{}) return std::nullopt;
  return ip;
}

void read_vxlan(rtnl_link* l, const std::map<int, std::string>& names, bool socket_here, ObservedLink& out) {
  VxlanOptions v;
  uint32_t u = 0;
  if (rtnl_link_vxlan_get_id(l, &u) == 0) v.id = u;
  if (rtnl_link_vxlan_get_port(l, &u) == 0) v.dstport = static_cast<uint16_t>(u);
  nl_addr* a = nullptr;
  if (rtnl_link_vxlan_get_group(l, &a) == 0) v.remote = address_of(a);
  a = nullptr;
  if (rtnl_link_vxlan_get_local(l, &a) == 0) v.local = address_of(a);
  // IFLA_LINK_NETNSID on a vxlan names the namespace its socket (and `dev`) is
  // in: the one it was created from, when that is not where it lives now.
  v.underlay_host = !socket_here;
  if (socket_here && rtnl_link_vxlan_get_link(l, &u) == 0 && u != 0) v.dev = name_of(names, static_cast<int>(u));
  out.vxlan = v;
}

/// The nested attributes of `nest` indexed by type (types above `max` are ignored).
AttrTable parse_nested(nlattr* nest, int max) {
  AttrTable tb(static_cast<size_t>(max) + 1, nullptr);
  if (nest && nla_parse_nested(tb.data(), max, nest, nullptr) < 0) std::ranges::fill(tb, nullptr);
  return tb;
}

/// IFLA_INFO_DATA of one RTM_NEWLINK reply, parsed up to `max`.
AttrTable info_data(nlmsghdr* h, int max) {
  AttrTable tb(IFLA_MAX + 1, nullptr);
  if (nlmsg_parse(h, sizeof(ifinfomsg), tb.data(), IFLA_MAX, nullptr) < 0)
    return AttrTable(static_cast<size_t>(max) + 1);
  AttrTable info = parse_nested(tb[IFLA_LINKINFO], IFLA_INFO_MAX);
  return parse_nested(info[IFLA_INFO_DATA], max);
}

void parse_tun(const AttrTable& d, ObservedLink& out) {
  ObservedTun t;
  if (d[IFLA_TUN_OWNER]) {
    t.uid = nla_get_u32(d[IFLA_TUN_OWNER]);
    t.user = user_name(*t.uid);
  }
  if (d[IFLA_TUN_GROUP]) {
    t.gid = nla_get_u32(d[IFLA_TUN_GROUP]);
    t.group = group_name(*t.gid);
  }
  if (d[IFLA_TUN_MULTI_QUEUE]) t.multi_queue = nla_get_u8(d[IFLA_TUN_MULTI_QUEUE]) != 0;
  out.tun = t;
}

void parse_bridge(const AttrTable& d, ObservedLink& out) {
  BridgeOptions b;
  if (d[IFLA_BR_VLAN_FILTERING]) b.vlan_filtering = nla_get_u8(d[IFLA_BR_VLAN_FILTERING]) != 0;
  out.bridge = b;
}

/// One RTM_GETLINK for a link whose IFLA_INFO_DATA libnl does not keep.
NlExpected<void> read_info_data(NlSocket& sock, ObservedLink& link) {
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETLINK, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = link.ifindex;
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) return std::unexpected(local_error(ENOMEM));
  return sock.request(msg.get(), [&](nl_msg* reply) {
    nlmsghdr* h = nlmsg_hdr(reply);
    if (h->nlmsg_type != RTM_NEWLINK) return;
    if (link.kind == LinkKind::bridge)
      parse_bridge(info_data(h, IFLA_BR_MAX), link);
    else
      parse_tun(info_data(h, IFLA_TUN_MAX), link);
  });
}

struct VlanDump {
  std::map<int, std::vector<BridgeVlan>> by_index;
};

int on_vlan_reply(nl_msg* msg, void* arg) {
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_type != RTM_NEWLINK) return NL_OK;
  AttrTable tb(IFLA_MAX + 1, nullptr);
  if (nlmsg_parse(h, sizeof(ifinfomsg), tb.data(), IFLA_MAX, nullptr) < 0) return NL_OK;
  auto* ifi = static_cast<ifinfomsg*>(nlmsg_data(h));
  auto& vlans = static_cast<VlanDump*>(arg)->by_index[ifi->ifi_index];
  for (const auto& v : parse_bridge_vlans(tb[IFLA_AF_SPEC]))
    vlans.push_back(v);
  return NL_OK;
}

/// One AF_BRIDGE link dump with RTEXT_FILTER_BRVLAN_COMPRESSED: what `bridge vlan show` reads.
Expected<void> read_bridge_vlans(NlSocket& sock, ObservedNs& out) {
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE;
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_u32(msg.get(), IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN_COMPRESSED) < 0)
    return fail("dump bridge vlans: out of memory");
  NlCbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) return fail("dump bridge vlans: out of memory");
  VlanDump dump;
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_vlan_reply, &dump);
  if (int rc = nl_send_auto(sock.get(), msg.get()); rc < 0) return fail("dump bridge vlans: " + nl_error_text(rc));
  // The dump ends with NLMSG_DONE, whose default handler stops nl_recvmsgs.
  if (int rc = nl_recvmsgs(sock.get(), cb.get()); rc < 0) return fail("dump bridge vlans: " + nl_error_text(rc));
  for (auto& link : out.links) {
    bool is_bridge_member = link.kind == LinkKind::bridge || link.master;
    if (!is_bridge_member) continue;
    auto it = dump.by_index.find(link.ifindex);
    link.vlans = it == dump.by_index.end() ? std::vector<BridgeVlan>{} : it->second;
  }
  return {};
}

/// RTM_NEWLINK for an existing link: IFLA_LINKINFO{kind, IFLA_INFO_DATA{...}} filled by `put`.
template <class Put>
NlExpected<void> change_info_data(NlSocket& sock, const std::string& name, const char* kind, Put&& put) {
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_NEWLINK, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
      nla_put_string(msg.get(), IFLA_IFNAME, name.c_str()) < 0)
    return std::unexpected(local_error(ENOMEM));
  nlattr* info = nla_nest_start(msg.get(), IFLA_LINKINFO);
  if (!info || nla_put_string(msg.get(), IFLA_INFO_KIND, kind) < 0) return std::unexpected(local_error(ENOMEM));
  nlattr* data = nla_nest_start(msg.get(), IFLA_INFO_DATA);
  if (!data || put(msg.get()) < 0) return std::unexpected(local_error(ENOMEM));
  nla_nest_end(msg.get(), data);
  nla_nest_end(msg.get(), info);
  return sock.request(msg.get());
}

int put_address(nl_msg* msg, int v4_type, int v6_type, const IpAddr& a) {
  return nla_put(msg, a.family == Family::v4 ? v4_type : v6_type, a.byte_len(), a.bytes.data());
}

NlExpected<void> put_vlans(nl_msg* msg, bool self, const std::vector<BridgeVlan>& vlans) {
  nlattr* spec = nla_nest_start(msg, IFLA_AF_SPEC);
  if (!spec) return std::unexpected(local_error(ENOMEM));
  if (self && nla_put_u16(msg, IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF) < 0) return std::unexpected(local_error(ENOMEM));
  for (const auto& v : vlans) {
    auto flags =
        static_cast<uint16_t>((v.pvid ? BRIDGE_VLAN_INFO_PVID : 0) | (v.untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0));
    bridge_vlan_info first{static_cast<uint16_t>(flags | (v.last != v.id ? BRIDGE_VLAN_INFO_RANGE_BEGIN : 0)), v.id};
    if (nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof first, &first) < 0) return std::unexpected(local_error(ENOMEM));
    if (v.last == v.id) continue;
    bridge_vlan_info end{static_cast<uint16_t>(flags | BRIDGE_VLAN_INFO_RANGE_END), v.last};
    if (nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof end, &end) < 0) return std::unexpected(local_error(ENOMEM));
  }
  nla_nest_end(msg, spec);
  return {};
}

NlExpected<void> send_vlans(NlSocket& sock, int ifindex, bool self, const std::vector<BridgeVlan>& vlans, bool add) {
  NlMsgPtr msg(nlmsg_alloc_simple(add ? RTM_SETLINK : RTM_DELLINK, 0));
  ifinfomsg ifi{};
  ifi.ifi_family = AF_BRIDGE; // the bridge's own handler, as `bridge vlan`
  ifi.ifi_index = ifindex;
  if (!msg || nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0) return std::unexpected(local_error(ENOMEM));
  if (auto put = put_vlans(msg.get(), self, vlans); !put) return put;
  return sock.request(msg.get());
}

} // namespace

void read_kind_options(nl_cache* links, ObservedNs& out) {
  std::map<int, std::string> names;
  std::map<int, ObservedLink*> by_index;
  for (auto& link : out.links) {
    names[link.ifindex] = link.name;
    by_index[link.ifindex] = &link;
  }
  for_each_link(links, [&](rtnl_link* l) {
    auto it = by_index.find(rtnl_link_get_ifindex(l));
    if (it == by_index.end()) return;
    ObservedLink& link = *it->second;
    // A parent in another namespace (IFLA_LINK_NETNSID) has no name here.
    int32_t netnsid = 0;
    bool parent_here = rtnl_link_get_link_netnsid(l, &netnsid) != 0;
    std::string parent = parent_here ? name_of(names, rtnl_link_get_link(l)) : std::string();
    char mode[32];
    switch (link.kind) {
    case LinkKind::macvlan:
      link.macvlan = MacvlanOptions{
          parent, rtnl_link_macvlan_mode2str(static_cast<int>(rtnl_link_macvlan_get_mode(l)), mode, sizeof mode)};
      break;
    case LinkKind::vlan: link.vlan = VlanOptions{parent, static_cast<uint16_t>(rtnl_link_vlan_get_id(l))}; break;
    case LinkKind::vxlan: read_vxlan(l, names, parent_here, link); break;
    default: break;
    }
  });
}

Expected<void> read_link_details(NlSocket& sock, ObservedNs& out, bool bridge_vlans, const std::set<int>* only) {
  for (auto& link : out.links) {
    if (only && !only->contains(link.ifindex)) continue;
    if (link.kind != LinkKind::tun && link.kind != LinkKind::tap && link.kind != LinkKind::bridge) continue;
    auto read = read_info_data(sock, link);
    // A link deleted since the dump is simply not detailed.
    if (!read && read.error().code != ENODEV) return fail("read " + link.name + ": " + read.error().text);
  }
  if (bridge_vlans) return read_bridge_vlans(sock, out);
  return {};
}

NlExpected<void> change_link_options(NlSocket& sock, const Interface& want) {
  switch (want.kind) {
  case LinkKind::macvlan: {
    int mode = rtnl_link_macvlan_str2mode(want.macvlan ? want.macvlan->mode.c_str() : "bridge");
    if (mode < 0) return std::unexpected(local_error(EINVAL, "macvlan mode"));
    return change_info_data(sock, want.name, "macvlan",
                            [&](nl_msg* m) { return nla_put_u32(m, IFLA_MACVLAN_MODE, static_cast<uint32_t>(mode)); });
  }
  case LinkKind::vxlan: {
    VxlanOptions v = want.vxlan.value_or(VxlanOptions{});
    return change_info_data(sock, want.name, "vxlan", [&](nl_msg* m) {
      int rc = 0;
      if (v.remote) rc = put_address(m, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, *v.remote);
      if (rc >= 0 && v.local) rc = put_address(m, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, *v.local);
      return rc;
    });
  }
  case LinkKind::bridge: {
    bool on = want.bridge && want.bridge->vlan_filtering;
    return change_info_data(sock, want.name, "bridge",
                            [&](nl_msg* m) { return nla_put_u8(m, IFLA_BR_VLAN_FILTERING, on ? 1 : 0); });
  }
  default:
    return std::unexpected(
        local_error(EOPNOTSUPP, std::string(to_string(want.kind)) + " settings are not changed over netlink"));
  }
}

NlExpected<void> change_bridge_vlans(NlSocket& sock, const std::string& link, bool self,
                                     const std::vector<BridgeVlan>& vlans, bool add) {
  if (vlans.empty()) return {};
  auto index = sock.ifindex(link);
  if (!index) return std::unexpected(index.error());
  auto sent = send_vlans(sock, *index, self, vlans, add);
  if (sent || add || sent.error().code != ENOENT) return sent;
  // The kernel stops at the first VLAN that is not there: delete the rest one by one.
  for (const auto& v : vlans)
    for (uint32_t id = v.id; id <= v.last; ++id) {
      auto one =
          send_vlans(sock, *index, self, {BridgeVlan{static_cast<uint16_t>(id), static_cast<uint16_t>(id)}}, false);
      if (!one && one.error().code != ENOENT) return one;
    }
  return {};
}

bool bridge_vlan_filtering_available(NlSocket& sock) {
  Interface probe;
  probe.name = "probevlanbr";
  probe.kind = LinkKind::bridge;
  if (!create_link(sock, probe)) return true; // cannot tell: let the real request speak
  probe.bridge = BridgeOptions{true};
  auto on = change_link_options(sock, probe);
  (void)delete_link(sock, probe.name);
  return on || on.error().code != EOPNOTSUPP;
}

std::vector<BridgeVlan> parse_bridge_vlans(nlattr* spec) {
  std::vector<BridgeVlan> out;
  if (!spec) return out;
  // A compressed range is two entries, RANGE_BEGIN then RANGE_END; any other entry is one VLAN.
  // 0 means "no range open": VLAN ids are 1..4094. (A std::optional here drew a false
  // -Wmaybe-uninitialized from GCC 12 at -O2; the plain id says the same.)
  uint16_t range_begin = 0;
  nlattr* a = nullptr;
  int rem = 0;
  nla_for_each_nested(a, spec, rem) {
    if (nla_type(a) != IFLA_BRIDGE_VLAN_INFO || nla_len(a) < static_cast<int>(sizeof(bridge_vlan_info))) continue;
    const auto* info = static_cast<const bridge_vlan_info*>(nla_data(a));
    if (info->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
      range_begin = info->vid;
      continue;
    }
    out.push_back(BridgeVlan{range_begin != 0 ? range_begin : info->vid, info->vid,
                             (info->flags & BRIDGE_VLAN_INFO_PVID) != 0,
                             (info->flags & BRIDGE_VLAN_INFO_UNTAGGED) != 0});
    range_begin = 0;
  }
  return out;
}

} // namespace netlab
