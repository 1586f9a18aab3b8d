#pragma once
// One netlink request per kernel change, sent on the socket of the namespace it
// belongs to. Failures carry the kernel's errno; callers add the context.
#include <netlab/kernel/netlink_socket.hpp>
#include <netlab/kernel/state.hpp>

#include <optional>
#include <string>

namespace netlab {

/// Attributes an RTM_SETLINK may change; unset fields are left alone.
struct LinkChange {
  std::optional<bool> up{};
  std::optional<uint32_t> mtu{};
  std::optional<std::string> mac{};    ///< "aa:bb:cc:dd:ee:ff"
  std::optional<std::string> master{}; ///< "" releases the link from its master
  std::optional<std::string> alias{};
  /// IPv6 address generation mode "none": no link-local address when the link
  /// gets carrier. The kernel applies it after IFF_UP in the same request, and
  /// refuses it in RTM_NEWLINK. Ignored on a kernel without IPv6.
  bool addrgen_none = false;
};

/// One end of a veth pair: its name, settings and target namespace.
struct VethEnd {
  const Interface* iface = nullptr;
  int netns_fd = -1;
};

/// What a create request applies to the link it names (for a veth: the first
/// end; the kernel refuses IFF_UP for a peer before the pair exists).
struct CreateExtras {
  int master_index = 0; ///< IFLA_MASTER, resolved in the link's own namespace; 0: none
  bool up = false;      ///< IFF_UP in the request's ifinfomsg
};

/// Changes link `name` (addressed by name, so no stale index can hit another link).
NlExpected<void> set_link(NlSocket& sock, const std::string& name, const LinkChange& change);
/// Deletes link `name` (a veth takes its peer with it).
NlExpected<void> delete_link(NlSocket& sock, const std::string& name);
/// Creates both ends of a veth in one RTM_NEWLINK, each straight in its namespace;
/// `b` starts down, `a` as `extras` say.
NlExpected<void> create_veth(NlSocket& sock, const VethEnd& a, const VethEnd& b, const CreateExtras& extras = {});
/// Creates a bridge, dummy, macvlan, vlan or vxlan link in the socket's namespace.
NlExpected<void> create_link(NlSocket& sock, const Interface& iface, const CreateExtras& extras = {},
                             int netns_fd = -1);
/// Adds / deletes an address on link `name` (IPv6 with IFA_F_NODAD: usable at once).
NlExpected<void> change_address(NlSocket& sock, const std::string& name, const Cidr& cidr, bool add);
/// Adds / deletes a main-table route with netlab's protocol.
NlExpected<void> change_route(NlSocket& sock, const ObservedRoute& route, bool add);

} // namespace netlab
