#pragma once
// What a lab remembers between runs (persisted in /run/netlab/<lab>/state.json).
// The kernel marks are the source of truth for ownership; this adds what the
// kernel cannot hold: which nodes the lab used, and host values it overwrote.
#include <netlab/kernel/state.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netlab {

/// A lab's memory of its last applied run.
struct LabState {
  std::string lab;
  std::string source_path;                  ///< topology file last applied
  std::vector<NsRef> nodes;                 ///< every node the lab has touched
  /// node -> sysctl key -> value before netlab first changed it (restored on removal).
  std::map<std::string, std::map<std::string, std::string>> saved_sysctls;
  /// node -> routes added in namespaces netlab does not own (host, external).
  std::map<std::string, std::vector<ObservedRoute>> foreign_ns_routes;
  /// nodes that got a NAT table
  std::vector<std::string> nat_nodes;
  /// namespaces the lab made (or switched) without IPv6 on their links (Node::ipv6)
  std::vector<std::string> ipv6_off;
  /// node -> links that got an impairment (their root qdisc is read and, once
  /// the file drops the impair, removed).
  std::map<std::string, std::vector<std::string>> impaired_links;
  /// The network namespace netlab ran in at `up` (current_netns_id()): the one the
  /// lab calls host. 0: not recorded. Verbs refuse to work on the lab from another.
  uint64_t host_ns_id = 0;
  /// The machine of a lab over several (`hosts:`) whose part this is (`--host`);
  /// "" for a lab on one machine. Verbs default `--host` to it.
  std::string machine;
  /// node -> links a run was about to create in a namespace netlab does not own
  /// (host, external), recorded before that run changed anything and dropped when
  /// it ends. Found untagged later, such a link was made by a run killed before
  /// it could tag it: the lab adopts it.
  std::map<std::string, std::vector<std::string>> pending_links;
  /// This run's `up --adopt` (also `plan`, `status`): untagged namespaces and
  /// links that match what the file declares are taken over (tagged) instead of
  /// being conflicts, and routes already there as the file says are put back
  /// with netlab's protocol.
  /// An option of the run, carried with the memory it is planned against; never saved.
  bool adopt = false;

  const NsRef* find_node(std::string_view name) const;
  bool operator==(const LabState&) const = default;
};

} // namespace netlab
