#pragma once
// Host settings that silently defeat a lab's NAT or forwarding. Reading them
// (read_nat_host_facts) is split from judging them (nat_preflight_warnings) so
// the judgement is unit-tested without a kernel. Forward chains are read
// through nftables, so iptables-legacy rules (invisible to nft) are not seen.
#include <netlab/topology/model.hpp>

#include <optional>
#include <string>
#include <vector>

namespace netlab {

/// What the calling thread's namespace looks like, as far as NAT is concerned.
struct NatHostFacts {
  std::optional<bool> ip_forward;               ///< net.ipv4.ip_forward; nullopt: unreadable
  std::optional<bool> ipv6_forward;             ///< net.ipv6.conf.all.forwarding
  std::optional<bool> bridge_nf_call_iptables;  ///< nullopt: br_netfilter not loaded
  std::vector<std::string> drop_forward_chains; ///< foreign "family table chain" with hook forward, policy drop
};

/// Reads the facts in the calling thread's namespace (best effort: unreadable facts stay unset).
NatHostFacts read_nat_host_facts();

/// The warnings for `node` given `facts`; each says what to change.
std::vector<std::string> nat_preflight_warnings(const Node& node, const NatHostFacts& facts);

} // namespace netlab
