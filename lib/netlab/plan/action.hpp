#pragma once
// The plan's vocabulary: one struct per kernel change. Each carries what the
// executor needs to perform it and what inverse() needs to undo it.
#include <netlab/kernel/state.hpp>
#include <netlab/topology/model.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
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
/// it. `old` is what was observed, for undo. See plan/impair.hpp. Both boxed:
/// inline they made SetImpair the largest unboxed action, and so every Action 288 bytes.
struct SetImpair {
  NsRef ns;
  std::string link;
  BoxedOptional<Impairment> want, old;
  uint32_t mtu = 1500; ///< the link's MTU: tbf's burst must hold two full frames
};

/// A large action kept on the heap. An Action is a variant, as large as its
/// largest alternative: CreateLink (two Interfaces) made every action 1.8 KB, and
/// a 10,000-namespace `up` holds some 80,000 of them (plan, undo list) where most
/// are a route or an address. Boxed, the three large ones cost a pointer in the
/// variant. It converts to the action, so `std::visit` with a lambda taking
/// `const CreateLink&` works as before; action_if() and action_get() find it.
template <class T> class Boxed {
public:
  Boxed(T value) : m_value(std::make_unique<T>(std::move(value))) {} // NOLINT: implicit, as the variant builds it
  Boxed(const Boxed& other) : m_value(std::make_unique<T>(*other.m_value)) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) {
    m_value = std::make_unique<T>(*other.m_value);
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  ~Boxed() = default;
  operator const T&() const { return *m_value; } // NOLINT: implicit, for visitors taking the action
  operator T&() { return *m_value; }             // NOLINT
  const T& get() const { return *m_value; }
  T& get() { return *m_value; }

private:
  std::unique_ptr<T> m_value;
};

using Action = std::variant<CreateNetns, DeleteNetns, Boxed<CreateLink>, Boxed<DeleteLink>, TagLink, SetMaster, SetMtu,
                            SetMac, SetUp, AddAddress, DelAddress, AddRoute, DelRoute, SetSysctl, SetNat,
                            Boxed<SetLinkOptions>, SetBridgeVlans, SetImpair, MoveLink, RenameLink>;

/// An alternative of Action as its action, for visitors taking `const auto&`.
template <class T> const T& unboxed(const T& action) { return action; }
template <class T> const T& unboxed(const Boxed<T>& action) { return action.get(); }

/// The alternative of Action that holds a T: T itself, or Boxed<T>.
template <class T>
using StoredAs = std::conditional_t<std::is_same_v<T, CreateLink> || std::is_same_v<T, DeleteLink> ||
                                        std::is_same_v<T, SetLinkOptions>,
                                    Boxed<T>, T>;

/// The action as a T, or nullptr (std::get_if, boxed or not).
template <class T> const T* action_if(const Action& a) {
  const auto* stored = std::get_if<StoredAs<T>>(&a);
  if constexpr (std::is_same_v<StoredAs<T>, T>)
    return stored;
  else
    return stored ? &stored->get() : nullptr;
}
template <class T> T* action_if(Action& a) {
  return const_cast<T*>(action_if<T>(static_cast<const Action&>(a)));
}
/// Whether the action is a T (std::holds_alternative, boxed or not).
template <class T> bool action_is(const Action& a) { return std::holds_alternative<StoredAs<T>>(a); }
/// The action as a T; throws std::bad_variant_access if it is not (std::get, boxed or not).
template <class T> T& action_get(Action& a) {
  auto& stored = std::get<StoredAs<T>>(a);
  if constexpr (std::is_same_v<StoredAs<T>, T>)
    return stored;
  else
    return stored.get();
}
template <class T> const T& action_get(const Action& a) { return action_get<T>(const_cast<Action&>(a)); }

} // namespace netlab
