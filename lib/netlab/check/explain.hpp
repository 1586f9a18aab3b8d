#pragma once
// Why a check failed, in terms a student can act on: the first object on the
// check's path whose kernel state differs from the file, else what usually
// breaks a lab that matches its file. Pure: the caller observes and diffs.
#include <netlab/kernel/nft_preflight.hpp>
#include <netlab/plan/diff.hpp>
#include <netlab/topology/model.hpp>

#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// The nodes a check's packets cross, in the order they are blamed: the source,
/// the nodes at the other end of its links (bridge, gateway), the gateway its
/// route to the target names, the node that holds the target and its link peers.
std::vector<std::string> check_path_nodes(const Topology& topo, const Check& check);

/// The first difference from the file on the check's path, in words
/// ("ns2/vethD is down"), or nullopt when those nodes match the file.
std::optional<std::string> first_difference(const Topology& topo, const Check& check,
                                            const std::vector<Finding>& findings);

/// For a lab that matches its file: the host settings that drop its traffic
/// (a forward DROP policy, with br_netfilter for bridged frames), else the usual
/// suspects (a neighbour cache from before a MAC change, a firewall in a namespace).
std::string likely_cause(const Topology& topo, const Check& check, const NatHostFacts& host);

} // namespace netlab
