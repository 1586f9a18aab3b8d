#pragma once
// What observe() reads back from the kernel, in the model's vocabulary.
#include <netlab/topology/model.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// rtm_protocol netlab stamps on every route it adds (`ip route show proto 78`).
/// Unassigned in the kernel's RTPROT_* list and in iproute2's rt_protos (99 is Open/R).
inline constexpr uint8_t k_route_protocol = 78;

/// Prefix of the IFLA_IFALIAS owner tag: "netlab:<lab>".
inline constexpr std::string_view k_owner_prefix = "netlab:";
inline std::string owner_tag(std::string_view lab) { return std::string(k_owner_prefix) + std::string(lab); }
/// IFLA_IFALIAS of a host object labs share (`shared: true`): no lab's tag, so
/// no lab owns it and no `down` deletes it. Not k_owner_prefix: never taken for a lab's name.
inline constexpr std::string_view k_shared_tag = "netlab-shared";

/// How to reach a node's namespace.
struct NsRef {
  std::string node;            ///< node name (for messages)
  NodeKind kind = NodeKind::netns;
  std::string path;            ///< netns: /run/netns/<node>; external: given path; host: empty
  uint64_t ns_id = 0;          ///< external, in a LabState: ObservedNs::ns_id of the namespace the lab set up in (0: none)
  bool operator==(const NsRef&) const = default;
};

/// tun/tap settings as the kernel reports them (IFLA_INFO_DATA of kind "tun").
struct ObservedTun {
  std::optional<uint32_t> uid, gid; ///< owner user and group, if set
  std::string user, group;          ///< their names on this machine, "" when unknown
  bool multi_queue = false;
  bool operator==(const ObservedTun&) const = default;
};

/// A link's packet and byte counters (IFLA_STATS64), as `ip -s link` shows them.
struct LinkCounters {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
};

/// One link as the kernel reports it. What few links have is boxed, as in Interface.
struct ObservedLink {
  std::string name;
  int ifindex = 0;
  LinkKind kind = LinkKind::other;
  std::string alias;                 ///< IFLA_IFALIAS, "" if none
  std::optional<std::string> master; ///< name of the master link in the same namespace
  uint32_t mtu = 0;
  std::string mac;                   ///< lower-case "aa:bb:cc:dd:ee:ff"
  bool up = false;                   ///< administratively up (IFF_UP)
  std::vector<Cidr> addresses;       ///< excluding kernel-made link-local v6
  int peer_ifindex = 0;              ///< veth: IFLA_LINK (index in the peer's namespace)
  BoxedOptional<Impairment> impair;  ///< root qdisc settings, if netlab-shaped
  BoxedOptional<ObservedTun> tun;          ///< tun, tap
  BoxedOptional<MacvlanOptions> macvlan;   ///< parent by name ("" when not in this namespace)
  BoxedOptional<VlanOptions> vlan;         ///< parent by name
  BoxedOptional<VxlanOptions> vxlan;       ///< dev by name
  std::optional<BridgeOptions> bridge;     ///< bridge
  BoxedOptional<std::vector<BridgeVlan>> vlans; ///< bridge ports and bridges, when ObserveRequest::bridge_vlans asked
  /// Root qdisc kind ("tbf", "netem", "htb") when qdiscs were read and the root
  /// is not the kernel's default; "" otherwise.
  std::string qdisc;
  LinkCounters counters;             ///< read with the link; never compared (they change by themselves)
};

/// One route of the main table as the kernel reports it.
struct ObservedRoute {
  Cidr to;                           ///< network form
  std::optional<IpAddr> via;
  std::optional<std::string> dev;
  uint32_t metric = 0;
  uint8_t protocol = 0;
  bool operator==(const ObservedRoute&) const = default;
};

/// One namespace as observed. `exists == false` means nothing else is filled.
struct ObservedNs {
  NsRef ref;
  bool exists = false;
  /// A named namespace's path is an empty file with no namespace on it: what a
  /// create or delete killed between its two steps leaves. Not `exists`.
  bool stale_file = false;
  uint64_t ns_id = 0;                ///< which namespace this is: its cookie, never reused (0: not read)
  std::string owner;                 ///< alias on its `lo` ("netlab:<lab>"), "" if none
  bool lo_up = false;
  std::vector<ObservedLink> links;
  std::vector<ObservedRoute> routes; ///< only routes with protocol k_route_protocol, unless ObserveRequest::all_routes
  /// Every route of the main table, whoever made it, when ObserveRequest::kernel_view
  /// (the live graph shows them; the diff looks only at `routes`).
  std::vector<ObservedRoute> all_routes;
  std::map<std::string, std::string> sysctls; ///< the keys observe was asked for
  std::optional<std::string> nat_table; ///< the lab's nft table as canonical JSON, if present
  /// `nft -j list ruleset` of the namespace, when ObserveRequest::nft_ruleset asked (export).
  std::optional<std::string> nft_ruleset;
  /// `nft -a list ruleset` (text with handles), read with nft_ruleset: only it
  /// shows the arguments of iptables-nft's SNAT/DNAT targets.
  std::optional<std::string> nft_ruleset_text;

  const ObservedLink* find_link(std::string_view name) const;
  const ObservedLink* find_link(int ifindex) const;
};

/// One line per object of `ns` ("link vethB veth up mtu 1500 ...", "route ..."),
/// for the -vv log of what observe read.
std::vector<std::string> describe_observed(const ObservedNs& ns);

/// Everything observed for one run, keyed by node name.
struct Observed {
  std::map<std::string, ObservedNs> nodes;
};

} // namespace netlab
