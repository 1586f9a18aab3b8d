#pragma once
// Entering a node for `netlab exec` and `netlab shell`: resolve the node to a
// namespace, then move the (single-threaded) process into it before exec.
#include <netlab/kernel/state.hpp>
#include <netlab/topology/model.hpp>
#include <netlab/util/error.hpp>

#include <string>

namespace netlab {

/// A node to run a command in.
struct NodeTarget {
  NsRef ref;
  std::string lab; ///< "" when not known (no topology file given)
};

/// NODE as a name in /run/netns; fails (exit 1) when there is no such namespace.
Expected<NodeTarget> node_by_netns_name(const std::string& name);

/// NODE looked up in a topology, so host and external nodes work too: by the
/// name the file gives it (an instance's nodes are renamed) or its namespace's.
Expected<NodeTarget> node_in_topology(const Topology& topo, const std::string& name);

/// With a topology file: node_in_topology() of the validated file (an invalid
/// file fails with ExitCode::usage), of its instance `instance` when not empty;
/// without one: node_by_netns_name().
Expected<NodeTarget> resolve_node(const std::string& name, const std::string& topology_file,
                                  const std::string& instance = {});

/// Moves the calling process into the node's network namespace, like `ip netns
/// exec`: setns, then a private mount namespace with a fresh /sys so tools that
/// read /sys/class/net see the node's links (best effort). Only safe while the
/// process has a single thread.
Expected<void> enter_node(const NodeTarget& target);

/// Sets NETLAB_NODE and, when known, NETLAB_LAB in the environment.
void export_node_env(const NodeTarget& target);

} // namespace netlab
