#pragma once
// The plan's vocabulary: one struct per kernel change. Each carries what the
// executor needs to perform it and what inverse() needs to undo it.
#include <netlab/kernel/state.hpp>
#include <netlab/topology/model.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace netlab {

/// Create a named namespace (as `ip netns add`) and tag its `lo` with `owner`.
struct CreateNetns {
  NsRef ns;
  std::string owner;
  bool lo_up = false; ///< bring `lo` up in the tagging request (a SetUp marked in_create follows)
};
/// Delete a named namespace (as `ip netns del`); its links go with it.
struct DeleteNetns {
  NsRef ns;
  std::string owner;
};
/// Create a link, tagged with `owner`. mtu/mac of `iface` are set in the same
/// request when given. For a veth, `peer_ns`/`peer` describe the other end,
/// created in the same request. `master` and `up` are applied by the create
/// request itself, to `iface` or, with `peer_first`, to the peer (the kernel
/// takes them only for the end a request names); `other_master`/`other_up` by
/// the request that tags the other end of a veth. The SetMaster/SetUp actions
/// they stand for stay in the plan, marked in_create. Without them: down, no master.
/// `addrgen_none` (`peer_addrgen_none` for the peer) puts IPv6 address generation
/// mode "none" in the tagging request, before the link has carrier: an end in an
/// IPv4-only node (Node::ipv6) never gets a link-local address. `no_ipv6`
/// (`peer_no_ipv6`): a veth end in the host (or an external namespace) that is a
/// bridge port, whose peer is in an IPv4-only node, and which has no IPv6 address
/// itself, gets IPv6 turned off (`disable_ipv6`) before it has carrier: its own IP
/// stack never sees a bridged frame, nothing on the link speaks IPv6,
/// and every link with IPv6 in one namespace makes the kernel walk all of that
/// namespace's IPv6 routes whenever any of its links changes state (a thousand
/// bridge ports in the host made `up` quadratic: 26 s instead of 6.5 s at 4,000).
struct CreateLink {
  NsRef ns;
  Interface iface;
  std::string owner;
  std::optional<NsRef> peer_ns{};
  std::optional<Interface> peer{};
  std::optional<std::string> master{};
  bool up = false;
  bool peer_first = false;
  std::optional<std::string> other_master{};
  bool other_up = false;
  bool addrgen_none = false;
  bool peer_addrgen_none = false;
  bool no_ipv6 = false;
  bool peer_no_ipv6 = false;
};
/// Delete a link (a veth takes its peer with it). `was` allows recreation on undo.
struct DeleteLink {
  NsRef ns;
  ObservedLink was;
  std::optional<NsRef> peer_ns;        ///< veth: where the peer end lives, if known
  std::optional<ObservedLink> peer_was;
  std::string reason = {};             ///< why, when it is re-created ("id 43, was 42"); "" otherwise
  bool addrgen_none = false;           ///< made without IPv6 link-local (CreateLink), so re-made so on undo
  bool peer_addrgen_none = false;
};
/// Moves a link into another namespace (`ip link set LINK netns NS`): a veth end
/// the file has created elsewhere (`created_in`). The kernel keeps its alias, MAC
/// and peer, and brings it down; its IPv6 state is made anew there, so
/// `addrgen_none` goes in the same request (the link has no carrier while down).
struct MoveLink {
  NsRef ns; ///< where it is
  std::string link;
  NsRef to;
  bool addrgen_none = false;
};
/// Renames a link that is down (`ip link set LINK name NAME`): a veth end created
/// under a temporary name (`rename_from`), as Docker's vethXXXX becomes eth0.
struct RenameLink {
  NsRef ns;
  std::string link; ///< its name now
  std::string name; ///< its name after
};
/// Set a link's alias: the lab adopts a link (or, on `lo`, a namespace) that an
/// interrupted run made but did not live to tag. `old` is the alias before ("" none).
struct TagLink {
  NsRef ns;
  std::string link;
  std::string owner, old;
  bool adopt = false; ///< taken over on request (up --adopt), not left untagged by an interrupted run
};
/// Enslave to a bridge (master set) or release (master empty).
struct SetMaster {
  NsRef ns;
  std::string link;
  std::optional<std::string> master, old;
  bool in_create = false; ///< already done by the CreateLink before it: no request of its own
};
struct SetMtu {
  NsRef ns;
  std::string link;
  uint32_t mtu = 0, old = 0;
};
struct SetMac {
  NsRef ns;
  std::string link;
  std::string mac, old;
};
/// Administrative state of a link, including `lo`.
struct SetUp {
  NsRef ns;
  std::string link;
  bool up = true, old = false;
  bool in_create = false; ///< already done by the CreateLink/CreateNetns before it
};
struct AddAddress {
  NsRef ns;
  std::string link;
  Cidr cidr;
};
struct DelAddress {
  NsRef ns;
  std::string link;
  Cidr cidr;
};
/// Add a route with protocol k_route_protocol.
struct AddRoute {
  NsRef ns;
  ObservedRoute route;
};
struct DelRoute {
  NsRef ns;
  ObservedRoute route;
};
/// Write a sysctl under /proc/sys from inside the namespace. `old` restores it.
struct SetSysctl {
  NsRef ns;
  std::string key; ///< dotted: net.ipv4.ip_forward
  std::string value, old;
};
/// Replace the lab's nftables table in one transaction; `want` empty deletes it.
struct SetNat {
  NsRef ns;
  std::string table;                 ///< netlab-<lab>
  std::vector<NatRule> want;         ///< empty: delete the table
  std::optional<std::string> old;    ///< previous table (canonical form), for undo
  bool restore = false;              ///< undo: put `old` back (nft_restore_table) instead of `want`
};

/// Changes kind-specific settings of a link in place, as `ip link set L type K ...`:
/// macvlan mode, vxlan remote/local, tun/tap user/group, bridge vlan_filtering.
/// Only `want`'s own kind's options are applied; `old` holds what they were.
struct SetLinkOptions {
  NsRef ns;
  Interface want; ///< name, kind and that kind's options
  Interface old;
};
/// Makes the VLAN list of a bridge port `want` (as `bridge vlan del/add`); with
/// `self`, the list of the bridge device itself. `old` is the list it replaces.
struct SetBridgeVlans {
  NsRef ns;
  std::string link;
  bool self = false;
  std::vector<BridgeVlan> want, old;
};

/// Replace a link's root qdisc in place with netlab's shaping (tbf for `rate`
/// alone, netem otherwise, with a tbf child for `rate`); `want` empty deletes
/// it. `old` is what was observed, for undo. See plan/impair.hpp.
struct SetImpair {
  NsRef ns;
  std::string link;
  std::optional<Impairment> want, old;
  uint32_t mtu = 1500; ///< the link's MTU: tbf's burst must hold two full frames
};

using Action = std::variant<CreateNetns, DeleteNetns, CreateLink, DeleteLink, TagLink, SetMaster, SetMtu, SetMac, SetUp,
                            AddAddress, DelAddress, AddRoute, DelRoute, SetSysctl, SetNat, SetLinkOptions,
                            SetBridgeVlans, SetImpair, MoveLink, RenameLink>;

} // namespace netlab
