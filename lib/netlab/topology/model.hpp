#pragma once
// The typed, resolved topology: plain values referenced by name. Produced only
// by validate(); everything downstream (realize, diff, graph, checks) reads it.
#include <netlab/topology/raw.hpp>
#include <netlab/util/boxed_optional.hpp>
#include <netlab/util/ip.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// What a node's namespace is and who owns its lifetime.
enum class NodeKind {
  netns,    ///< a named namespace netlab creates and deletes (default)
  host,     ///< the namespace netlab itself runs in: used, never created or deleted
  external, ///< an existing namespace someone else made: used, never created or deleted
};

/// Kinds of interface netlab can create.
enum class LinkKind { veth, bridge, dummy, tun, tap, macvlan, vxlan, vlan, loopback, other };

std::string_view to_string(LinkKind k);
std::string_view to_string(NodeKind k);

/// "node:interface": one end of a veth pair.
struct Endpoint {
  std::string node;
  std::string iface;
  std::string str() const { return node + ":" + iface; }
  auto operator<=>(const Endpoint&) const = default;
};

/// Traffic shaping / emulation on an interface (tbf/htb rate, netem the rest).
struct Impairment {
  std::optional<uint64_t> rate_bps;    ///< bits per second
  std::optional<uint32_t> delay_us;
  std::optional<uint32_t> jitter_us;
  std::optional<double> loss_pct;
  std::optional<double> duplicate_pct;
  std::optional<uint32_t> limit_pkts;
  bool operator==(const Impairment&) const = default;
};

/// Kind-specific settings; only the fields of the interface's kind are set.
struct TunOptions {
  std::optional<std::string> user;  ///< owner user (name or uid)
  std::optional<std::string> group; ///< owner group (name or gid)
  bool multi_queue = false;
  bool operator==(const TunOptions&) const = default;
};
struct MacvlanOptions {
  std::string parent;           ///< link in the same node
  std::string mode = "bridge";  ///< private|vepa|bridge|passthru|source
  bool operator==(const MacvlanOptions&) const = default;
};
struct VlanOptions {
  std::string parent;
  uint16_t id = 0;
  bool operator==(const VlanOptions&) const = default;
};
struct VxlanOptions {
  uint32_t id = 0;
  std::optional<IpAddr> remote;
  std::optional<IpAddr> local;
  uint16_t dstport = 4789;
  std::optional<std::string> dev;
  /// The UDP socket lives in the machine's host namespace: the device is created
  /// from there and moved into its node (a multi-host lab's tunnel end,
  /// multihost.hpp). The kernel reports it as IFLA_LINK_NETNSID on the device.
  bool underlay_host = false;
  bool operator==(const VxlanOptions&) const = default;
};

/// Bridge-wide settings (kind bridge).
struct BridgeOptions {
  bool vlan_filtering = false; ///< forward by 802.1Q VLAN (needs CONFIG_BRIDGE_VLAN_FILTERING)
  bool operator==(const BridgeOptions&) const = default;
};
/// One VLAN, or a range of them, on a bridge port: `bridge vlan add vid ID[-LAST] [pvid] [untagged]`.
struct BridgeVlan {
  uint16_t id = 0;
  uint16_t last = 0;     ///< == id for a single VLAN
  bool pvid = false;     ///< untagged frames arriving on the port join this VLAN (single VLAN only)
  bool untagged = false; ///< frames of this VLAN leave the port without a tag
  bool operator==(const BridgeVlan&) const = default;
};

