#pragma once
// The `peer` check: where is the other end of a veth? Found the way `ip link`
// finds it (veth1@if7 ... link-netnsid 0): the peer's ifindex (IFLA_LINK, also
// /sys/class/net/veth1/iflink and ethtool -S's peer_ifindex) and, when it lives
// in another namespace, that namespace's id as this one numbers it
// (IFLA_LINK_NETNSID), matched against the id of each node's namespace.
#include <netlab/check/probe.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace netlab {

/// Where the other end of a veth is, and the evidence.
struct VethPeer {
  int iflink = 0;                  ///< the peer's ifindex, in its namespace
  std::optional<int32_t> netnsid;  ///< IFLA_LINK_NETNSID; unset: same namespace
  std::optional<Endpoint> end;     ///< the node and name of the peer; unset: outside the lab

  /// "veth1@if7, link-netnsid 0 = ns2": what `ip link` shows and what it means.
  std::string evidence(const std::string& iface) const;
};

/// Looks up the peer of `iface` in node `node` among the lab's nodes.
Expected<VethPeer> find_veth_peer(const Topology& topo, const Node& node, const std::string& iface);

/// Runs a `peer` check: ok when the peer is check.peer_is, mismatch when it is
/// elsewhere, error when the interface is missing or not a veth.
ProbeResult probe_peer(const Topology& topo, const Check& check);

} // namespace netlab