/// An interface a node declares (or a link endpoint implies). What few
/// interfaces have (a kind's options, impairment, a MAC, a temporary name) is
/// boxed: a BoxedOptional costs a pointer when empty, a std::optional the whole
/// value, and a large lab holds many interfaces (the model, and the plan's CreateLinks).
struct Interface {
  std::string name;                  ///< kernel name, 1..15 bytes
  LinkKind kind = LinkKind::veth;
  std::optional<Endpoint> peer;      ///< veth only: the other end
  std::optional<std::string> master; ///< bridge in the same node
  std::optional<uint32_t> mtu;       ///< unset: kernel default, not compared
  BoxedOptional<std::string> mac;    ///< lower-case "aa:bb:..", unset: not compared
  bool up = true;
  /// Host node only: an object labs share on purpose (an uplink bridge). Tagged
  /// k_shared_tag, not a lab's: `up` makes it if missing, no `down` deletes it.
  bool shared = false;
  /// veth only: the node whose namespace the end is created in, then moved to its
  /// own (`ip link set DEV netns NS`, as a container runtime does). Unset: its own.
  BoxedOptional<std::string> created_in;
  /// veth only: the name the end is created under, then renamed to `name` inside
  /// its own namespace while down (Docker's vethXXXX -> eth0). Unset: `name`.
  BoxedOptional<std::string> rename_from;
  std::vector<Cidr> addresses;       ///< in file order
  BoxedOptional<Impairment> impair;  ///< its own, or its link's (validate copies a link's impair to both ends)
  BoxedOptional<TunOptions> tun;     ///< tun and tap
  BoxedOptional<MacvlanOptions> macvlan;
  BoxedOptional<VlanOptions> vlan;
  BoxedOptional<VxlanOptions> vxlan;
  std::optional<BridgeOptions> bridge;          ///< kind bridge
  BoxedOptional<std::vector<BridgeVlan>> vlans; ///< port of a vlan_filtering bridge (or the bridge itself): its whole VLAN list
  Mark mark;
  bool operator==(const Interface&) const = default;
};

/// A route in a node's main table. Owned routes carry netlab's rtm_protocol.
struct Route {
  Cidr to;                         ///< network form (host bits clear); /0 = default
  std::optional<IpAddr> via;
  std::optional<std::string> dev;
  std::optional<uint32_t> metric;
  Mark mark;
  bool operator==(const Route&) const = default;
};

/// One NAT rule of a node; the node gets one nftables table for the lab.
struct NatRule {
  enum class Type { masquerade, snat, dnat };
  Type type = Type::masquerade;
  std::optional<Cidr> source;      ///< masquerade/snat: match source prefix
  std::optional<std::string> out;  ///< masquerade/snat: output interface
  std::optional<std::string> in;   ///< dnat: input interface
  std::string protocol;            ///< dnat: "tcp" | "udp"
  uint16_t port_first = 0;         ///< dnat: destination port (range first)
  uint16_t port_last = 0;          ///< dnat: range last (== first for one port)
  std::optional<IpAddr> to_addr;   ///< snat: new source; dnat: new destination
  std::optional<uint16_t> to_port; ///< dnat: new destination port
  Mark mark;
  bool operator==(const NatRule&) const = default;
};

/// A node: one network namespace and what lives in it.
struct Node {
  std::string name;                ///< node name == namespace name for NodeKind::netns (after renaming)
  std::string file_name;           ///< the name the file gives it; "" when not renamed (== name)
  NodeKind kind = NodeKind::netns;
  std::optional<std::string> netns_path; ///< external: /run/netns/X or /proc/PID/ns/net
  bool loopback_up = true;
  std::optional<bool> forwarding;  ///< unset: not managed
  std::optional<bool> ipv6;        ///< netns only; unset: on iff the node has an IPv6 address or route
  std::vector<Interface> interfaces; ///< declaration order; links add implied veth ends
  std::vector<Route> routes;
  std::map<std::string, std::string> sysctls; ///< "net.ipv4.conf.all.rp_filter" -> "0"
  std::vector<NatRule> nat;
  /// The machine the node runs on (`host:`, a name in Topology::hosts); "" in a
  /// file without `hosts:`. Defaults to the only machine when there is one.
  std::string host;
  Mark mark;

  bool operator==(const Node&) const = default;
  const Interface* find_interface(std::string_view n) const;
  /// The name the file gives the node (file_name, or name when not renamed).
  const std::string& as_written() const { return file_name.empty() ? name : file_name; }
};

/// A veth pair between two nodes.
struct Link {
  Endpoint a, b;
  std::optional<Impairment> impair; ///< applied to both ends
  Mark mark;
  std::optional<uint32_t> vni;      ///< `vni:` of a link between machines; unset: allocated (multihost.hpp)
  bool operator==(const Link&) const = default;
};

/// A connectivity assertion run by `netlab test`.
struct Check {
  enum class Type { ping, tcp, peer };
  std::string from;                ///< node name
  Type type = Type::ping;
  IpAddr target;                   ///< ping, tcp
  std::string iface;               ///< peer: the veth of `from` whose other end is looked up
  Endpoint peer_is;                ///< peer: where that other end must be
  uint16_t port = 0;               ///< tcp only
  std::optional<std::string> listen; ///< tcp: node that runs a listener for the check
  /// tcp with listen: the source address the listener must see (after any NAT on the way)
  std::optional<IpAddr> seen_from;
  bool expect_pass = true;
  double timeout_s = 2.0;
  Mark mark;
};

/// Text written for people (`message`, an exercise's `task` and `hints`): one
/// string for every reader, or one per language ({en: ..., zh: ...}). Which one a
/// reader sees is decided when it is shown (util/language.hpp).
struct Text {
  /// {language code, text} in file order; a plain string is the one entry {"", text}.
  std::vector<std::pair<std::string, std::string>> versions;

  Text() = default;
  /// One string for every language.
  explicit Text(std::string plain) { versions.emplace_back(std::string(), std::move(plain)); }
  /// No version, or only empty ones.
  bool empty() const;
  /// The version shown to a reader of `lang` (best_language's choice); "" when none.
  const std::string& in(std::string_view lang) const;
  /// The language of that version: "" for a plain string or no text.
  const std::string& language_in(std::string_view lang) const;
  bool operator==(const Text&) const = default;
};

/// One change an exercise makes to the lab before the student starts: the
/// broken state, written as an edit of the model (`exercise_start` applies it).
struct Breakage {
  enum class Type { lo_down, link_down, remove_route, remove_address, sysctl, forwarding_off, remove_nat };
  Type type = Type::lo_down;
  std::string node;
  std::string iface;                 ///< link_down: the interface; remove_address: "" = any interface
  std::optional<Cidr> to;            ///< remove_route: destination (/0 = default)
  std::optional<Cidr> address;       ///< remove_address
  std::string key, value;            ///< sysctl
  std::string nat;                   ///< remove_nat: "all", "masquerade", "snat" or "dnat"
  Mark mark;
};

/// A lab that starts broken: the student repairs it by hand until its checks pass.
struct Exercise {
  std::string name;                  ///< "" = "exercise N"
  Text task;                         ///< what the student is told
  std::vector<Breakage> start;       ///< applied to the lab in order
  std::vector<Check> checks;         ///< empty: the lab's own checks
  std::vector<Text> hints;           ///< shown one per failed attempt, in order
  Mark mark;
};

/// One machine of a lab that spans several (`hosts:`, docs/multi-host.md).
struct LabMachine {
  std::string name;                        ///< what nodes' `host:` and `--host` name
  IpAddr underlay;                         ///< the address its VXLAN sockets use (local here, remote elsewhere)
  std::optional<uint16_t> vxlan_port;      ///< UDP port of its tunnels; unset: Topology::vxlan_port
  std::optional<uint32_t> underlay_mtu;    ///< MTU of its underlay; unset: 1500
  /// Other keys (ansible_host, ansible_user...), passed to the inventory as written.
  std::vector<std::pair<std::string, std::string>> vars;
  Mark mark;
  bool operator==(const LabMachine&) const = default;
};

/// A whole validated lab.
struct Topology {
  std::string name;                ///< lab name: owner tag, state dir, nft table ("<file name>@<instance>" for an instance)
  std::string instance;            ///< --instance NAME, "" for a plain lab
  std::string prefix;              ///< what node names were prefixed with (instance.hpp), "" when not renamed
  std::string source_path;
  Text message;                    ///< printed after `up`: what the lab is, what to try
  std::vector<Node> nodes;         ///< declaration order
  std::vector<Link> links;
  std::vector<Check> checks;
  std::vector<Exercise> exercises; ///< `exercises:`, numbered from 1 on the command line
  std::vector<LabMachine> hosts;      ///< `hosts:` in file order; empty: one machine, unnamed
  uint16_t vxlan_port = 4789;      ///< `vxlan_port:`, the default UDP port of tunnels between machines
  /// The machine this model is the part of (after for_host(), multihost.hpp); "" for a whole file.
  std::string part_of;

  const Node* find_node(std::string_view n) const;
  /// The node the file calls `n` (its name before renaming), else the node named `n`.
  const Node* find_node_as_written(std::string_view n) const;
  const Node* host_node() const;   ///< the kind: host node, if any (the first one in a multi-host file)
  const LabMachine* find_host(std::string_view n) const;
};

} // namespace netlab
